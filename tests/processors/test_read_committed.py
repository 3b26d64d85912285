"""Workers read only committed records: an aborted publish never becomes an article."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaProducer

from contract.kafka_admin import ensure_topics
from contract.records import encode
from newsstream.workers import running_worker
from processors.enrichment.samples import make_article
from tests.topics import read_committed

pytestmark = pytest.mark.kafka


def test_worker_skips_an_aborted_transaction(kafka_bootstrap, settings, tmp_path, unique):
    ensure_topics(settings)
    aborted = make_article("Aborted", "Never committed to the topic.", url="https://example.org/x")
    committed = make_article("Committed", "Committed after it.", url="https://example.org/y")
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        transactional_id=f"test-{unique}",
    )
    producer.init_transactions()
    for article, commit in ((aborted, False), (committed, True)):
        producer.begin_transaction()  # both on partition 0: the aborted one comes first
        producer.send(
            settings.topic_raw, key=article.id.encode(), value=encode(article), partition=0
        )
        producer.flush(timeout=10)
        (producer.commit_transaction if commit else producer.abort_transaction)()
    producer.close(timeout=5)

    with running_worker(settings, ("enrich",), log_path=tmp_path / "w.log"):
        deadline = time.monotonic() + 60
        keys: list[str] = []
        while committed.id not in keys and time.monotonic() < deadline:
            time.sleep(0.5)
            keys = [
                r.key.decode()
                for r in read_committed(settings.kafka_bootstrap_servers, settings.topic_enriched)
            ]
    assert keys == [committed.id]  # in partition order, so the aborted one was passed over
