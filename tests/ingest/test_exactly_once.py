"""Against the real Kafka: a batch is on the raw topic once, whatever breaks when.

Each test breaks the publishing of one batch at a different moment, then
lets a restarted poller (same state file) carry on, and counts what a
read_committed consumer sees.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections import Counter

import pytest

from contract.errors import ServiceUnavailable
from ingest.metrics import Metrics
from ingest.poller import Poller
from ingest.publish import ProducerOptions, Publisher
from ingest.state import Batch, State
from tests.ingest.conftest import FIXTURE_ARTICLES, fixture_feeds
from tests.topics import read_committed

pytestmark = pytest.mark.kafka


def poller_for(settings, options=None):
    metrics = Metrics()
    return Poller(
        settings, publisher=Publisher(settings, options=options, metrics=metrics), metrics=metrics
    )


def keys(messages) -> Counter[str]:
    return Counter(m.key.decode() for m in messages)


async def queue_fixtures(settings, server) -> State:
    """Poll the fixture feeds with Kafka 'down', so every article is pending;
    return the state, its failed batch settled as not committed."""
    down = dataclasses.replace(settings, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")
    poller = poller_for(down, ProducerOptions(bootstrap_timeout_ms=500, max_block_ms=500))
    try:
        report = await poller.run_cycle(fixture_feeds(server))
    finally:
        await poller.aclose()
    assert report.pending == FIXTURE_ARTICLES
    state = State.open(settings.data_path)
    state.settle(state.open_batch(), committed=False)
    return state


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def kafka_settings(fast, kafka_bootstrap):
    return dataclasses.replace(fast, kafka_bootstrap_servers=kafka_bootstrap)


async def test_commit_whose_answer_is_lost_is_not_published_again(server, kafka_settings):
    """Committed on Kafka, then the poller dies before it notes it: the ledger knows."""
    state = await queue_fixtures(kafka_settings, server)
    batch = state.start_batch(1000)
    publisher = Publisher(kafka_settings)
    publisher.publish(batch)  # committed; the poller 'dies' before settling it
    publisher.close()
    state.close()

    poller = poller_for(kafka_settings)
    try:
        report = await poller.run_cycle(fixture_feeds(server))
        assert poller.state.open_batch() is None
        assert poller.state.seen_count() == FIXTURE_ARTICLES
    finally:
        await poller.aclose()
    assert report.pending == 0 and report.published == FIXTURE_ARTICLES  # settled, not resent
    assert (
        sorted(
            keys(
                read_committed(kafka_settings.kafka_bootstrap_servers, kafka_settings.topic_raw)
            ).values()
        )
        == [1] * FIXTURE_ARTICLES
    )


async def test_transaction_abandoned_mid_batch_is_aborted_and_sent_again_once(
    server, kafka_settings
):
    """Records written, no commit (poller killed): read_committed consumers never see them."""
    state = await queue_fixtures(kafka_settings, server)
    batch = state.start_batch(1000)
    publisher = Publisher(kafka_settings)
    producer = publisher._connect(batch.writer)
    producer.begin_transaction()
    for item in batch.items:
        producer.send(kafka_settings.topic_raw, key=item.id.encode(), value=item.payload)
    producer.flush(timeout=10)
    publisher._discard()  # gone without commit or abort, as after kill -9
    state.close()

    poller = poller_for(kafka_settings)
    try:
        report = await poller.run_cycle(fixture_feeds(server))
    finally:
        await poller.aclose()
    assert report.pending == 0 and report.published == FIXTURE_ARTICLES
    servers, topic = kafka_settings.kafka_bootstrap_servers, kafka_settings.topic_raw
    assert sorted(keys(read_committed(servers, topic)).values()) == [1] * FIXTURE_ARTICLES
    everything = read_committed(servers, topic, isolation="read_uncommitted")
    assert sorted(keys(everything).values()) == [2] * FIXTURE_ARTICLES  # the aborted copy is there


def test_a_broker_that_never_answers_is_an_error_not_a_hang(kafka_settings, unique):
    """A listener that accepts and stays silent: every call gives up within its bound."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    settings = dataclasses.replace(kafka_settings, kafka_bootstrap_servers=f"127.0.0.1:{port}")
    options = ProducerOptions(
        bootstrap_timeout_ms=1000,
        max_block_ms=1000,
        request_timeout_ms=1000,
        batch_timeout=2.0,
        ledger_timeout=2.0,
    )
    batch = Batch(writer=f"test-{unique}", number=1)
    outcome: list[BaseException] = []

    def attempt() -> None:
        publisher = Publisher(settings, options=options)
        for call in (publisher.publish, publisher.committed):
            try:
                call(batch)
            except BaseException as exc:  # noqa: BLE001 - the outcome is what is tested
                outcome.append(exc)
        publisher.close()

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=60)  # a hang detector, far above the bounds above
    silent.close()
    assert not thread.is_alive(), "publishing hung on a silent broker"
    assert [type(e) for e in outcome] == [ServiceUnavailable, ServiceUnavailable]
