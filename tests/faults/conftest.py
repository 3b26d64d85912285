"""A private Kafka and Elasticsearch for the fault tests, which kill them.

The servers other tests share must never be killed, so these tests start
their own with ``deploy/stack`` in a temporary state directory on free
ports (the download cache is shared, so nothing is downloaded twice), and
purge them at the end. Each fault's figures (articles lost, duplicated,
recovery time) are printed at the end of the run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest

from tests.conftest import ROOT
from tests.workers import process_alive

STACK = [sys.executable, str(ROOT / "deploy" / "stack")]
FIGURES: list[str] = []


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class PrivateStack:
    """A deploy/stack of its own: kill a server with SIGKILL, bring it back."""

    env: dict[str, str]
    kafka_bootstrap: str
    es_url: str
    log: list[str] = field(default_factory=list)

    def run(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [*STACK, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            pytest.fail(
                f"deploy/stack {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}",
                pytrace=False,
            )
        return done.stdout

    def pid(self, service: str) -> int:
        status = json.loads(self.run("status", "--json"))
        pid = status[service]["pid"]
        assert pid, f"{service} is not running: {status[service]}"
        return int(pid)

    def kill(self, service: str) -> None:
        """kill -9 the server (``kafka`` or ``elasticsearch``)."""
        pid = self.pid(service)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)

    def up(self) -> None:
        """Start whatever is not running and wait until both are healthy."""
        self.log.append(self.run("up"))


@pytest.fixture(scope="session")
def private_stack(tmp_path_factory) -> PrivateStack:
    kafka, controller, es, transport = free_ports(4)
    state = tmp_path_factory.mktemp("stack")
    env = dict(os.environ)
    env.update(
        {
            "NEWSSTREAM_STACK_DIR": str(state),
            "NEWSSTREAM_STACK_KAFKA_PORT": str(kafka),
            "NEWSSTREAM_STACK_KAFKA_CONTROLLER_PORT": str(controller),
            "NEWSSTREAM_STACK_ES_PORT": str(es),
            "NEWSSTREAM_STACK_ES_TRANSPORT_PORT": str(transport),
        }
    )
    stack = PrivateStack(env, f"127.0.0.1:{kafka}", f"http://127.0.0.1:{es}")
    try:
        began = time.monotonic()
        stack.up()
        FIGURES.append(
            f"private stack up in {time.monotonic() - began:.0f}s "
            f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
        )
        yield stack
    finally:
        subprocess.run([*STACK, "down", "--purge"], env=env, capture_output=True, timeout=120)


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("faults: articles lost, duplicated, recovery")
        for line in FIGURES:
            terminalreporter.write_line(line)
