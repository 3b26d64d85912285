"""The one harness every stage runs in: decode, handle, send, then acknowledge.

A stage is a name, a decoder and a handler; the harness owns what happens
to each message, so no stage can let one slip through uncounted:

- the batch is decoded message by message; what does not decode is parked;
- the handler turns the decoded batch into one :class:`Outcome` per message
  (outputs to send, skipped with a reason, or failed with an error). If the
  whole batch raises, it is split in halves until the bad message stands
  alone and only it is parked (a request refused for its size or content
  ends the same way); a :class:`RetryableError` (a server we depend on is
  down) retries the batch with backoff instead, because parking cannot fix
  an outage;
- the outputs are sent and the harness waits until Kafka acknowledged every
  one of them; a send that fails parks its message;
- a failed message goes to the dead-letter topic with the stage, the error
  and the original bytes (:func:`dead_letter`), and that send is awaited too;
- a stage that keeps its own books on what it sent (the alert store) is told
  which outcomes Kafka acknowledged (:attr:`Stage.sent`), before the
  messages are acknowledged, so it never records as sent what was not;
- only then is the message acknowledged. A message whose dead-letter record
  cannot be sent either (after a few tries) is *not* acknowledged, and
  neither is anything after it on its partition, so the partition's
  committed offset stays at it and Kafka delivers it again after the worker
  restarts or the partition moves; the stage goes on meanwhile. (The app
  does not make Faust wait for unacknowledged messages at shutdown or
  rebalance, ``stream_wait_empty=False``, so this cannot hang a worker.)

While one batch waits for Kafka's acknowledgements the next one is already
decoded and handled; sending, parking and acknowledging stay one batch after
another, in order. A stage whose batches are late already (a backlog
draining, :attr:`Stage.late`) may have them gather the following takes
first, so the server behind it gets fewer, fuller requests.

Every message ends with exactly one status from :data:`STATUSES`, counted in
``newsstream_stage_messages_total{stage,status}``, and every batch writes one
log line.

The webhook queues, which need a consumer group each and so cannot be
Faust agents, hand the batches they fetch to :meth:`StageHarness.run_batch`
as plain :class:`Message` values: the same decoding, parking and
acknowledgement (see ``docs/pipeline.md``).

CPU-bound handlers run behind :class:`Offload` (a thread by default, a
process pool or inline for tests), one hop per batch, so the event loop keeps
fetching, committing and heart-beating while they work. The offload is made
and warmed up (models, gazetteers) when the stage is registered, before the
worker starts and joins its consumer group (:func:`make_offload`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar, cast

import faust
from faust.types import TP
from prometheus_client import Counter as Metric

from contract.records import dead_letter_for, encode
from contract.retry import SERVER_RETRY, RetryPolicy, retrying
from processors.topics import ProcessorTopics

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

HANDLED = "handled"  # outputs (if any) acknowledged by Kafka, message acknowledged
SKIPPED = "skipped"  # nothing to do for this stage, message acknowledged
PARKED = "parked"  # dead-letter record acknowledged by Kafka, message acknowledged
UNACKED = "unacked"  # could not even be parked: left for Kafka to deliver again
STATUSES = (HANDLED, SKIPPED, PARKED, UNACKED)

MESSAGES = Metric(
    "newsstream_stage_messages", "Messages by stage and final status", ["stage", "status"]
)
PARKED_BY_ERROR = Metric(
    "newsstream_stage_parked", "Messages parked on the dead-letter topic", ["stage", "error_type"]
)


@dataclass(frozen=True)
class Message:
    """One consumed Kafka message as plain data: what a handler may look at."""

    value: bytes | None
    key: bytes | None = None
    topic: str = ""
    partition: int = -1
    offset: int = -1
    timestamp_ms: int = 0  # when the message landed on Kafka


@dataclass(frozen=True)
class Output:
    """A record to send; ``topic`` names a field of :class:`ProcessorTopics`."""

    topic: str
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class Outcome:
    """What a handler decided for one message."""

    outputs: tuple[Output, ...] = ()
    skipped: str = ""  # why there was nothing to do
    error: BaseException | None = None  # park the message with this error

    @property
    def status(self) -> str:
        if self.error is not None:
            return PARKED
        return SKIPPED if self.skipped else HANDLED


def handled(*outputs: Output) -> Outcome:
    return Outcome(outputs=tuple(outputs))


def skipped(reason: str) -> Outcome:
    return Outcome(skipped=reason)


def failed(error: BaseException) -> Outcome:
    return Outcome(error=error)


# A dead-letter send is tried a few times (a broker blip), then left unacknowledged.
PARK_BACKOFF = RetryPolicy(attempts=None, base_delay=0.5, max_delay=5.0, jitter=0.2)

Item = tuple[Message, T]
BatchHandler = Callable[[Sequence[Item[T]]], Awaitable[Sequence[Outcome]]]


@dataclass
class Stage(Generic[T]):
    """A stage as the harness sees it: only its name, decoder and handler."""

    name: str
    decode: Callable[[bytes | None], T]
    handle: BatchHandler[T]
    batch_size: int = 64
    within: float = 0.05  # seconds a partial batch waits for more messages
    start: Callable[[], Awaitable[object]] | None = None  # awaited before the first batch
    # Told the outcomes whose outputs Kafka acknowledged (bookkeeping: an error
    # is logged, the messages are acknowledged all the same).
    sent: Callable[[Sequence[Outcome]], Awaitable[object]] | None = None
    # While a backlog drains: a batch whose newest message is late already
    # (``late(message)``) gathers the following takes too, until it holds
    # ``batch_size`` messages (a take is not split) or ``late_within`` seconds
    # passed, so the server behind the handler gets fewer, fuller requests
    # (each costs it CPU whatever it carries).
    late: Callable[[Message], bool] | None = None
    late_within: float = 0.0


class Offload(Protocol):
    """Where CPU-bound work runs: the seam between the event loop and the CPU."""

    async def run(self, fn: Callable[..., R], *args: Any) -> R: ...

    async def each(
        self, fn: Callable[[T, Message], Outcome], items: Sequence[Item[T]]
    ) -> list[Outcome]: ...

    def close(self) -> None: ...


class InlineOffload:
    """Runs the work on the event loop itself (tests, trivial handlers)."""

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        return fn(*args)

    async def each(
        self, fn: Callable[[T, Message], Outcome], items: Sequence[Item[T]]
    ) -> list[Outcome]:
        return each_message(fn, items)

    def close(self) -> None:
        pass


@dataclass
class ExecutorOffload:
    """Runs the work on a :mod:`concurrent.futures` executor of ``workers``."""

    executor: Executor
    workers: int = 1

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def each(
        self, fn: Callable[[T, Message], Outcome], items: Sequence[Item[T]]
    ) -> list[Outcome]:
        """:func:`each_message` over the batch, split in one share per worker
        so that a pool of processes works on one batch with all its cores."""
        shares = min(self.workers, len(items))
        if shares <= 1:
            return await self.run(each_message, fn, items)
        size = -(-len(items) // shares)
        parts = await asyncio.gather(
            *(self.run(each_message, fn, items[i : i + size]) for i in range(0, len(items), size))
        )
        return [outcome for part in parts for outcome in part]

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


OFFLOAD_KINDS = ("thread", "process", "inline")


def pool_size(requested: int) -> int:
    """Processes for a process offload: ``requested``, or one per core when 0."""
    return requested if requested > 0 else max(1, os.cpu_count() or 1)


def make_offload(
    kind: str = "thread",
    *,
    name: str = "stage",
    workers: int = 1,
    initializer: Callable[[], object] | None = None,
) -> Offload:
    """An :class:`Offload` of ``kind``, warmed up by ``initializer`` before it returns.

    The warm-up (models, gazetteers) runs where the work will run: in this
    process for ``thread`` and ``inline``, in each child for ``process``
    (whose handlers must then be picklable functions over picklable data).
    Stages make their offload when they are registered, so all of this
    happens before the worker starts and joins its consumer group.
    """
    started = time.perf_counter()
    offload: Offload
    if kind == "thread":
        offload = ExecutorOffload(ThreadPoolExecutor(workers, thread_name_prefix=name), workers)
    elif kind == "inline":
        offload = InlineOffload()
    elif kind == "process":
        import multiprocessing

        executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=initializer,
        )
        # One task per process starts them all now, each running the initializer.
        for future in [executor.submit(_ready) for _ in range(workers)]:
            future.result()
        offload = ExecutorOffload(executor, workers)
    else:
        raise ValueError(f"unknown offload kind {kind!r} (one of {', '.join(OFFLOAD_KINDS)})")
    if initializer is not None and kind != "process":
        initializer()
    if initializer is not None:
        log.info("%s: warmed up (%s) in %.1f s", name, kind, time.perf_counter() - started)
    return offload


def _ready() -> bool:
    return True


def each_message(fn: Callable[[T, Message], Outcome], items: Sequence[Item[T]]) -> list[Outcome]:
    """Apply a per-message handler to a batch; an exception fails only its message.

    A module-level function so a process pool can run it.
    """
    outcomes = []
    for message, value in items:
        try:
            outcomes.append(fn(value, message))
        except Exception as exc:  # noqa: BLE001 - the harness parks it
            outcomes.append(failed(exc))
    return outcomes


def message_of(event: faust.EventT[Any] | Message) -> Message:
    """The plain-data view of a Faust event (a :class:`Message` is its own view:
    a queue reading Kafka without Faust hands the harness these)."""
    if isinstance(event, Message):
        return event
    message = event.message
    stamp = getattr(message, "timestamp", None)
    return Message(
        value=event.value,
        key=message.key,
        topic=message.topic or "",
        partition=message.partition if message.partition is not None else -1,
        offset=message.offset if message.offset is not None else -1,
        timestamp_ms=int(round(stamp * 1000)) if stamp else 0,
    )


def dead_letter(message: Message, error: BaseException, *, stage: str) -> Output:
    """The dead-letter record of ``message``: stage, error and the original bytes."""
    record = dead_letter_for(
        message.value,
        error,
        stage=stage,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
    )
    return Output("deadletter", record.key.encode() if record.key else None, encode(record))


@dataclass
class BatchReport:
    """Statuses of one batch, in message order, and what it took."""

    stage: str
    statuses: list[str] = field(default_factory=list)
    seconds: float = 0.0
    handling: float = 0.0  # of which decoding and handling
    sending: float = 0.0  # ... and sending with Kafka's acknowledgements

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.statuses)

    def line(self) -> str:
        counts = self.counts
        parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
        return (
            f"{self.stage}: {len(self.statuses)} messages: {parts or 'none'} "
            f"in {self.seconds * 1000:.0f} ms (handling {self.handling * 1000:.0f}, "
            f"sending {self.sending * 1000:.0f})"
        )


@dataclass
class _Batch:
    """A batch handled and waiting to be sent and acknowledged."""

    events: list[Any]
    messages: list[Message]
    outcomes: list[Outcome]
    started: float
    handling: float


class BatchStream(Protocol):
    """What the harness uses of a Faust stream: batches acknowledged by hand."""

    def noack(self) -> BatchStream: ...

    def noack_take(self, max_: int, /, within: float) -> AsyncIterator[Sequence[Any]]: ...

    def ack(self, event: Any, /) -> Awaitable[object]: ...


class StageHarness(Generic[T]):
    """Runs one :class:`Stage` over a Faust stream with manual acknowledgement."""

    def __init__(
        self,
        stage: Stage[T],
        topics: ProcessorTopics,
        *,
        park_attempts: int = 5,
        park_backoff: RetryPolicy = PARK_BACKOFF,
        # A batch whose handler reports an outage waits for the server, as long as it takes.
        retry_backoff: RetryPolicy = SERVER_RETRY,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.stage = stage
        self.topics = topics
        self.park_attempts = park_attempts
        self.park_backoff = park_backoff
        self.retry_backoff = retry_backoff
        self.sleep = sleep
        # Partitions with a message that could not be parked -> its offset. Nothing
        # after it is acknowledged either: Faust commits past a single missing
        # offset (its gap check is off by one), and the message must come back.
        self.held: dict[tuple[str, int], int] = {}

    async def consume(self, stream: BatchStream) -> None:
        """The agent body: batches in, each message disposed of exactly once.

        Batch N+1 is handled while batch N's outputs wait for Kafka's
        acknowledgements; batches are still sent, parked and acknowledged one
        after another, in order, so offsets are committed as before.
        """
        if self.stage.start is not None:
            await self.stage.start()
        manual = stream.noack()
        takes = manual.noack_take(self.stage.batch_size, within=self.stage.within).__aiter__()
        finishing: asyncio.Future[BatchReport] | None = None
        ahead: asyncio.Future[Any] | None = None  # a take asked for while gathering
        try:
            while True:
                try:
                    events = list(await (ahead or takes.__anext__()))
                except StopAsyncIteration:
                    break
                ahead = await self._gather_late(events, takes)
                batch = await self.prepare(events)
                if finishing is not None:
                    await finishing
                finishing = asyncio.ensure_future(self.finish(batch, manual.ack))
            if finishing is not None:
                await finishing
        finally:
            # Stopping: a batch still waiting for Kafka is abandoned unacknowledged
            # (delivered again after the restart), as a batch in progress always was.
            for pending in (finishing, ahead):
                if pending is not None and not pending.done():
                    pending.cancel()

    async def _gather_late(
        self, events: list[Any], takes: AsyncIterator[Sequence[Any]]
    ) -> asyncio.Future[Any] | None:
        """Add the following takes to a late batch's ``events`` (see
        :attr:`Stage.late`); the take still awaited when time ran out, if any."""
        late = self.stage.late
        if late is None or len(events) >= self.stage.batch_size or not late(message_of(events[-1])):
            return None
        deadline = time.monotonic() + self.stage.late_within
        while len(events) < self.stage.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            # A take waits for messages however long it takes: it is not
            # cancelled when time runs out (that would end the stream), but
            # kept to start the next batch.
            ahead = asyncio.ensure_future(takes.__anext__())
            done, _ = await asyncio.wait({ahead}, timeout=remaining)
            if not done:
                return ahead
            if ahead.exception() is not None:
                return ahead  # the end of the stream, met by the next batch
            events += ahead.result()
        return None

    async def run_batch(
        self,
        events: Sequence[Any],
        ack: Callable[[Any], Awaitable[object]],
    ) -> BatchReport:
        """Dispose of one batch of Faust events; ``ack`` acknowledges one event."""
        return await self.finish(await self.prepare(events), ack)

    async def prepare(self, events: Sequence[Any]) -> _Batch:
        """Decode and handle a batch: its outcomes, nothing sent yet."""
        started = time.perf_counter()
        messages = [message_of(event) for event in events]
        self._release_redelivered(messages)
        outcomes = await self.outcomes(messages)
        return _Batch(list(events), messages, outcomes, started, time.perf_counter() - started)

    async def finish(self, batch: _Batch, ack: Callable[[Any], Awaitable[object]]) -> BatchReport:
        """Send a prepared batch's outputs, park its failures, acknowledge it."""
        sending = time.perf_counter()
        outcomes = await self.send_outputs(batch.outcomes)
        sent_at = time.perf_counter()
        await self._report_sent(outcomes)
        statuses = await self.park_failures(batch.messages, outcomes)
        for i, (event, message) in enumerate(zip(batch.events, batch.messages, strict=True)):
            tp = (message.topic, message.partition)
            if tp in self.held:
                statuses[i] = UNACKED
            elif statuses[i] == UNACKED:
                self.held[tp] = message.offset
            else:
                await ack(event)
        report = BatchReport(
            self.stage.name,
            statuses,
            time.perf_counter() - batch.started,
            batch.handling,
            sent_at - sending,
        )
        for status, n in report.counts.items():
            MESSAGES.labels(self.stage.name, status).inc(n)
        (log.error if UNACKED in statuses else log.info)("%s", report.line())
        return report

    async def _report_sent(self, outcomes: Sequence[Outcome]) -> None:
        done = [o for o in outcomes if o.error is None and o.outputs]
        if self.stage.sent is None or not done:
            return
        try:
            await self.stage.sent(done)
        except Exception as exc:  # noqa: BLE001 - bookkeeping must not stop the stage
            log.warning(
                "%s: could not record %d sent outcomes: %s: %s",
                self.stage.name,
                len(done),
                type(exc).__name__,
                exc,
            )

    def release(self, partitions: set[tuple[str, int]]) -> None:
        """Stop holding ``partitions`` (they were revoked: Kafka starts them over)."""
        for tp in partitions & set(self.held):
            del self.held[tp]

    def _release_redelivered(self, messages: Sequence[Message]) -> None:
        """A held partition's first unacknowledged message seen again means Kafka
        went back to it (restart, rebalance): acknowledge in order again."""
        for message in messages:
            tp = (message.topic, message.partition)
            if tp in self.held and message.offset <= self.held[tp]:
                log.warning(
                    "%s: %s[%s]@%s delivered again; acknowledging resumes",
                    self.stage.name,
                    message.topic,
                    message.partition,
                    message.offset,
                )
                del self.held[tp]

    async def outcomes(self, messages: Sequence[Message]) -> list[Outcome]:
        """Decode and handle: one outcome per message, never an exception."""
        outcomes: list[Outcome | None] = [None] * len(messages)
        items: list[tuple[int, Item[T]]] = []
        for i, message in enumerate(messages):
            try:
                items.append((i, (message, self.stage.decode(message.value))))
            except Exception as exc:  # noqa: BLE001 - anything undecodable is parked
                outcomes[i] = failed(exc)
        if items:
            results = await self._handle_batch([item for _, item in items])
            for (i, _), outcome in zip(items, results, strict=True):
                outcomes[i] = outcome
        return [o if o is not None else failed(RuntimeError("no outcome")) for o in outcomes]

    async def _handle_batch(self, items: list[Item[T]]) -> list[Outcome]:
        """Outcomes of ``items``: an outage is waited out (as long as it takes); any
        other failure of the whole batch splits it in halves until the message
        that fails stands alone, to be parked (a request too large, a refused one)."""
        what = f"{self.stage.name}: batch of {len(items)}"
        try:
            return await retrying(
                lambda: self._handle(items),
                replace(self.retry_backoff, attempts=None),
                what,
                sleep=self.sleep,
            )
        except Exception as exc:  # noqa: BLE001 - find the message that fails
            if len(items) == 1:
                return [failed(exc)]
            log.warning("%s failed (%s: %s); splitting it in two", what, type(exc).__name__, exc)
            half = len(items) // 2
            return [
                *await self._handle_batch(items[:half]),
                *await self._handle_batch(items[half:]),
            ]

    async def _handle(self, items: list[Item[T]]) -> list[Outcome]:
        results = list(await self.stage.handle(items))
        if len(results) != len(items):
            raise RuntimeError(
                f"{self.stage.name} handler returned {len(results)} outcomes for {len(items)}"
            )
        return results

    async def send_outputs(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """Send every output and wait for Kafka's acknowledgements.

        An output that cannot be sent fails its message (which is then
        parked); outputs of the same message already sent stay sent, so a
        consumer may see them again when the message is replayed.
        """
        pending: list[tuple[int, Awaitable[object]]] = []
        result = list(outcomes)
        for i, outcome in enumerate(outcomes):
            if outcome.error is not None:
                continue
            for output in outcome.outputs:
                try:
                    pending.append((i, await self._send(output)))
                except Exception as exc:  # noqa: BLE001 - e.g. a record too large to send
                    result[i] = failed(exc)
                    break
        if pending:
            acks = await asyncio.gather(*(f for _, f in pending), return_exceptions=True)
            for (i, _), ack in zip(pending, acks, strict=True):
                if isinstance(ack, BaseException) and result[i].error is None:
                    result[i] = failed(ack)
        return result

    async def _send(self, output: Output) -> Awaitable[object]:
        """Hand ``output`` to the producer; the returned awaitable is Kafka's ack."""
        topic = getattr(self.topics, output.topic)
        if not hasattr(topic, "publish_message"):  # a stand-in without Faust's API
            return _awaitable(await topic.send(key=output.key, value=output.value))
        # Faust's own future carries the outcome; awaiting it (not the producer's)
        # also marks a failure as seen, so it is not logged again when collected.
        promise: Awaitable[object] = topic.as_future_message(key=output.key, value=output.value)
        await topic.publish_message(promise)
        return promise

    async def park_failures(
        self, messages: Sequence[Message], outcomes: Sequence[Outcome]
    ) -> list[str]:
        """Park every failed message; the final status of each message."""
        statuses = []
        for message, outcome in zip(messages, outcomes, strict=True):
            if outcome.error is None:
                statuses.append(outcome.status)
                continue
            error = outcome.error
            PARKED_BY_ERROR.labels(self.stage.name, type(error).__name__).inc()
            log.warning(
                "%s: parking %s[%s]@%s: %s: %s",
                self.stage.name,
                message.topic,
                message.partition,
                message.offset,
                type(error).__name__,
                error,
            )
            statuses.append(PARKED if await self._park(message, error) else UNACKED)
        return statuses

    async def _park(self, message: Message, error: BaseException) -> bool:
        letter = dead_letter(message, error, stage=self.stage.name)
        for attempt in range(1, self.park_attempts + 1):
            try:
                await (await self._send(letter))
                return True
            except Exception as exc:  # noqa: BLE001 - retried, then left unacknowledged
                if attempt == self.park_attempts:
                    log.error(
                        "%s: could not park %s[%s]@%s (%s: %s); it and the rest of its "
                        "partition stay unacknowledged until Kafka delivers them again "
                        "(restart or rebalance)",
                        self.stage.name,
                        message.topic,
                        message.partition,
                        message.offset,
                        type(exc).__name__,
                        exc,
                    )
                    return False
                await self.sleep(self.park_backoff.delay(attempt))
        return False


async def _done() -> None:
    return None


def _awaitable(delivery: object) -> Awaitable[object]:
    """Kafka's acknowledgement of a send (an in-memory channel's is immediate)."""
    if hasattr(delivery, "__await__"):
        return delivery
    return _done()


def register_stage(
    app: faust.App,
    topics: ProcessorTopics,
    source: faust.TopicT,
    stage: Stage[T],
    *,
    name: str,
    concurrency: int = 1,
) -> faust.types.AgentT[Any]:
    """Attach ``stage`` to ``app`` as an agent reading ``source``."""
    harness = StageHarness(stage, topics)

    @app.on_partitions_revoked.connect
    async def forget_revoked(sender: object, /, *args: object, **kwargs: object) -> None:
        revoked = cast("set[TP]", args[0])  # Faust sends the revoked partitions alone
        # The partition's next owner starts from its committed offset: the held
        # message included. Should it come back to us later, it starts there too.
        harness.release({(tp.topic, tp.partition) for tp in revoked})

    async def agent(stream: faust.StreamT[Any]) -> None:
        await harness.consume(cast(BatchStream, stream))

    agent.__name__ = agent.__qualname__ = name.replace(".", "_").replace("-", "_")
    return app.agent(source, name=name, concurrency=concurrency)(agent)
