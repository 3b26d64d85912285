"""The recognise stage on the real Kafka, through a real worker process."""

from __future__ import annotations

import json
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer

from contract.kafka_admin import ensure_topics
from contract.records import decode_enriched, encode
from newsstream.workers import running_worker
from processors.enrichment.pipeline import enrich
from processors.enrichment.samples import make_article
from processors.groups import DEFAULT_STAGES, app_id_for
from tests.processors.recognition.test_models import TEXT, TITLE

POISON = b'{"article": "not an enriched article"}'


def _read_until(settings, done, timeout: float = 90.0, linger: float = 2.0) -> dict:
    """Records of the enriched and dead-letter topics, read until ``done(got)`` (plus a
    little longer, so that something unwanted would show up too)."""
    topics = [settings.topic_enriched, settings.topic_deadletter]
    consumer = KafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    got: dict[str, list] = {t: [] for t in topics}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    got[record.topic].append(record)
            if done(got):
                deadline = min(deadline, time.monotonic() + linger)
    finally:
        consumer.close()
    return got


def test_each_set_of_stages_has_its_own_consumer_group(settings):
    # Stages reading the same topic must not split its partitions between them.
    groups = {
        app_id_for(settings, stages)
        for stages in (("recognise",), ("index",), ("alerts",), DEFAULT_STAGES)
    }
    assert len(groups) == 4
    assert app_id_for(settings, DEFAULT_STAGES) == settings.processor_group
    assert app_id_for(settings, ("alerts", "index")) == app_id_for(settings, ("index", "alerts"))


@pytest.mark.kafka
def test_worker_adds_names_to_articles_with_a_model_only_and_parks_poison(
    kafka_bootstrap, settings, tmp_path, french_model
):
    ensure_topics(settings)
    french = enrich(make_article(TITLE, TEXT, url="https://example.fr/tramway"))
    other = enrich(
        make_article(  # Swedish: a language without a model
            "Regeringen avgår",
            "Statsministern meddelade på tisdagen i Stockholm att regeringen avgår.",
            url="https://example.se/regeringen",
        )
    )
    assert (french.language.code, other.language.code) == ("fr", "sv")
    assert "Jeanne Roussel-Marchand" not in {e.name for e in french.entities}

    with running_worker(settings, ("recognise",), log_path=tmp_path / "w.log"):
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
        for key, value in (
            (other.id.encode(), encode(other)),
            (b"poison", POISON),
            (french.id.encode(), encode(french)),
        ):
            producer.send(settings.topic_enriched, key=key, value=value, partition=0)
        producer.flush()
        producer.close()
        got = _read_until(
            settings,
            lambda g: (
                len(g[settings.topic_enriched]) >= 4 and len(g[settings.topic_deadletter]) >= 1
            ),
        )

    versions: dict[bytes, list] = {}
    for record in got[settings.topic_enriched]:
        if record.key != b"poison":
            versions.setdefault(record.key, []).append(decode_enriched(record.value))
    assert len(versions[other.id.encode()]) == 1  # no model for Swedish: not re-sent
    first, second = versions[french.id.encode()]  # its own output is not re-sent either
    assert "recognition" not in first.versions
    assert second.versions["recognition"] == "crf/fr-1.0.0"
    person = {e.name: e for e in second.entities}["Jeanne Roussel-Marchand"]
    assert person.type == "PER" and person.count == 3
    assert person.source == "crf:fr-1.0.0"
    assert second.article == first.article and second.topics == first.topics

    [parked] = got[settings.topic_deadletter]
    letter = json.loads(parked.value)
    assert (letter["stage"], letter["error_type"]) == ("recognise", "InvalidMessage")
    assert letter["topic"] == settings.topic_enriched and letter["key"] == "poison"
    assert letter["original"] == POISON.decode()
