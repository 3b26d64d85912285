"""The supervisor of `newsstream run`: restarts with backoff, stops everything."""

from __future__ import annotations

import sys
import time

from newsstream.cli.run_commands import default_workers
from newsstream.supervise import ChildSpec, Supervisor
from tests.workers import process_alive


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _wait_exit(supervisor: Supervisor, name: str) -> None:
    child = next(c for c in supervisor.children if c.spec.name == name)
    deadline = time.monotonic() + 10
    while child.proc is not None and child.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_crashed_child_is_reported_and_restarted_with_growing_backoff(tmp_path):
    clock, reports = Clock(), []
    crash = ChildSpec(
        "crasher",
        [sys.executable, "-c", "import sys; sys.exit(3)"],
        log_path=tmp_path / "crasher.log",
    )
    supervisor = Supervisor([crash], report=reports.append, clock=clock, stable_after=60)
    supervisor.start_all()
    delays = []
    for _ in range(3):
        _wait_exit(supervisor, "crasher")
        supervisor.tick()
        child = supervisor.children[0]
        delays.append(child.restart_at - clock.now)
        clock.now = child.restart_at
        supervisor.tick()  # due: started again
    supervisor.stop_all(grace=5)
    assert delays == [1.0, 2.0, 4.0]
    assert reports[0] == f"crasher exited with code 3; restarting in 1 s; log: {crash.log_path}"
    assert "crasher: starting again (restart 1)" in reports
    assert supervisor.children[0].exit_codes == [3, 3, 3]


def test_a_long_run_resets_the_backoff():
    clock, reports = Clock(), []
    spec = ChildSpec("flaky", [sys.executable, "-c", "import sys; sys.exit(1)"])
    supervisor = Supervisor([spec], report=reports.append, clock=clock, stable_after=60)
    supervisor.start_all()
    _wait_exit(supervisor, "flaky")
    clock.now = 600.0  # it ran ten minutes before failing
    supervisor.tick()
    assert supervisor.children[0].restart_at == 601.0


def test_stop_all_ends_every_child_and_what_they_started(tmp_path):
    marker = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time, pathlib;"
        "p = subprocess.Popen(['sleep', '300']);"
        f"pathlib.Path({str(marker)!r} + '.tmp').write_text(str(p.pid));"
        f"pathlib.Path({str(marker)!r} + '.tmp').rename({str(marker)!r});"
        "time.sleep(300)"
    )
    specs = [ChildSpec("a", [sys.executable, "-c", script]), ChildSpec("b", ["sleep", "300"])]
    supervisor = Supervisor(specs)
    supervisor.start_all()
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = supervisor.pids() + [int(marker.read_text())]
    supervisor.stop_all(grace=5)
    deadline = time.monotonic() + 5  # signals land asynchronously on a busy machine
    while [p for p in pids if process_alive(p)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in pids if process_alive(p)] == []


def test_default_workers_one_per_core_and_never_more_than_partitions():
    assert default_workers(2, 6) == 2
    assert default_workers(8, 6) == 6
    assert default_workers(None, 6) == 1
    assert default_workers(1, 6) == 1


def test_groups_stop_in_order_and_a_group_together(tmp_path):
    script = (
        "import signal, sys, time, pathlib\n"
        "def stop(*_):\n"
        "    out = pathlib.Path(sys.argv[1])\n"
        "    out.write_text(f'{time.time()} ')\n"
        "    time.sleep(float(sys.argv[2]))\n"
        "    out.write_text(out.read_text() + f'{time.time()}')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "pathlib.Path(sys.argv[1] + '.up').touch()\n"
        "while True: time.sleep(1)\n"
    )

    def spec(name: str, group: int, linger: float) -> ChildSpec:
        return ChildSpec(
            name,
            [sys.executable, "-c", script, str(tmp_path / name), str(linger)],
            stop_group=group,
        )

    supervisor = Supervisor(
        [
            spec("api", 2, 0),
            spec("worker-1", 1, 1.0),
            spec("worker-2", 1, 1.0),
            spec("poller", 0, 0.5),
        ]
    )
    supervisor.start_all()
    deadline = time.monotonic() + 20
    while len(list(tmp_path.glob("*.up"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    supervisor.stop_all(grace=10)
    got = {
        p.name: [float(x) for x in p.read_text().split()]
        for p in tmp_path.glob("*")
        if p.suffix != ".up"
    }
    assert got["poller"][1] <= min(got["worker-1"][0], got["worker-2"][0])
    assert max(got["worker-1"][1], got["worker-2"][1]) <= got["api"][0]
    # Workers stop together: the second is told before the first has finished.
    assert max(got["worker-1"][0], got["worker-2"][0]) < min(got["worker-1"][1], got["worker-2"][1])
