"""Keep a set of child processes running; stop them in order, losing nothing.

Each child runs in its own session, so a Ctrl-C on the terminal reaches only
the supervisor, which then stops the children group by group (the poller
before the workers that drain what it published, the workers together, the
API last) with SIGTERM, and SIGKILL only after a grace period. Should the
supervisor itself die, the kernel sends each child SIGTERM (Linux
``PR_SET_PDEATHSIG``), so nothing is left behind. A child that exits on its
own is reported and started again after the project's backoff policy; a run
that lasted ``stable_after`` seconds resets its count.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from contract.retry import RESTART_RETRY, RetryPolicy

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    log_path: Path | None = None
    stop_group: int = 0  # lower groups stop first; a group's children stop together


@dataclass
class Child:
    spec: ChildSpec
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # consecutive short-lived runs
    restarts: int = 0
    restart_at: float | None = None
    exit_codes: list[int] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the supervisor goes away."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(
        self,
        specs: list[ChildSpec],
        *,
        policy: RetryPolicy = RESTART_RETRY,
        stable_after: float = 60.0,
        report: Callable[[str], None] = log.warning,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = [Child(spec) for spec in specs]
        self.policy = policy
        self.stable_after = stable_after
        self.report = report
        self.clock = clock

    def start_all(self) -> None:
        for child in self.children:
            self._start(child)

    def _start(self, child: Child) -> None:
        spec = child.spec
        out: int | IO[bytes] = subprocess.DEVNULL
        if spec.log_path is not None:
            spec.log_path.parent.mkdir(parents=True, exist_ok=True)
            out = open(spec.log_path, "ab")  # noqa: SIM115 - the child holds it
        try:
            child.proc = subprocess.Popen(
                spec.argv,
                env=spec.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            if not isinstance(out, int):
                out.close()
        child.started_at = self.clock()
        child.restart_at = None

    def tick(self) -> None:
        """Notice children that exited, restart those whose backoff is over."""
        now = self.clock()
        for child in self.children:
            if child.proc is None:
                if child.restart_at is not None and now >= child.restart_at:
                    child.restarts += 1
                    self.report(f"{child.spec.name}: starting again (restart {child.restarts})")
                    self._start(child)
                continue
            code = child.proc.poll()
            if code is None:
                if child.failures and now - child.started_at >= self.stable_after:
                    child.failures = 0
                continue
            child.exit_codes.append(code)
            child.proc = None
            child.failures = child.failures + 1 if now - child.started_at < self.stable_after else 1
            delay = self.policy.delay(child.failures)
            child.restart_at = now + delay
            where = f"; log: {child.spec.log_path}" if child.spec.log_path else ""
            self.report(
                f"{child.spec.name} exited with code {code}; restarting in {delay:.0f} s{where}"
            )

    def stop_all(self, grace: float = 30.0) -> None:
        """SIGTERM each stop group in turn and wait for it; SIGKILL after ``grace`` seconds."""
        for child in self.children:
            child.restart_at = None
        for group in sorted({c.spec.stop_group for c in self.children}):
            members = [c for c in self.children if c.spec.stop_group == group and c.running]
            for child in members:
                if child.proc is None:  # never started (``running`` is false then)
                    continue
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            for child in members:
                proc = child.proc
                assert proc is not None
                try:
                    proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.report(f"{child.spec.name} did not stop in {grace:.0f} s; killing it")
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                # Anything the child left in its session goes too.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def pids(self) -> list[int]:
        return [c.proc.pid for c in self.children if c.running and c.proc]
