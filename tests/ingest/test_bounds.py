"""The poller's state stays bounded: what is pruned after the retention window,
and why pruning never turns an old item into a new article (real Kafka)."""

from __future__ import annotations

import dataclasses
import sqlite3
from email.utils import formatdate
from html import escape

import pytest

from contract.clock import DAY, ManualClock
from ingest.feedlist import Feed
from ingest.metrics import Metrics
from ingest.poller import Poller
from ingest.publish import Publisher
from ingest.state import Candidate, State
from tests.topics import read_committed

pytestmark = pytest.mark.kafka

WINDOW = 30


def rss(items: list[tuple[str, float | None]]) -> bytes:
    """A feed of (url, date) items; a None date leaves the item undated."""
    entries = "".join(
        f"<item><title>Story {escape(url)}</title><link>{escape(url)}</link>"
        + (f"<pubDate>{formatdate(when, usegmt=True)}</pubDate>" if when is not None else "")
        + f"<description>{escape('Text of the story at ' + url + '. ' * 20)}</description></item>"
        for url, when in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Bounds</title>'
        f"<link>https://bounds.example/</link><description>d</description>{entries}"
        "</channel></rss>"
    ).encode()


@pytest.fixture
def kafka_settings(fast, kafka_bootstrap):
    return dataclasses.replace(fast, kafka_bootstrap_servers=kafka_bootstrap, retention_days=WINDOW)


def make_poller(settings, clock: ManualClock) -> Poller:
    metrics = Metrics()
    state = State.open(settings.data_path, clock=clock, retention_days=settings.retention_days)
    return Poller(
        settings,
        state=state,
        publisher=Publisher(settings, metrics=metrics),
        metrics=metrics,
        clock=clock,
    )


def serve(server, name: str, items: list[tuple[str, float | None]]) -> Feed:
    server.raw[name] = ("application/rss+xml", rss(items))
    return Feed(url=server.url(f"/raw/{name}"), name=name)


def keys_on_kafka(settings) -> list[str]:
    return [
        m.key.decode() for m in read_committed(settings.kafka_bootstrap_servers, settings.topic_raw)
    ]


async def test_an_old_id_is_pruned_and_its_item_still_in_the_feed_is_not_published_again(
    server, kafka_settings
):
    clock = ManualClock()
    start = clock.now
    feed = serve(server, "old", [("https://bounds.example/a", start - DAY)])
    poller = make_poller(kafka_settings, clock)
    try:
        first = await poller.run_cycle([feed])
        [article_id] = keys_on_kafka(kafka_settings)
        assert first.published == 1 and poller.state.lookup(article_id) is not None

        clock.advance((WINDOW + 1) * DAY)  # the feed still carries the item, unchanged
        second = await poller.run_cycle([feed])
        forgotten = poller.state.lookup(article_id) is None
    finally:
        await poller.aclose()

    assert forgotten  # the id was pruned ...
    assert second.items["expired"] == 1 and second.published == 0  # ... the item not sent again
    assert keys_on_kafka(kafka_settings) == [article_id]


async def test_an_id_younger_than_the_window_is_kept_and_a_carried_one_stays(
    server, kafka_settings
):
    clock = ManualClock()
    start = clock.now
    feed = serve(
        server,
        "young",
        [("https://bounds.example/dated", start - DAY), ("https://bounds.example/undated", None)],
    )
    poller = make_poller(kafka_settings, clock)
    try:
        await poller.run_cycle([feed])
        ids = keys_on_kafka(kafka_settings)
        cycles = []
        for _ in range(4):  # 80 days, the feed read every 20: each read keeps the ids
            clock.advance(20 * DAY)
            cycles.append(await poller.run_cycle([feed]))
        kept = [poller.state.lookup(i) is not None for i in ids]
    finally:
        await poller.aclose()

    assert len(ids) == 2 and kept == [True, True]
    assert [c.published for c in cycles] == [0, 0, 0, 0]
    assert sorted(keys_on_kafka(kafka_settings)) == sorted(ids)


async def test_a_feed_removed_from_the_list_loses_its_state_after_the_window(
    server, kafka_settings
):
    clock = ManualClock()
    kept = serve(server, "kept", [("https://bounds.example/k", clock.now)])
    removed = serve(server, "removed", [("https://bounds.example/r", clock.now)])
    poller = make_poller(kafka_settings, clock)
    try:
        await poller.run_cycle([kept, removed])
        clock.advance(10 * DAY)
        await poller.run_cycle([kept])  # "removed" left the list: inside the window
        inside = {f.url for f in poller.state.feeds()}
        clock.advance((WINDOW - 5) * DAY)
        await poller.run_cycle([kept])  # 35 days after its last poll
        after = {f.url for f in poller.state.feeds()}
    finally:
        await poller.aclose()

    assert inside == {kept.url, removed.url}
    assert after == {kept.url}


def test_articles_queued_longer_than_the_window_are_dropped(tmp_path):
    clock = ManualClock()
    state = State.open(tmp_path, clock=clock, retention_days=WINDOW)
    feed = state.feed("https://bounds.example/feed")
    old = Candidate("old", "h", feed.url, 10, b"payload", published=clock.now)
    state.record_poll(feed, [old])  # Kafka down from here on
    clock.advance(10 * DAY)
    state.record_poll(feed, [Candidate("new", "h", feed.url, 10, b"payload", clock.now)])
    clock.advance((WINDOW - 5) * DAY)
    pruned = state.prune()
    assert pruned.pending == 1
    assert [p.id for p in state.pending()] == ["new"]


def test_a_state_file_from_before_pruning_keeps_every_id_for_a_window(tmp_path):
    db = sqlite3.connect(tmp_path / State.FILENAME)
    db.executescript(
        "CREATE TABLE seen (id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, "
        "feed_url TEXT NOT NULL, text_len INTEGER NOT NULL, published_at REAL NOT NULL);"
        "INSERT INTO seen VALUES ('x', 'h', 'https://bounds.example/feed', 5, 1000.0);"
    )
    db.commit()
    db.close()
    clock = ManualClock()
    state = State.open(tmp_path, clock=clock, retention_days=WINDOW)
    assert state.prune().seen == 0 and state.lookup("x") is not None
    clock.advance((WINDOW + 1) * DAY)
    assert state.prune().seen == 1 and state.lookup("x") is None
