"""Kill -9 each part of the running pipeline at a random moment, bring it back, count.

A poller and a worker run as real processes on the private stack while a
flow of 1,000 articles (100 of them planted with a tracked name, 143 with a
word a saved search looks for) is released, 25 a second, in four stretches
of ten seconds. At a random moment of each stretch one part is killed with
SIGKILL and started again: the poller, the worker, Kafka, Elasticsearch; the
stretch goes on meanwhile, and the test then waits until everything released
so far is on the raw topic and searchable and its alerts are stored, and
notes how long that took after the part was back. At the end every article
must be on the raw topic once (as a read_committed consumer sees it),
searchable once, every expected alert stored once, and both processes must
stop on SIGTERM.
The figures, and the seed of the random moments, are printed at the end of
the run.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from contract.isolated import isolated_settings, settings_env
from contract.kafka_admin import ensure_topics
from newsstream.workers import READY_MARKERS
from search.saved_searches import add_search, searches_index, validate
from tests.faults.conftest import FIGURES, PrivateStack
from tests.faults.flow import SEARCH_NAME, SEARCH_QUERY, WATCHLIST, Flow
from tests.ingest.server import FeedServer
from tests.topics import read_committed

pytestmark = [pytest.mark.kafka]

WAVE_SECONDS = 1.0
CATCH_UP = 240.0  # seconds the pipeline gets to settle after the fault (a hang detector)
STOP_WITHIN = 15.0  # seconds a process gets to exit on SIGTERM


class Proc:
    """A newsstream command as a subprocess that can be killed and started again."""

    def __init__(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        log: Path,
        ready: tuple[str, ...] = (),
    ) -> None:
        self.name, self.args, self.env, self.log, self.ready = name, args, env, log, ready
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 120.0) -> Proc:
        seen = (
            self.log.read_text(errors="replace").count(self.ready[0])
            if (self.ready and self.log.exists())
            else 0
        )
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "newsstream", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        while self.ready:
            text = self.log.read_text(errors="replace")
            if sum(text.count(m) for m in self.ready) > seen:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not start:\n{text[-3000:]}")
            time.sleep(0.2)
        return self

    def kill9(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, f"{self.name} is not running"
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> float:
        """SIGTERM; seconds until it exited (SIGKILL after STOP_WITHIN, reported as hung)."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(
                f"{self.name} exited on its own ({self.proc.returncode}):\n"
                f"{self.log.read_text(errors='replace')[-3000:]}"
            )
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return float("inf")
        return time.monotonic() - started


class Pipeline:
    """Poller and worker of one fault test, on the private stack."""

    def __init__(self, stack: PrivateStack, tmp: Path, feeds: Path) -> None:
        watchlist = tmp / "actors.yaml"
        watchlist.write_text(WATCHLIST, encoding="utf-8")
        self.settings = isolated_settings(
            uuid.uuid4().hex[:10],
            tmp / "data",
            kafka_bootstrap_servers=stack.kafka_bootstrap,
            es_url=stack.es_url,
            actors=str(watchlist),
            allow_private_networks=True,
            min_interval=1.0,
            bulk_interval=0.2,
        )
        env = settings_env(self.settings)
        self.worker = Proc(
            "worker",
            ["process", "--loglevel", "info"],
            env,
            tmp / "worker.log",
            ready=READY_MARKERS[:1],
        )
        self.poller = Proc("poller", ["poll", "--feeds", str(feeds)], env, tmp / "poller.log")


def es_client(stack: PrivateStack):
    from elasticsearch import Elasticsearch

    return Elasticsearch(stack.es_url, request_timeout=10)


def snapshot(pipeline: Pipeline, es) -> tuple[Counter[str], Counter[str], Counter[tuple]]:
    """What is there now: raw-topic keys, searchable article ids, stored alert pairs."""
    s = pipeline.settings
    raw = Counter(r.key.decode() for r in read_committed(s.kafka_bootstrap_servers, s.topic_raw))
    es.indices.refresh(index=s.index_articles, ignore_unavailable=True)
    es.indices.refresh(index=s.index_alerts, ignore_unavailable=True)
    docs = es.search(
        index=s.index_articles,
        size=10_000,
        source=False,
        query={"match_all": {}},
        ignore_unavailable=True,
    )["hits"]["hits"]
    searchable = Counter(d["_id"] for d in docs)
    alerts = es.search(
        index=s.index_alerts,
        size=10_000,
        query={"match_all": {}},
        source=["actor_id", "article_id"],
        ignore_unavailable=True,
    )["hits"]["hits"]
    stored = Counter((a["_source"]["actor_id"], a["_source"]["article_id"]) for a in alerts)
    return raw, searchable, stored


def caught_up(
    released: set[str], flow: Flow, raw: Counter, searchable: Counter, stored: Counter
) -> bool:
    """Every released article on the topic and searchable, every alert it owes stored."""
    owed = {pair for pair in flow.expected_alerts if pair[1] in released}
    return released <= set(raw) and released <= set(searchable) and owed <= set(stored)


FAULTS = ("poller", "worker", "kafka", "elasticsearch")


