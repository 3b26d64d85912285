"""The enrich stage on the real Kafka, through a real worker process."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace

import pytest
from kafka import KafkaConsumer, KafkaProducer

from contract.kafka_admin import ensure_topics
from contract.records import decode_enriched, encode
from newsstream.workers import running_worker
from processors.enrichment.samples import make_article

pytestmark = pytest.mark.kafka

POISON = b"\xff\xfe not json at all \x00"


def _collect(settings, topics: list[str], wanted: int, timeout: float = 90.0) -> dict:
    consumer = KafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=1000,
    )
    got: dict[str, list] = {t: [] for t in topics}
    deadline = time.monotonic() + timeout
    try:
        while sum(len(v) for v in got.values()) < wanted and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    got[record.topic].append(record)
    finally:
        consumer.close()
    return got


@pytest.mark.parametrize("offload", ["thread", "process"])
def test_worker_enriches_and_parks_poison_without_stopping(
    kafka_bootstrap, settings, seed_article, tmp_path, offload
):
    settings = replace(settings, stage_offload=offload)
    ensure_topics(settings)
    after = make_article(
        "Pompeo pulls US diplomats out of Venezuela",
        "Secretary of State Mike Pompeo said the embassy in Caracas will close this week.",
        url="https://example.org/a/after-poison",
    )
    with running_worker(settings, ("enrich",), log_path=tmp_path / "w.log"):
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
        for key, value in (
            (seed_article.id.encode(), encode(seed_article)),
            (b"poison", POISON),
            (after.id.encode(), encode(after)),
        ):
            producer.send(settings.topic_raw, key=key, value=value, partition=0)
        producer.flush()
        producer.close()
        got = _collect(settings, [settings.topic_enriched, settings.topic_deadletter], 3)

    enriched = {r.key.decode(): decode_enriched(r.value) for r in got[settings.topic_enriched]}
    assert set(enriched) == {seed_article.id, after.id}
    seed = enriched[seed_article.id]
    assert seed.language.code == "nl"
    types = {e.name: e.type for e in seed.entities}
    assert types["Nicolás Maduro"] == "PER" and types["Juan Guaidó"] == "PER"
    assert types["Venezuela"] == "LOC" and types["Caracas"] == "LOC"
    assert "politics" in [t.label for t in seed.topics]
    assert seed.raw_timestamp_ms > 0
    assert "Mike Pompeo" in {e.name for e in enriched[after.id].entities}

    [parked] = got[settings.topic_deadletter]
    letter = json.loads(parked.value)
    assert letter["stage"] == "enrich"
    assert letter["error_type"] == "InvalidMessage"
    assert letter["topic"] == settings.topic_raw
    assert base64.b64decode(letter["original_b64"]) == POISON
