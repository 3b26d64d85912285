"""Poison records through a real worker: each one ends indexed or dead-lettered.

Non-JSON, wrong shapes, unknown nested fields, an oversized article, an
empty text, a null key and a null value go onto the raw topic (and an
enriched record with unknown nested fields onto the enriched topic) of a
worker running every default stage; afterwards each is a document in
Elasticsearch or a record on the dead-letter topic, never neither.
"""

from __future__ import annotations

import json
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer

from contract.kafka_admin import ensure_topics
from contract.records import encode
from newsstream.workers import running_worker
from processors.enrichment.samples import SEED_ARTICLE, make_article
from search.index_template import delete_index_layout
from search.layout import IndexLayout
from tests.search.factories import enriched

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]


def _with_unknown_fields(raw: bytes, *paths: tuple) -> bytes:
    data = json.loads(raw)
    for path in paths:
        node = data
        for step in path:
            node = node[step]
        node["added_later"] = {"nested": [1, {"deeper": True}]}
    return json.dumps(data).encode()


def _poison(settings) -> list[tuple[str, str, bytes | None, bytes | None, str]]:
    """(name, topic, key, value, article id or "") of every poison record."""
    nested = make_article(
        "Onbekende velden",
        "Nicolás Maduro sprak in Caracas.",
        url="https://example.org/poison/nested",
    )
    big_text = "\n".join([SEED_ARTICLE.read_text(encoding="utf-8")] * 200)[:950_000]
    big = make_article("Te groot", big_text, url="https://example.org/poison/oversized")
    empty = make_article("Lege tekst", "", url="https://example.org/poison/empty")
    keyless = make_article(
        "Geen sleutel", "Juan Guaidó in Caracas.", url="https://example.org/poison/keyless"
    )
    record = enriched(
        7,
        title="Enriched with more fields",
        entities=(("PER", "Olaf Scholz"),),
        url="https://example.org/poison/enriched-nested",
    )
    raw, done = settings.topic_raw, settings.topic_enriched
    return [
        ("non-JSON", raw, b"p1", b"\xff\xfe<rss>not json</rss>", ""),
        ("JSON array", raw, b"p2", b'["an", "array"]', ""),
        ("wrong shape", raw, b"p3", b'{"id": "x", "published": "y", "source": "nope"}', ""),
        (
            "unknown nested fields",
            raw,
            nested.id.encode(),
            _with_unknown_fields(encode(nested), (), ("source",)),
            nested.id,
        ),
        ("oversized", raw, big.id.encode(), encode(big), big.id),
        ("empty text", raw, empty.id.encode(), encode(empty), empty.id),
        ("null key", raw, None, encode(keyless), keyless.id),
        ("null value", raw, b"p8", None, ""),
        (
            "enriched, unknown nested fields",
            done,
            record.id.encode(),
            _with_unknown_fields(
                encode(record),
                ("language",),
                ("entities", 0),
                ("topics", 0),
                ("article",),
            ),
            record.id,
        ),
    ]


def test_every_poison_record_is_indexed_or_dead_lettered(es_client, settings, tmp_path):
    ensure_topics(settings)
    poison = _poison(settings)
    log = tmp_path / "worker.log"
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        acks="all",
        max_request_size=2_000_000,
    )
    try:
        with running_worker(settings, log_path=log):
            sent = [
                producer.send(topic, key=key, value=value, partition=0)
                for _name, topic, key, value, _id in poison
            ]
            producer.flush()
            offsets = [f.get(timeout=30).offset for f in sent]
            outcome = _wait_for_every_record(es_client, settings, poison, offsets, log)
    finally:
        producer.close()
        delete_index_layout(es_client, IndexLayout(settings.index_articles))
    neither = [name for name, result in outcome.items() if not result]
    assert not neither, f"neither indexed nor dead-lettered: {neither}"
    assert outcome["unknown nested fields"] == "indexed"
    assert outcome["enriched, unknown nested fields"] == "indexed"
    assert outcome["null key"] == "indexed"
    assert outcome["non-JSON"].startswith("parked: InvalidMessage: not JSON: not UTF-8")


def _wait_for_every_record(es_client, settings, poison, offsets, log, timeout=120.0) -> dict:
    consumer = KafkaConsumer(
        settings.topic_deadletter,
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=500,
        max_partition_fetch_bytes=4_000_000,
    )
    letters: list[dict] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            for records in consumer.poll(timeout_ms=500).values():
                letters += [json.loads(r.value) for r in records]
            indexed = _indexed_ids(es_client, settings)
            outcome = {}
            for (name, topic, _key, _value, article), offset in zip(poison, offsets, strict=True):
                parked = [d for d in letters if (d["topic"], d["offset"]) == (topic, offset)]
                if article and article in indexed:
                    outcome[name] = "indexed"
                elif parked:
                    outcome[name] = f"parked: {parked[0]['error_type']}: {parked[0]['error']}"
                else:
                    outcome[name] = ""
            if all(outcome.values()) or time.monotonic() > deadline:
                return outcome
    finally:
        consumer.close()


def _indexed_ids(es_client, settings) -> set[str]:
    es_client.indices.refresh(index=settings.index_articles, ignore_unavailable=True)
    hits = es_client.search(
        index=settings.index_articles,
        size=100,
        ignore_unavailable=True,
        allow_no_indices=True,
        query={"match_all": {}},
        source=False,
    )["hits"]["hits"]
    return {h["_id"] for h in hits}
