"""The articles' refresh interval while a backlog drains: the rule alone, then a
real worker and Elasticsearch."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from newsstream.workers import running_worker
from processors.indexing.refresh import BacklogRefresh
from tests.search.factories import enriched, message
from tests.search.test_indexing_agent import produce, wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def recorder(clock: Clock, fail: set[str] | None = None) -> tuple[BacklogRefresh, list[str]]:
    calls: list[str] = []

    async def set_interval(value: str) -> None:
        if value in (fail or set()):
            raise ConnectionError("Elasticsearch is away")
        calls.append(value)

    async def refresh_now() -> None:
        calls.append("refresh")

    return BacklogRefresh("1s", "5s", 3.0, set_interval, refresh_now, clock=clock), calls


def run(*steps) -> None:
    async def all_of() -> None:
        for step in steps:
            await step

    asyncio.run(all_of())


def test_a_draining_backlog_refreshes_less_until_batches_are_on_time():
    clock = Clock()
    refresh, calls = recorder(clock)
    run(refresh.after_batch(False))
    assert calls == []  # on time: the usual interval, nothing to ask
    run(refresh.after_batch(True), refresh.after_batch(True), refresh.after_batch(True))
    assert calls == ["5s"]  # asked once, not per batch
    run(refresh.after_batch(False))
    assert calls == ["5s", "1s", "refresh"]  # back, and the backlog's tail searchable at once


def test_a_backlog_that_stops_arriving_gets_the_usual_refresh_back():
    clock = Clock()
    refresh, calls = recorder(clock)
    run(refresh.after_batch(True))
    clock.now += 2.0
    run(refresh.tick())
    assert calls == ["5s"]  # a late batch may still be gathering
    clock.now += 1.5
    run(refresh.tick(), refresh.tick())
    assert calls == ["5s", "1s", "refresh"]


def test_a_failed_setting_is_asked_again_and_never_fails_the_batch():
    clock = Clock()
    refresh, calls = recorder(clock, fail={"5s"})
    run(refresh.after_batch(True))  # no exception: the bulk's articles are indexed anyway
    assert calls == [] and not refresh.holding  # the next late batch asks again

    refresh, calls = recorder(clock, fail={"1s"})
    run(refresh.after_batch(True))
    clock.now += 10
    run(refresh.tick())
    assert calls == ["5s"] and refresh.holding  # still held: the next tick asks again
    refresh.set_interval = recorder(clock)[0].set_interval
    run(refresh.tick())
    assert not refresh.holding


@pytest.mark.kafka
@pytest.mark.elasticsearch
def test_a_worker_draining_a_backlog_holds_the_longer_refresh_then_returns_it(
    es_client, kafka_bootstrap, settings, clean_layout, tmp_path
):
    from contract.kafka_admin import ensure_topics

    ensure_topics(settings)
    settings = replace(settings, bulk_late_refresh="7s")
    hour_ago = int((time.time() - 3600) * 1000)
    backlog = [
        replace(enriched(i, title=f"Backlog {i}"), raw_timestamp_ms=hour_ago) for i in range(20)
    ]
    log = tmp_path / "worker.log"

    def interval() -> str | None:
        found = es_client.indices.get_settings(
            index=clean_layout.pattern,
            name="index.refresh_interval",
            allow_no_indices=True,
        )
        values = {s["settings"]["index"]["refresh_interval"] for s in found.values()}
        return values.pop() if len(values) == 1 else None

    with running_worker(settings, ("index",), log_path=log):
        wait_for("index layout", lambda: "index layout" in log.read_text(), log=log)
        produce(settings, [(a.id, message(a)) for a in backlog])
        wait_for("the draining interval", lambda: interval() == "7s", log=log)
        wait_for("the usual interval again", lambda: interval() == "1s", log=log)
        # no refresh asked here: the indexer's own made the tail searchable
        count = es_client.count(index=settings.index_articles)["count"]
    assert count == len(backlog)
