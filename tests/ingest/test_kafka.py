"""Against the real Kafka: every distinct article exactly once, nothing lost while it is down.

Read back with an independent read_committed consumer up to the topic's end
offsets, so "exactly once" is counted, not waited for.
"""

from __future__ import annotations

import dataclasses
import socket
from collections import Counter

import pytest

from contract.records import decode_article
from ingest.metrics import Metrics
from ingest.poller import Poller
from ingest.publish import ProducerOptions, Publisher
from tests.ingest.conftest import FIXTURE_ARTICLES, fixture_feeds
from tests.topics import read_committed

pytestmark = pytest.mark.kafka


def read_all(settings):
    """Every committed message on the raw topic, read from the start by a fresh consumer."""
    return read_committed(settings.kafka_bootstrap_servers, settings.topic_raw)


def poller_for(settings, options=None):
    metrics = Metrics()
    publisher = Publisher(settings, options=options, metrics=metrics)
    return Poller(settings, publisher=publisher, metrics=metrics)


async def test_fixtures_reach_kafka_exactly_once(server, fast, kafka_bootstrap):
    settings = dataclasses.replace(fast, kafka_bootstrap_servers=kafka_bootstrap)
    feeds = fixture_feeds(server)
    poller = poller_for(settings)
    try:
        first = await poller.run_cycle(feeds)
        second = await poller.run_cycle(feeds)
    finally:
        await poller.aclose()
    messages = read_all(settings)

    assert first.published == FIXTURE_ARTICLES
    assert second.published == 0 and second.not_modified == len(feeds)
    assert len(messages) == FIXTURE_ARTICLES
    keys = Counter(m.key.decode() for m in messages)
    assert set(keys.values()) == {1}
    for message in messages:
        article = decode_article(message.value)
        assert article.id == message.key.decode()
        assert dict(message.headers)["schema_version"] == b"1"
    sources = {decode_article(m.value).source.name for m in messages}
    assert len(sources) == len(feeds)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_kafka_down_then_up_loses_nothing_and_duplicates_nothing(
    server, fast, kafka_bootstrap
):
    feeds = fixture_feeds(server)
    down = dataclasses.replace(fast, kafka_bootstrap_servers=f"127.0.0.1:{closed_port()}")
    options = ProducerOptions(bootstrap_timeout_ms=1000, max_block_ms=1000)
    poller = poller_for(down, options)
    try:
        report = await poller.run_cycle(feeds)
        assert (report.published, report.pending) == (0, FIXTURE_ARTICLES)
        assert poller.state.seen_count() == 0  # nothing marked seen without an ack
    finally:
        await poller.aclose()

    up = dataclasses.replace(fast, kafka_bootstrap_servers=kafka_bootstrap)
    poller = poller_for(up)
    try:
        report = await poller.run_cycle(feeds)  # feeds answer 304; the outbox publishes
        again = await poller.run_cycle(feeds)
    finally:
        await poller.aclose()
    assert report.not_modified == len(feeds) and report.published == FIXTURE_ARTICLES
    assert again.published == 0 and again.pending == 0
    messages = read_all(up)
    assert len(messages) == FIXTURE_ARTICLES
    assert sorted(Counter(m.key for m in messages).values()) == [1] * FIXTURE_ARTICLES
