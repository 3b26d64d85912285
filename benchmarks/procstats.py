"""Memory and CPU of a process from /proc, for the benchmark scripts."""

from __future__ import annotations

import os
import time
from pathlib import Path


def memory_kib(pid: int | str = "self") -> tuple[int, int]:
    """(resident, peak resident) memory of ``pid`` in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def cpu_seconds(pid: int | str = "self") -> float:
    """User+system CPU time of ``pid`` so far: a cost that does not depend on load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_second(pid: int, seconds: float) -> float:
    """CPU seconds ``pid`` spends per second over the next ``seconds``: a server's
    background, measured while nothing is asked of it, to subtract later."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (a worker's pool processes count as the worker)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def stack_pids() -> dict[str, int]:
    """Kafka's and Elasticsearch's pids in the running local stack (``deploy/stack``),
    from its pid files; a server that is not running is left out."""
    stack = Path(
        os.environ.get("NEWSSTREAM_STACK_DIR") or Path(__file__).resolve().parent.parent / ".stack"
    )
    out = {}
    for name, pid_file in (
        ("kafka", stack / "kafka" / "kafka.pid"),
        ("elasticsearch", stack / "elasticsearch" / "server.pid"),
    ):
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        if Path(f"/proc/{pid}").exists():
            out[name] = pid
    return out
