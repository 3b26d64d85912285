"""Detached server processes: start, recognise by pid file, stop.

A pid alone can be reused by an unrelated process after a reboot or a crash,
so a process only counts as ours when its command line also contains a
marker (a path inside the state directory).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def is_running(pid: int | None, marker: str) -> bool:
    """True when ``pid`` is a live (not zombie) process whose command line has ``marker``."""
    if not pid:
        return False
    proc = Path("/proc") / str(pid)
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in {"Z", "X"} and marker in cmdline


def start_detached(
    cmd: list[str],
    log_path: Path,
    env: dict[str, str],
    cwd: Path,
    user: str | None = None,
) -> subprocess.Popen:
    """Start ``cmd`` in its own session (so it outlives us), output appended to ``log_path``."""
    kwargs: dict = {}
    if user is not None:
        kwargs.update(user=user, group=_primary_group(user), extra_groups=[])
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )


def _primary_group(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_gid


def stop(pid: int, marker: str, grace: float) -> str:
    """Stop the process group led by ``pid``: SIGTERM, wait ``grace`` s, then SIGKILL."""
    if not is_running(pid, marker):
        return "not running"
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not is_running(pid, marker):
            return "stopped"
        time.sleep(0.2)
    _signal_group(pid, signal.SIGKILL)
    for _ in range(50):
        if not is_running(pid, marker):
            break
        time.sleep(0.1)
    return "killed"


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(data.splitlines()[-lines:])
