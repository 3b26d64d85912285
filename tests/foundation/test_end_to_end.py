"""The foundation on the real servers: kafka-python -> Faust -> Elasticsearch."""

from __future__ import annotations

import json
import time

from kafka import KafkaProducer

from contract.kafka_admin import ensure_topics
from newsstream.workers import running_worker


def test_message_flows_from_kafka_through_faust_into_a_full_text_search(
    kafka_bootstrap, es_client, settings, tmp_path
):
    ensure_topics(settings)
    doc = {
        "id": "foundation-1",
        "title": "Stroompanne in Venezuela",
        "text": "De ergste stroompanne uit de geschiedenis van het land treft Caracas.",
    }
    try:
        with running_worker(
            settings, log_path=tmp_path / "worker.log", module="tests.foundation.relay_worker"
        ):
            producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
            producer.send(settings.topic_raw, key=b"foundation-1", value=json.dumps(doc).encode())
            producer.flush(timeout=30)
            producer.close()

            hits: list = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not hits:
                if es_client.indices.exists(index=settings.index_articles):
                    es_client.indices.refresh(index=settings.index_articles)
                    result = es_client.search(
                        index=settings.index_articles,
                        query={"match": {"text": "stroompanne"}},
                    )
                    hits = result["hits"]["hits"]
                time.sleep(0.5)
        assert [h["_id"] for h in hits] == ["foundation-1"]
        assert hits[0]["_source"]["title"] == "Stroompanne in Venezuela"
    finally:
        es_client.indices.delete(index=settings.index_articles, ignore_unavailable=True)
