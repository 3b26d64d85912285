"""Outbox -> Kafka, each article exactly once, every call bounded in time.

A batch of articles is published in one Kafka transaction (kafka-python's
transactional producer: idempotent, ``acks="all"``) together with one
record on the publish ledger (``<raw topic>.ledger``, compacted, keyed by
the writer) saying "batch N of this writer". Consumers reading with
``isolation_level=read_committed`` (the processors do) see all of a batch
or none of it.

The poller's state numbers the batch before it is sent. If anything goes
wrong (a timeout, a broker restart, the process killed) the outcome may be
unknown; the next attempt starts a new producer with the same
transactional id, which fences the old one and lets the broker finish or
abort its transaction, and then reads the ledger: batch N is there if and
only if its articles are. This is how Kafka Connect's exactly-once source
connectors keep their source offsets (KIP-618).

Every call is bounded: connecting by ``bootstrap_timeout_ms``, metadata and
``init_transactions`` by ``max_block_ms``, the sends and the commit by
``batch_timeout``, the ledger read by ``ledger_timeout``. A broker that does
not answer is a :class:`ServiceUnavailable`, the producer is discarded, and
the articles stay pending for the next attempt.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from contract.errors import ServiceUnavailable
from contract.kafka_admin import ensure_topics, ledger_topic
from contract.records import SCHEMA_VERSION
from contract.settings import Settings
from ingest.metrics import Metrics
from ingest.state import Batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProducerOptions:
    """Producer time bounds; tests shorten them to see Kafka-down quickly."""

    bootstrap_timeout_ms: int = 10_000
    max_block_ms: int = 10_000
    request_timeout_ms: int = 10_000
    delivery_timeout_ms: int = 30_000
    # The broker aborts a transaction left open longer than this (a poller killed mid-batch).
    transaction_timeout_ms: int = 60_000
    batch_timeout: float = 30.0  # seconds for a batch's sends and its commit
    ledger_timeout: float = 15.0  # seconds to read the ledger after a failure
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
        self._writer = ""

    # -- the two operations the poller needs ----------------------------------

    def publish(self, batch: Batch) -> None:
        """Send ``batch`` in one transaction; return once it is committed.

        Raises ``ServiceUnavailable`` when the outcome is not a commit (or is
        unknown); :meth:`committed` then tells which it was.
        """
        from kafka.errors import KafkaError

        producer = self._connect(batch.writer)
        deadline = time.monotonic() + self.options.batch_timeout
        try:
            producer.begin_transaction()
            futures = [self._send(producer, item) for item in batch.items]
            futures.append(
                producer.send(
                    ledger_topic(self.settings),
                    key=batch.writer.encode(),
                    value=json.dumps(
                        {"batch": batch.number, "articles": len(batch.items)}
                    ).encode(),
                )
            )
            for future in futures:
                future.get(timeout=max(0.001, deadline - time.monotonic()))
            end_transaction(producer, commit=True, timeout=deadline - time.monotonic())
        except KafkaError as exc:
            self.metrics.publish_failures.inc()
            self._discard()
            raise ServiceUnavailable(
                f"Kafka did not commit batch {batch.number} ({len(batch.items)} articles): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self.metrics.published.inc(len(batch.items))

    def committed(self, batch: Batch) -> bool:
        """Was ``batch`` committed? Asked about a batch whose outcome is unknown.

        A new producer with the batch's transactional id first fences any
        earlier one and waits for its transaction to be committed or
        aborted; then the ledger holds the answer.
        """
        self._discard()
        self._connect(batch.writer)
        last = self._last_ledger_entry(batch.writer)
        log.info(
            "batch %d of %s was %s (ledger: last batch %s)",
            batch.number,
            batch.writer,
            "committed" if last >= batch.number else "not committed",
            last or "none",
        )
        return last >= batch.number

    def close(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                producer.close(timeout=5)
            except Exception:  # noqa: BLE001 - closing must not hang or raise
                _force_close(producer)

    # -- Kafka ---------------------------------------------------------------

    def _send(self, producer: Any, item: Any) -> Any:
        started = time.monotonic()
        future = producer.send(
            self.settings.topic_raw,
            key=item.id.encode("utf-8"),
            value=item.payload,
            headers=[
                ("schema_version", str(SCHEMA_VERSION).encode()),
                ("content_hash", item.content_hash.encode()),
                ("disposition", item.disposition.encode()),
            ],
        )
        latency = self.metrics.publish_latency
        future.add_callback(lambda _md: latency.observe(time.monotonic() - started))
        return future

    def _connect(self, writer: str) -> Any:
        """A producer whose transactions are initialised for ``writer``."""
        if self._producer is not None and self._writer == writer:
            return self._producer
        self._discard()
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        o = self.options
        servers = self.settings.kafka_bootstrap_servers
        try:
            if o.ensure_topics:
                ensure_topics(self.settings, timeout_ms=o.bootstrap_timeout_ms)
            producer = KafkaProducer(
                bootstrap_servers=servers.split(","),
                client_id="newsstream-ingest",
                transactional_id=writer,
                transaction_timeout_ms=o.transaction_timeout_ms,
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
            raise ServiceUnavailable(f"Kafka at {servers} is unreachable: {exc}") from exc
        try:
            producer.init_transactions()  # bounded by max_block_ms
        except KafkaError as exc:
            _force_close(producer)
            raise ServiceUnavailable(
                f"Kafka at {servers} did not initialise transactions: {type(exc).__name__}: {exc}"
            ) from exc
        self._producer, self._writer = producer, writer
        return producer

    def _discard(self) -> None:
        """Drop the producer without waiting: its transaction, if any, is left to
        the broker (the next producer with its id aborts it)."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            _force_close(producer)

    def _last_ledger_entry(self, writer: str) -> int:
        """The highest batch number ``writer`` has committed to the ledger (0: none)."""
        from kafka import KafkaConsumer, TopicPartition
        from kafka.errors import KafkaError

        o = self.options
        deadline = time.monotonic() + o.ledger_timeout
        partition = TopicPartition(ledger_topic(self.settings), 0)
        last = 0
        try:
            consumer = KafkaConsumer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers.split(","),
                client_id="newsstream-ingest-ledger",
                group_id=None,
                enable_auto_commit=False,
                isolation_level="read_committed",
                request_timeout_ms=o.request_timeout_ms,
                bootstrap_timeout_ms=o.bootstrap_timeout_ms,
            )
        except KafkaError as exc:
            raise ServiceUnavailable(f"could not read the publish ledger: {exc}") from exc
        try:
            consumer.assign([partition])
            consumer.seek_to_beginning(partition)
            # Every record below the high watermark is decided once it can be
            # read with read_committed (another writer's open transaction can
            # hold it back for a while; then this waits, within its bound).
            end = _high_watermark(self.settings, partition, o)
            while consumer.position(partition) < end:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ServiceUnavailable(
                        f"the publish ledger was not readable to offset {end} "
                        f"within {o.ledger_timeout:.0f}s"
                    )
                for records in consumer.poll(timeout_ms=int(min(remaining, 1.0) * 1000)).values():
                    for record in records:
                        if record.key == writer.encode() and record.value:
                            last = max(last, int(json.loads(record.value)["batch"]))
        except KafkaError as exc:
            raise ServiceUnavailable(f"could not read the publish ledger: {exc}") from exc
        finally:
            consumer.close()
        return last


