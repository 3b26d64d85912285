"""The stage harness on the real Kafka, through real worker processes.

What only a broker can show: an output the broker refuses parks its message,
and a message whose dead-letter record the broker refuses too stays
uncommitted and is delivered again after a restart.
"""

from __future__ import annotations

import json
import time

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from contract.kafka_admin import ensure_topics
from contract.records import encode
from contract.settings import Settings
from newsstream.workers import running_worker
from processors.enrichment.samples import make_article
from processors.groups import app_id_for

pytestmark = pytest.mark.kafka

SMALL = "8000"  # bytes: max.message.bytes of a topic made to refuse records


def admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))


def create_small_topic(settings: Settings, name: str, partitions: int) -> None:
    client = admin(settings)
    try:
        client.create_topics(
            [NewTopic(name, partitions, 1, topic_configs={"max.message.bytes": SMALL})]
        )
    finally:
        client.close()


def set_max_message_bytes(settings: Settings, name: str, value: str) -> None:
    client = admin(settings)
    try:
        client.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, configs={"max.message.bytes": value})]
        )
    finally:
        client.close()


def produce(settings: Settings, records: list[tuple[bytes | None, bytes]]) -> list[int]:
    """Send to partition 0 of the raw topic; the offsets they got."""
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","), acks="all"
    )
    futures = [producer.send(settings.topic_raw, key=k, value=v, partition=0) for k, v in records]
    producer.flush()
    producer.close()
    return [f.get(timeout=10).offset for f in futures]


def read_all(settings: Settings, topic: str, *, wanted: int, timeout: float = 60.0) -> list:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
    )
    got: list = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < wanted and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                got += records
    finally:
        consumer.close()
    return got


def committed(settings: Settings, stages: tuple[str, ...]) -> int | None:
    """The group's committed offset on partition 0 of the raw topic."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        group_id=app_id_for(settings, stages),
        enable_auto_commit=False,
    )
    try:
        return consumer.committed(TopicPartition(settings.topic_raw, 0))
    finally:
        consumer.close()


def wait_until(what: str, check, timeout: float = 60.0, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:] if log else ""
    raise AssertionError(f"gave up waiting for {what}\n{tail}")


def test_an_output_the_broker_refuses_parks_its_message(kafka_bootstrap, settings, tmp_path):
    # The enriched topic takes small records only: a long article's output is refused
    # by the broker after the handler succeeded.
    create_small_topic(settings, settings.topic_enriched, settings.topic_partitions)
    ensure_topics(settings)
    short = make_article("Kort", "Maduro.", url="https://example.org/short")
    long = make_article(
        "Lang", "Nicolás Maduro sprak in Caracas. " * 120, url="https://example.org/long"
    )
    with running_worker(settings, ("enrich",), log_path=tmp_path / "w.log"):
        # One at a time: the limit applies to a batch of records as the producer sends it.
        offsets = produce(settings, [(long.id.encode(), encode(long))])
        [letter] = read_all(settings, settings.topic_deadletter, wanted=1)
        produce(settings, [(short.id.encode(), encode(short))])
        [out] = read_all(settings, settings.topic_enriched, wanted=1)
    record = json.loads(letter.value)
    assert record["stage"] == "enrich"
    assert "TooLarge" in record["error_type"]
    assert (record["topic"], record["offset"]) == (settings.topic_raw, offsets[0])
    assert record["original"].encode() == encode(long)
    assert out.key == short.id.encode()


def test_a_message_that_cannot_be_parked_is_redelivered_after_a_restart(
    kafka_bootstrap, settings, tmp_path
):
    # The dead-letter topic refuses records at first: the poison message cannot be
    # parked, so it must stay uncommitted while the messages after it are enriched.
    create_small_topic(settings, settings.topic_deadletter, 3)
    ensure_topics(settings)
    poison = b"\xff not json " + b"x" * 9000
    before = make_article("Voor", "Maduro in Caracas.", url="https://example.org/before")
    after = make_article("Na", "Guaidó in Caracas.", url="https://example.org/after")
    stages = ("enrich",)
    log = tmp_path / "first.log"
    with running_worker(settings, stages, log_path=log):
        offsets = produce(
            settings,
            [
                (before.id.encode(), encode(before)),
                (b"poison", poison),
                (after.id.encode(), encode(after)),
            ],
        )
        enriched = read_all(settings, settings.topic_enriched, wanted=2)
        assert {r.key for r in enriched} == {before.id.encode(), after.id.encode()}
        wait_until("the failed park", lambda: "could not park" in log.read_text(), log=log)
        wait_until(
            "the commit before the poison",
            lambda: committed(settings, stages) == offsets[1],
            log=log,
        )
    # Stopped cleanly: everything acknowledged was committed, the poison was not.
    assert committed(settings, stages) == offsets[1]
    assert read_all(settings, settings.topic_deadletter, wanted=1, timeout=3) == []

    set_max_message_bytes(settings, settings.topic_deadletter, "1048588")
    log = tmp_path / "second.log"
    with running_worker(settings, stages, log_path=log):
        [letter] = read_all(settings, settings.topic_deadletter, wanted=1)
        wait_until(
            "the commit after the poison",
            lambda: committed(settings, stages) == offsets[2] + 1,
            log=log,
        )
    record = json.loads(letter.value)
    assert (record["stage"], record["offset"]) == ("enrich", offsets[1])
    assert record["error_type"] == "InvalidMessage"
