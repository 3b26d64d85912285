"""Webhook delivery: one queue per receiver, each at its own pace.

Every receiver is a consumer group of its own on the alerts topic
(``<processor group>-webhook-<digest of its URL>``); the group's committed
offset is the receiver's place in its queue. Faust gives an app one
consumer group, so each queue reads Kafka with a consumer of its own, and
hands every fetched batch to the stage harness (``processors.stage``) as
stage ``alerts-webhook``: the harness decodes each alert, runs the delivery
handler, parks what fails on the dead-letter topic (its one dead-letter
builder) and acknowledges, exactly as in every Faust stage. A receiver is
sent its alerts in batches of up to ten at a time, each with the webhook
retry policy; an alert it still does not take is parked (the receiver's
answer in the reason) and its queue moves on. A failing or slow receiver
therefore holds back only itself: every other one has its own consumer,
its own offsets and its own retries.

A receiver seen for the first time starts at the end of the alerts topic
(its offsets are set before the worker joins any group), so adding a
webhook does not replay old alerts; ``newsstream alerts backfill`` sends
older ones explicitly. An alert's offset is committed only after the
harness acknowledged it (the receiver took it or its dead-letter record was
acknowledged; once per fetched batch, and at shutdown). An alert that
cannot even be parked holds back its partition's offset, as in any stage,
until the queue starts again. A worker stopping (SIGTERM) abandons the
delivery in flight at once: that alert is delivered again after the
restart (receivers get the alert id as ``Idempotency-Key``), never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

import faust
from prometheus_client import Counter as Metric

from contract.errors import NewsstreamError, ServiceUnavailable
from contract.records import Alert, decode_alert
from contract.retry import SERVER_RETRY, WEBHOOK_RETRY, RetryPolicy, retrying
from contract.settings import Settings
from processors.alerts.sinks import WebhookSink, webhook_sinks
from processors.stage import (
    PARK_BACKOFF,
    BatchHandler,
    BatchReport,
    Item,
    Message,
    Outcome,
    Stage,
    StageHarness,
    failed,
    handled,
)
from processors.topics import ProcessorTopics

log = logging.getLogger(__name__)

STAGE = "alerts-webhook"
WEBHOOKS = Metric(
    "newsstream_alert_webhooks",
    "Webhook deliveries by receiver (its URL's digest) and outcome",
    ["receiver", "outcome"],
)
BATCH = 10  # alerts fetched (and committed) at a time per receiver


def receiver_digest(url: str) -> str:
    """A name for the receiver at ``url`` that does not show it (URLs may hold tokens)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def receiver_group(settings: Settings, url: str) -> str:
    """The consumer group of the receiver at ``url``."""
    return f"{settings.processor_group}-webhook-{receiver_digest(url)}"


def start_at_end_if_new(settings: Settings, url: str, *, timeout_ms: int = 10_000) -> dict:
    """Give a receiver seen for the first time the alerts topic's end as its offsets.

    Partitions the receiver already has offsets for are left alone. Returns
    the offsets set, by partition.
    """
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        group_id=receiver_group(settings, url),
        enable_auto_commit=False,
        request_timeout_ms=timeout_ms,
        bootstrap_timeout_ms=timeout_ms,
        isolation_level="read_committed",
    )
    try:
        topic = settings.topic_alerts
        # A topic created a moment ago may not be in the metadata yet; without its
        # partitions nothing would be recorded and the receiver would look new again
        # at the next start, skipping what it had not been sent.
        deadline = time.monotonic() + timeout_ms / 1000
        while not (found := consumer.partitions_for_topic(topic)):
            if time.monotonic() > deadline:
                raise ServiceUnavailable(f"no partitions for {topic} in Kafka's metadata")
            time.sleep(0.5)
        partitions = [TopicPartition(topic, p) for p in sorted(found)]
        new = [tp for tp in partitions if consumer.committed(tp) is None]
        if not new:
            return {}
        ends = consumer.end_offsets(new)
        consumer.commit({tp: OffsetAndMetadata(ends[tp], "", -1) for tp in new})
        return {tp.partition: ends[tp] for tp in new}
    finally:
        consumer.close()