def _high_watermark(settings: Settings, partition: Any, options: ProducerOptions) -> int:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        client_id="newsstream-ingest-ledger",
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=options.request_timeout_ms,
        bootstrap_timeout_ms=options.bootstrap_timeout_ms,
    )
    try:
        return int(consumer.end_offsets([partition])[partition])
    finally:
        consumer.close()


def end_transaction(producer: Any, *, commit: bool, timeout: float) -> None:
    """Commit (or abort) the open transaction, waiting at most ``timeout`` seconds.

    kafka-python 3.0.12's ``commit_transaction()`` and ``abort_transaction()``
    wait for the broker without a bound (the Java client got one in
    KAFKA-7763); these are the same three steps with a bound.
    """
    from kafka.errors import KafkaTimeoutError

    manager = producer._transaction_manager
    result = manager.begin_commit() if commit else manager.begin_abort()
    producer._sender.wakeup()
    if not result.wait(timeout_ms=max(1, int(timeout * 1000))):
        raise KafkaTimeoutError(
            f"transaction not {'committed' if commit else 'aborted'} within {timeout:.1f}s"
        )


def _force_close(producer: Any) -> None:
    """Close without waiting for records in flight.

    ``close(timeout=0)`` raises before it stops the I/O thread when records
    are still in flight, so the thread is then stopped directly.
    """
    try:
        producer.close(timeout=0)
    except Exception:  # noqa: BLE001 - a broken producer must still go away
        producer._sender.force_close()
