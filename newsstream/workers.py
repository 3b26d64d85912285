"""Start a real ``newsstream process`` worker as a subprocess and wait until it is ready.

Benchmarks and integration tests run the workers exactly as production does,
on settings of their own (``contract.isolated``), and need to know when Faust
has joined its consumer group before they send anything.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from contract.isolated import settings_env
from contract.settings import Settings

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
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a worker for ``stages``, yield it once Faust says it is ready, stop it after.

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