def delivery_handler(sink: WebhookSink, policy: RetryPolicy = WEBHOOK_RETRY) -> BatchHandler[Alert]:
    """The harness's handler for one receiver: a batch's alerts go out together
    (a burst is not sent one by one), each retried by ``policy``; one the
    receiver still does not take fails its message, which the harness parks."""
    receiver = receiver_digest(sink.url)

    async def deliver(alert: Alert) -> Outcome:
        try:
            await retrying(partial(sink.deliver, alert), policy, f"{sink.name} {alert.id}")
        except NewsstreamError as exc:
            WEBHOOKS.labels(receiver, "parked").inc()
            return failed(exc)
        WEBHOOKS.labels(receiver, "delivered").inc()
        return handled()

    async def handle(items: Sequence[Item[Alert]]) -> list[Outcome]:
        return list(await asyncio.gather(*(deliver(alert) for _, alert in items)))

    return handle


def message_of_record(record: Any) -> Message:
    """The harness's view of a record fetched by aiokafka."""
    return Message(
        value=record.value,
        key=record.key,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp or 0,
    )


class ReceiverQueue:
    """One receiver's queue: its own consumer group and retries; decoding,
    parking and acknowledging are the stage harness's."""

    def __init__(
        self,
        settings: Settings,
        sink: WebhookSink,
        topics: ProcessorTopics,
        *,
        policy: RetryPolicy = WEBHOOK_RETRY,
        park_backoff: RetryPolicy = PARK_BACKOFF,
        restart_retry: RetryPolicy = SERVER_RETRY,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.restart_retry = restart_retry
        self.restarts = 0
        stage = Stage(STAGE, decode_alert, delivery_handler(sink, policy), batch_size=BATCH)
        self.harness: StageHarness[Alert] = StageHarness(stage, topics, park_backoff=park_backoff)

    async def run(self) -> None:
        """Deliver until cancelled (the worker stopping); a Kafka failure (a broker
        restart, a rebalance in the middle of a batch) restarts the consumer after
        a pause, from the last committed offset."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the queue must outlive any one failure
                self.restarts += 1
                delay = self.restart_retry.delay(self.restarts)
                log.warning(
                    "%s: queue stopped (%s: %s); restarting in %.0fs",
                    self.sink.name,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)

    async def run_batch(
        self, messages: Sequence[Message]
    ) -> tuple[BatchReport, dict[tuple[str, int], int]]:
        """One fetched batch through the harness: its report and the offsets it
        acknowledged, by (topic, partition), to commit."""
        acked: dict[tuple[str, int], int] = {}

        async def ack(message: Message) -> None:
            acked[(message.topic, message.partition)] = message.offset + 1

        report = await self.harness.run_batch(messages, ack)
        return report, acked

    async def _consume(self) -> None:
        from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers.split(","),
            group_id=receiver_group(self.settings, self.sink.url),
            client_id="newsstream-webhooks",
            enable_auto_commit=False,
            # Partitions without offsets were created after the receiver started:
            # everything on them is new to it.
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            # A batch to a receiver that keeps timing out takes about a minute an
            # alert; the group must not think the queue died meanwhile.
            max_poll_interval_ms=BATCH * 120_000,
        )
        name = self.sink.name
        harness = self.harness
        # A new consumer starts from the committed offsets: nothing is held any more.
        harness.release(set(harness.held))

        class Listener(ConsumerRebalanceListener):
            async def on_partitions_revoked(self, revoked: set[Any]) -> None:
                # The partition's next owner starts from its committed offset.
                harness.release({(tp.topic, tp.partition) for tp in revoked})

            async def on_partitions_assigned(self, assigned: object) -> None:
                partitions = sorted(tp.partition for tp in assigned)  # type: ignore[attr-defined]
                log.info("%s: delivering from partitions %s", name, partitions)

        consumer.subscribe([self.settings.topic_alerts], listener=Listener())
        done: dict[TopicPartition, int] = {}  # acknowledged, not yet committed
        committing: asyncio.Future[None] | None = None
        try:
            await consumer.start()
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=BATCH)
                messages = [message_of_record(r) for records in batches.values() for r in records]
                if not messages:
                    continue
                _, acked = await self.run_batch(messages)
                done.update({TopicPartition(t, p): offset for (t, p), offset in acked.items()})
                if done:  # one commit per batch, overlapped with the next batch's deliveries
                    if committing is not None:
                        await committing
                    committing = asyncio.ensure_future(consumer.commit(done))
                    done = {}
        finally:
            with contextlib.suppress(Exception):
                if committing is not None:
                    await asyncio.wait_for(committing, 2)
                if done:
                    await asyncio.wait_for(consumer.commit(done), 2)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), 5)


def register_webhooks(app: faust.App, topics: ProcessorTopics, settings: Settings) -> list:
    """Start one delivery queue per configured receiver with the worker."""
    sinks = webhook_sinks(settings.webhook_url_list, settings.webhook_format, settings.user_agent)
    if not sinks:
        return []
    for sink in sinks:
        started = start_at_end_if_new(settings, sink.url)
        if started:
            log.info("%s: new receiver, starts at offsets %s", sink.name, started)
    queues = [ReceiverQueue(settings, sink, topics) for sink in sinks]
    log.info("alerts: delivering to %d webhook(s), each with its own queue", len(queues))

    running: list[asyncio.Future[None]] = []

    async def deliver_to_webhooks() -> None:
        running.extend(asyncio.ensure_future(queue.run()) for queue in queues)
        await asyncio.gather(*running, return_exceptions=True)

    app.task(deliver_to_webhooks)

    @app.on_before_shutdown.connect
    async def close(app: faust.App, /, *args: object, **kwargs: object) -> None:
        # Faust waits for its tasks to end on their own; a queue blocked on a slow
        # receiver would hold the worker up, so the deliveries in flight are
        # abandoned now (not committed: they are sent again after the restart).
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=8)
        for sink in sinks:
            await sink.close()

    return queues


def alerts_since(settings: Settings, since_ms: int, *, timeout: float = 60.0) -> list[bytes]:
    """The alerts on the alerts topic from ``since_ms`` to its current end, in order
    within each partition (read_committed, outside any consumer group)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    try:
        topic = settings.topic_alerts
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        starts = consumer.offsets_for_times({tp: since_ms for tp in partitions})
        todo = {tp for tp in partitions if starts[tp] is not None}
        for tp in todo:
            consumer.seek(tp, starts[tp].offset)
        out: list[bytes] = []
        deadline = time.monotonic() + timeout
        while todo := {tp for tp in todo if consumer.position(tp) < ends[tp]}:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} not read to its end within {timeout:.0f}s")
            for tp, records in consumer.poll(timeout_ms=1000).items():
                out += [r.value for r in records if r.offset < ends[tp]]
        return out
    finally:
        consumer.close()


async def backfill(
    settings: Settings,
    sinks: Sequence[WebhookSink],
    since_ms: int,
    *,
    policy: RetryPolicy = WEBHOOK_RETRY,
) -> dict[str, int]:
    """Send every alert raised since ``since_ms`` to ``sinks``; counts by outcome.

    Outside any receiver's queue: an alert a receiver does not take is
    reported, not parked.
    """
    counts = {"delivered": 0, "failed": 0}
    for raw in await asyncio.to_thread(alerts_since, settings, since_ms):
        alert = decode_alert(raw)
        for sink in sinks:
            try:
                await retrying(partial(sink.deliver, alert), policy, sink.name)
                counts["delivered"] += 1
            except NewsstreamError as exc:
                counts["failed"] += 1
                log.warning("backfill: %s did not take %s: %s", sink.name, alert.id, exc)
    return counts
