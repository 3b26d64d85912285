"""Outbox -> Kafka, acknowledged or not at all.

The producer is kafka-python's with the settings of one that must not lose
or duplicate data: ``acks="all"``, retries bounded only by
``delivery_timeout_ms``, idempotence on (kafka-python 3 supports it and
turns it on with acks=all), gzip compression (lz4 when the ``lz4`` package
is installed; kafka-python needs no extra package for gzip). Each message
is keyed by the article id and carries ``schema_version``, ``content_hash``
and ``disposition`` headers.

:meth:`Publisher.publish` sends a batch, waits for the outcome of every
message and returns those the broker acknowledged; only those are marked
seen by the caller. When Kafka is unreachable it raises
``ServiceUnavailable`` and everything stays pending for the next attempt.
The producer is created lazily (and topics ensured) on first use, so a
poller started while Kafka is down keeps polling and catches up later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ingest.metrics import Metrics
from ingest.state import PendingItem
from newsstream.contract.errors import ServiceUnavailable
from newsstream.contract.records import SCHEMA_VERSION
from newsstream.contract.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProducerOptions:
    """Producer timeouts; tests shorten them to see Kafka-down quickly."""

    bootstrap_timeout_ms: int = 10_000
    max_block_ms: int = 10_000
    request_timeout_ms: int = 10_000
    delivery_timeout_ms: int = 30_000
    linger_ms: int = 10
    ensure_topics: bool = True


def compression() -> str:
    from kafka.codec import has_lz4

    return "lz4" if has_lz4() else "gzip"


class Publisher:
    def __init__(
        self,
        settings: Settings,
        *,
        options: ProducerOptions | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.options = options or ProducerOptions()
        self.metrics = metrics or Metrics()
        self._producer: Any = None

    def _connect(self) -> Any:
        if self._producer is not None:
            return self._producer
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        o = self.options
        try:
            producer = KafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers.split(","),
                client_id="newsstream-ingest",
                acks="all",
                enable_idempotence=True,
                compression_type=compression(),
                linger_ms=o.linger_ms,
                bootstrap_timeout_ms=o.bootstrap_timeout_ms,
                max_block_ms=o.max_block_ms,
                request_timeout_ms=o.request_timeout_ms,
                delivery_timeout_ms=o.delivery_timeout_ms,
            )
        except KafkaError as exc:
            raise ServiceUnavailable(
                f"Kafka at {self.settings.kafka_bootstrap_servers} is unreachable: {exc}"
            ) from exc
        if o.ensure_topics:
            from newsstream.kafka_admin import ensure_topics

            try:
                ensure_topics(self.settings)
            except ServiceUnavailable:
                producer.close(timeout=1)
                raise
        self._producer = producer
        return producer

    def publish(self, items: Sequence[PendingItem]) -> list[PendingItem]:
        """Send ``items``; return the ones Kafka acknowledged."""
        if not items:
            return []
        from kafka.errors import KafkaError

        producer = self._connect()
        topic = self.settings.topic_raw
        sent: list[tuple[PendingItem, Any]] = []
        failure: Exception | None = None
        latency = self.metrics.publish_latency
        for item in items:
            started = time.monotonic()
            try:
                future = producer.send(
                    topic,
                    key=item.id.encode("utf-8"),
                    value=item.payload,
                    headers=[
                        ("schema_version", str(SCHEMA_VERSION).encode()),
                        ("content_hash", item.content_hash.encode()),
                        ("disposition", item.disposition.encode()),
                    ],
                )
            except KafkaError as exc:  # metadata unavailable within max_block_ms
                failure = exc
                break
            future.add_callback(lambda _md, t=started: latency.observe(time.monotonic() - t))
            sent.append((item, future))
        producer.flush()  # bounded by delivery_timeout_ms
        acked = [item for item, future in sent if future.succeeded()]
        if len(acked) < len(items):
            self.metrics.publish_failures.inc()
            failed = next((f.exception for _, f in sent if f.failed()), None) or failure
            log.warning(
                "Kafka acknowledged %d of %d articles; the rest stay pending (%s)",
                len(acked), len(items), failed,
            )
            if not acked:
                raise ServiceUnavailable(f"Kafka did not acknowledge any article: {failed}")
        self.metrics.published.inc(len(acked))
        return acked

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