class Releaser(threading.Thread):
    """Releases the flow wave by wave, one a second, up to the waves allowed so far,
    so that the test can place each fault inside a stretch of the flow."""

    def __init__(self, flow: Flow, server: FeedServer) -> None:
        super().__init__(daemon=True)
        self.flow, self.server = flow, server
        self.allowed = 0
        self.waves_out = 0
        self.released: set[str] = set()
        self.changed = threading.Condition()

    def allow(self, waves: int) -> None:
        with self.changed:
            self.allowed = waves
            self.changed.notify_all()

    def run(self) -> None:
        for k in range(1, self.flow.waves + 1):
            with self.changed:
                self.changed.wait_for(lambda k=k: self.allowed >= k)
            self.server.files.update(self.flow.wave(k))
            with self.changed:
                self.released, self.waves_out = self.flow.released(k), k
                self.changed.notify_all()
            time.sleep(WAVE_SECONDS)

    def wait_out(self, waves: int) -> set[str]:
        with self.changed:
            self.changed.wait_for(lambda: self.waves_out >= waves, timeout=600)
            return set(self.released)

    def snapshot(self) -> set[str]:
        with self.changed:
            return set(self.released)


def test_kill_9_each_part_under_a_flow_loses_nothing_and_duplicates_nothing(
    private_stack, tmp_path
):
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    server = FeedServer().start()
    flow = Flow(server.base)
    pipeline = Pipeline(private_stack, tmp_path, flow.feed_list(tmp_path / "feeds.yaml"))
    ensure_topics(pipeline.settings)
    es = es_client(private_stack)
    # Saved before the flow starts, with time for a new index on a busy machine.
    add_search(
        es.options(request_timeout=120),
        searches_index(pipeline.settings.index_alerts),
        validate(SEARCH_NAME, SEARCH_QUERY),
    )
    releaser = Releaser(flow, server)

    def current() -> tuple[Counter, Counter, Counter]:
        try:
            return snapshot(pipeline, es)
        except Exception:  # noqa: BLE001 - a server may be down or starting
            return Counter(), Counter(), Counter()

    def wait_caught_up(released: set[str]) -> tuple[float, Counter]:
        deadline = time.monotonic() + CATCH_UP
        while True:
            raw, searchable, stored = current()
            if caught_up(released, flow, raw, searchable, stored) or time.monotonic() > deadline:
                return time.monotonic(), raw
            time.sleep(0.5)

    def inject(fault: str) -> None:
        if fault in ("poller", "worker"):
            proc = pipeline.poller if fault == "poller" else pipeline.worker
            proc.kill9()
            time.sleep(1.0)
            proc.start()
        else:
            private_stack.kill(fault)
            time.sleep(1.0)
            private_stack.up()

    try:
        pipeline.worker.start()
        releaser.start()
        pipeline.poller.start()
        stretch = flow.waves // len(FAULTS)
        for i, fault in enumerate(FAULTS):
            releaser.allow((i + 1) * stretch)  # the next stretch of the flow ...
            stretch_began = time.monotonic()
            time.sleep(rng.uniform(1.0, stretch * WAVE_SECONDS - 2.0))  # ... and a moment in it
            killed = time.monotonic()
            released_then = len(releaser.snapshot())
            inject(fault)
            back = time.monotonic()
            target = releaser.wait_out((i + 1) * stretch)
            done, raw = wait_caught_up(target)
            FIGURES.append(
                f"{fault:13} killed {killed - stretch_began:4.1f}s into its stretch of the flow "
                f"({released_then} articles released), back after {back - killed:5.1f}s, "
                f"caught up {done - back:5.1f}s later; so far {len(target - set(raw))} lost, "
                f"{sum(n - 1 for n in raw.values())} duplicated"
            )
        releaser.allow(flow.waves)
        releaser.join(timeout=120)
        done, _ = wait_caught_up(flow.ids)
        time.sleep(2.0)  # anything duplicated late would show now
        raw, searchable, stored = snapshot(pipeline, es)
        stopped = {p.name: p.stop() for p in (pipeline.poller, pipeline.worker)}
    finally:
        releaser.allow(flow.waves)
        for proc in (pipeline.poller, pipeline.worker):
            if proc.proc is not None and proc.proc.poll() is None:
                proc.proc.kill()
        server.stop()
        es.close()

    lost = len(flow.ids - set(raw))
    duplicated = sum(n - 1 for n in raw.values())
    unsearchable = len(flow.ids - set(searchable))
    extra_docs = len(set(searchable) - flow.ids) + sum(n - 1 for n in searchable.values())
    alerts_missing = len(flow.expected_alerts - set(stored))
    alerts_extra = len(set(stored) - flow.expected_alerts) + sum(n - 1 for n in stored.values())
    FIGURES.append(
        f"in all: raw topic {len(flow.ids)} articles, {lost} lost, {duplicated} duplicated; "
        f"search {unsearchable} missing, {extra_docs} extra; alerts "
        f"{len(flow.expected_alerts)} expected, {alerts_missing} missing, {alerts_extra} extra; "
        f"stopped on SIGTERM in {stopped['poller']:.1f}s (poller), {stopped['worker']:.1f}s "
        f"(worker); seed {seed}"
    )
    assert (lost, duplicated) == (0, 0), FIGURES
    assert (unsearchable, extra_docs) == (0, 0), FIGURES
    assert (alerts_missing, alerts_extra) == (0, 0), FIGURES
    assert all(s < STOP_WITHIN for s in stopped.values()), f"a process hung: {stopped}"
