"""Run real `newsstream process` workers as subprocesses for integration tests."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from contract.settings import Settings
from tests.conftest import settings_env

READY_MARKERS = ("Worker ready", "[^Worker]: Ready")


@contextlib.contextmanager
def running_worker(
    settings: Settings,
    stages: tuple[str, ...] = ("enrich", "index", "alerts"),
    *,
    log_path: Path,
    timeout: float = 90.0,
    extra_env: dict[str, str] | None = None,
    module: str | None = None,
) -> Iterator[subprocess.Popen]:
    """Start a worker for ``stages`` and wait until Faust says it is ready.

    ``module`` runs ``python -m module`` instead of ``newsstream process``.
    """
    env = settings_env(settings)
    env.update(extra_env or {})
    if module:
        args = [sys.executable, "-m", module]
    else:
        args = [sys.executable, "-m", "newsstream", "process", "--loglevel", "info"]
        for stage in stages:
            args += ["--stage", stage]
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + timeout
        while True:
            text = log_path.read_text(errors="replace")
            if any(m in text for m in READY_MARKERS):
                break
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited early ({proc.returncode}):\n{text[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker not ready after {timeout}s:\n{text[-3000:]}")
            time.sleep(0.3)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def process_alive(pid: int) -> bool:
    """Running, not a zombie awaiting its reaper."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
