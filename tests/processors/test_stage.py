"""The stage harness's disposition of a batch: a table of what can go wrong.

Fake events and fake topics stand in for Faust and Kafka; the real-Kafka
behaviour is in ``test_stage_kafka.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from dataclasses import dataclass, field

import pytest

from contract.errors import InvalidMessage, ServiceUnavailable
from contract.retry import RetryPolicy
from processors import stage
from processors.stage import (
    HANDLED,
    PARKED,
    SKIPPED,
    UNACKED,
    Output,
    Stage,
    StageHarness,
    failed,
    handled,
    skipped,
)
from processors.topics import ProcessorTopics


@dataclass
class FakeMessage:
    key: bytes | None
    topic: str = "in"
    partition: int = 0
    offset: int = 0
    timestamp: float | None = 1.5


@dataclass
class FakeEvent:
    value: bytes | None
    message: FakeMessage


class FakeTopic:
    """Records sends; ``refuse`` decides per value: None, "raise" or "nack"."""

    def __init__(self, refuse=lambda value: None) -> None:
        self.refuse = refuse
        self.sent: list[tuple[bytes | None, bytes]] = []

    async def send(self, *, key: bytes | None = None, value: bytes) -> asyncio.Future:
        how = self.refuse(value)
        if how == "raise":
            raise RuntimeError("record too large to send")
        future = asyncio.get_running_loop().create_future()
        if how == "nack":
            future.set_exception(ConnectionError("broker did not acknowledge"))
        else:
            self.sent.append((key, value))
            future.set_result(None)
        return future


@dataclass
class Run:
    statuses: list[str]
    acked: list[bytes | None]
    outputs: list[bytes]
    letters: list[dict] = field(default_factory=list)


def decode(raw: bytes | None) -> str:
    if raw is None:
        raise InvalidMessage("empty message (no value)")
    if not raw.startswith(b"ok"):
        raise InvalidMessage("not an ok record")
    return raw.decode()


async def echo(items):
    """The toy handler: ok-skip is skipped, ok-boom raises, others echo."""
    outcomes = []
    for _message, value in items:
        if value == "ok-boom":
            raise ValueError("boom")
        if value == "ok-skip":
            outcomes.append(skipped("nothing to do"))
        elif value == "ok-bad":
            outcomes.append(failed(ValueError("bad value")))
        else:
            outcomes.append(handled(Output("enriched", b"k", value.upper().encode())))
    return outcomes


def run_batch(values, *, handle=echo, out=None, deadletter=None, sent=None) -> Run:
    out = out or FakeTopic()
    deadletter = deadletter or FakeTopic()
    topics = ProcessorTopics(
        raw=FakeTopic(), enriched=out, alerts=FakeTopic(), deadletter=deadletter
    )
    harness = StageHarness(
        Stage("toy", decode, handle, sent=sent),
        topics,
        park_backoff=RetryPolicy(base_delay=0),
        retry_backoff=RetryPolicy(base_delay=0),
        sleep=lambda s: asyncio.sleep(0),
    )
    events = [FakeEvent(v, FakeMessage(key=b"key-%d" % i, offset=i)) for i, v in enumerate(values)]
    acked: list = []

    async def ack(event):
        acked.append(event.value)

    report = asyncio.run(harness.run_batch(events, ack))
    return Run(
        report.statuses,
        acked,
        [v for _, v in out.sent],
        [json.loads(v) for _, v in deadletter.sent],
    )


@pytest.mark.parametrize(
    ("values", "statuses"),
    [
        ([b"ok-1", b"ok-2"], [HANDLED, HANDLED]),
        ([b"ok-skip"], [SKIPPED]),
        ([b"not ok", b"ok-1"], [PARKED, HANDLED]),
        ([None], [PARKED]),
        ([b"ok-bad", b"ok-1"], [PARKED, HANDLED]),
        # The handler raises for the whole batch: each message alone, only the bad one parks.
        ([b"ok-1", b"ok-boom", b"ok-skip"], [HANDLED, PARKED, SKIPPED]),
        ([], []),
    ],
)
def test_every_message_gets_exactly_one_status_and_is_acked(values, statuses):
    run = run_batch(values)
    assert run.statuses == statuses
    assert run.acked == values  # nothing could not be parked here
    assert len(run.letters) == statuses.count(PARKED)


def test_a_parked_message_keeps_its_stage_reason_and_original_bytes():
    raw = b"\xff\xfe not utf-8"
    run = run_batch([raw])
    [letter] = run.letters
    assert (letter["stage"], letter["error_type"]) == ("toy", "InvalidMessage")
    assert letter["error"] == "not an ok record"
    assert base64.b64decode(letter["original_b64"]) == raw
    assert (letter["topic"], letter["partition"], letter["offset"]) == ("in", 0, 0)
    assert letter["key"] == "key-0"


@pytest.mark.parametrize("how", ["raise", "nack"])
def test_an_output_that_cannot_be_sent_parks_its_message(how):
    out = FakeTopic(refuse=lambda value: how if value == b"OK-2" else None)
    run = run_batch([b"ok-1", b"ok-2"], out=out)
    assert run.statuses == [HANDLED, PARKED]
    assert run.outputs == [b"OK-1"]
    [letter] = run.letters
    assert letter["original"] == "ok-2"
    assert run.acked == [b"ok-1", b"ok-2"]


@pytest.mark.parametrize("how", ["raise", "nack"])
def test_the_stage_hears_only_of_outputs_kafka_acknowledged(how):
    heard: list[bytes] = []

    async def sent(outcomes):
        heard.extend(output.value for outcome in outcomes for output in outcome.outputs)

    out = FakeTopic(refuse=lambda value: how if value == b"OK-2" else None)
    run = run_batch([b"ok-1", b"ok-2", b"ok-skip", b"ok-3"], out=out, sent=sent)
    assert heard == [b"OK-1", b"OK-3"]
    assert run.acked == [b"ok-1", b"ok-2", b"ok-skip", b"ok-3"]


def test_a_failing_sent_hook_is_logged_and_acknowledges_all_the_same(caplog):
    async def sent(outcomes):
        raise ConnectionError("alert store down")

    run = run_batch([b"ok-1"], sent=sent)
    assert run.statuses == [HANDLED]
    assert run.acked == [b"ok-1"]
    assert "could not record 1 sent outcomes" in caplog.text


@pytest.mark.parametrize("how", ["raise", "nack"])
def test_a_message_that_cannot_be_parked_holds_back_its_partition(how):
    # Nothing after it on its partition is acknowledged, so the committed offset
    # stays at it; the outputs of the others are sent all the same.
    run = run_batch([b"ok-1", b"broken", b"ok-2"], deadletter=FakeTopic(refuse=lambda v: how))
    assert run.statuses == [HANDLED, UNACKED, UNACKED]
    assert run.acked == [b"ok-1"]
    assert run.outputs == [b"OK-1", b"OK-2"]


def test_a_held_partition_acknowledges_again_once_the_message_comes_back():
    letters = FakeTopic(refuse=lambda v: "raise")
    topics = ProcessorTopics(
        raw=FakeTopic(), enriched=FakeTopic(), alerts=FakeTopic(), deadletter=letters
    )
    harness = StageHarness(Stage("toy", decode, echo), topics, park_attempts=1)
    acked: list = []

    async def ack(event):
        acked.append(event.message.offset)

    def batch(*offsets, partition=0):
        values = {0: b"ok-0", 1: b"broken", 2: b"ok-2", 3: b"ok-3", 5: b"ok-5"}
        return [
            FakeEvent(values[o], FakeMessage(b"k", partition=partition, offset=o)) for o in offsets
        ]

    async def scenario():
        first = await harness.run_batch(batch(0, 1), ack)
        later = await harness.run_batch(batch(2) + batch(5, partition=1), ack)
        letters.refuse = lambda v: None  # the dead-letter topic accepts again
        again = await harness.run_batch(batch(1, 2, 3), ack)  # Kafka went back to offset 1
        return first.statuses, later.statuses, again.statuses

    first, later, again = asyncio.run(scenario())
    assert first == [HANDLED, UNACKED]
    assert later == [UNACKED, HANDLED]  # other partitions are not held back
    assert again == [PARKED, HANDLED, HANDLED]
    assert acked == [0, 5, 1, 2, 3]


def test_a_revoked_partition_is_no_longer_held():
    topics = ProcessorTopics(
        raw=FakeTopic(),
        enriched=FakeTopic(),
        alerts=FakeTopic(),
        deadletter=FakeTopic(refuse=lambda v: "raise"),
    )
    harness = StageHarness(Stage("toy", decode, echo), topics, park_attempts=1)
    acked: list = []

    async def ack(event):
        acked.append(event.message.offset)

    async def scenario():
        await harness.run_batch([FakeEvent(b"broken", FakeMessage(b"k", offset=1))], ack)
        harness.release({("in", 0)})  # another worker parked it and went on; now it is ours
        return await harness.run_batch([FakeEvent(b"ok-9", FakeMessage(b"k", offset=9))], ack)

    assert asyncio.run(scenario()).statuses == [HANDLED]
    assert acked == [9]


def test_an_outage_retries_the_batch_instead_of_parking_it():
    calls = []

    async def flaky(items):
        calls.append(len(items))
        if len(calls) < 3:
            raise ServiceUnavailable("elasticsearch down")
        return await echo(items)

    run = run_batch([b"ok-1", b"ok-2"], handle=flaky)
    assert run.statuses == [HANDLED, HANDLED]
    assert calls == [2, 2, 2]
    assert run.letters == []


def test_a_handler_returning_the_wrong_number_of_outcomes_parks_rather_than_guesses():
    async def short(items):
        return []

    run = run_batch([b"ok-1", b"ok-2"], handle=short)
    assert run.statuses == [PARKED, PARKED]
    assert all("outcomes" in letter["error"] for letter in run.letters)


def test_statuses_are_counted_by_stage():
    before = stage.MESSAGES.labels("toy", PARKED)._value.get()
    run_batch([b"not ok", b"ok-1"])
    assert stage.MESSAGES.labels("toy", PARKED)._value.get() == before + 1


WARMED: list[int] = []


def _warm_up() -> None:
    WARMED.append(os.getpid())


def _warmed_here() -> bool:
    return os.getpid() in WARMED


@pytest.mark.parametrize("kind", ["thread", "inline", "process"])
def test_each_offload_runs_the_work_where_it_was_warmed_up(kind):
    WARMED.clear()
    offload = stage.make_offload(kind, initializer=_warm_up)
    try:
        assert asyncio.run(offload.run(sum, [1, 2, 3])) == 6
        assert asyncio.run(offload.run(_warmed_here))
        # In this process only when the work runs here.
        expected = [] if kind == "process" else [os.getpid()]
        assert expected == WARMED
    finally:
        offload.close()


def test_an_unknown_offload_is_refused():
    with pytest.raises(ValueError, match="unknown offload"):
        stage.make_offload("gpu")


def _pid_of_handler(value: int, message: stage.Message) -> stage.Outcome:
    import os

    if value < 0:
        raise ValueError("negative")
    return handled(Output("enriched", str(value).encode(), str(os.getpid()).encode()))


def test_a_process_pool_shares_a_batch_out_and_keeps_message_order():
    import os

    offload = stage.make_offload("process", workers=2)
    try:
        items = [(stage.Message(value=b""), v) for v in [1, 2, -3, 4, 5]]
        outcomes = asyncio.run(offload.each(_pid_of_handler, items))
    finally:
        offload.close()
    assert [o.outputs[0].key if o.outputs else None for o in outcomes] == [
        b"1",
        b"2",
        None,
        b"4",
        b"5",
    ]
    assert isinstance(outcomes[2].error, ValueError)  # only the failing message fails
    pids = {int(o.outputs[0].value) for o in outcomes if o.outputs}
    assert os.getpid() not in pids  # the work ran in the pool's processes


class SlowAckTopic(FakeTopic):
    """Kafka acknowledges a send only when the test says so."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log
        self.pending: list[asyncio.Future] = []

    async def send(self, *, key: bytes | None = None, value: bytes) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.sent.append((key, value))
        self.pending.append(future)
        self.log.append(f"sent {value.decode()}")
        return future


class FakeStream:
    """What the harness uses of a Faust stream: batches, and ``ack``."""

    def __init__(self, batches: list[list[FakeEvent]], log: list[str]) -> None:
        self.batches = batches
        self.log = log

    def noack(self) -> FakeStream:
        return self

    async def noack_take(self, size: int, within: float):
        for batch in self.batches:
            yield batch

    async def ack(self, event: FakeEvent) -> None:
        self.log.append(f"acked {event.value.decode()}")


def test_the_next_batch_is_handled_while_kafka_acknowledges_the_last_and_acks_stay_in_order():
    log: list[str] = []
    out = SlowAckTopic(log)
    topics = ProcessorTopics(
        raw=FakeTopic(), enriched=out, alerts=FakeTopic(), deadletter=FakeTopic()
    )

    async def handle(items):
        await asyncio.sleep(0)  # as the offload does: the loop runs meanwhile
        log.append("handled " + ",".join(value for _, value in items))
        return [handled(Output("enriched", b"k", value.upper().encode())) for _, value in items]

    harness = StageHarness(Stage("toy", decode, handle), topics)
    batches = [
        [
            FakeEvent(b"ok-%d" % (2 * b + i), FakeMessage(key=b"k", offset=2 * b + i))
            for i in range(2)
        ]
        for b in range(2)
    ]

    async def run() -> None:
        consuming = asyncio.ensure_future(harness.consume(FakeStream(batches, log)))
        # Kafka acknowledges nothing until the second batch has been handled.
        while not consuming.done():
            if "handled ok-2,ok-3" in log:
                for future in out.pending:
                    if not future.done():
                        future.set_result(None)
            await asyncio.sleep(0.001)
        await consuming

    asyncio.run(asyncio.wait_for(run(), 5))
    assert log.index("sent OK-0") < log.index("handled ok-2,ok-3") < log.index("acked ok-0")
    assert [line for line in log if line.startswith("acked")] == [
        "acked ok-0",
        "acked ok-1",
        "acked ok-2",
        "acked ok-3",
    ]


class PacedStream(FakeStream):
    """Takes that come when the test releases them (``gates``), like a stream
    whose messages arrive while a batch waits."""

    def __init__(self, batches: list[list[FakeEvent]], gates: list[asyncio.Event]) -> None:
        super().__init__(batches, [])
        self.gates = gates

    async def noack_take(self, size: int, within: float):
        for batch, gate in zip(self.batches, self.gates, strict=True):
            await gate.wait()
            yield batch


def gathered(
    takes: list[int],
    *,
    late: bool,
    batch_size: int = 10,
    late_within: float = 5.0,
    stall_after: int | None = None,
) -> list[list[str]]:
    """The batches the handler saw when a stream brings ``takes`` (sizes); the
    take after ``stall_after`` comes only once the first batch was handled."""
    seen: list[list[str]] = []

    async def handle(items):
        seen.append([value for _, value in items])
        return [skipped("seen") for _ in items]

    stage_ = Stage(
        "toy",
        decode,
        handle,
        batch_size=batch_size,
        late=lambda message: late,
        late_within=late_within,
    )
    harness = StageHarness(
        stage_,
        ProcessorTopics(
            raw=FakeTopic(), enriched=FakeTopic(), alerts=FakeTopic(), deadletter=FakeTopic()
        ),
    )
    n = iter(range(sum(takes)))
    batches = [
        [FakeEvent(b"ok-%d" % next(n), FakeMessage(key=b"k")) for _ in range(size)]
        for size in takes
    ]

    async def run() -> None:
        gates = [asyncio.Event() for _ in takes]
        for i, gate in enumerate(gates):
            if stall_after is None or i <= stall_after:
                gate.set()
        consuming = asyncio.ensure_future(harness.consume(PacedStream(batches, gates)))
        while not seen:
            await asyncio.sleep(0.01)
        for gate in gates:
            gate.set()
        await consuming

    asyncio.run(asyncio.wait_for(run(), 10))
    return seen


def test_a_late_batch_gathers_the_following_takes_up_to_the_batch_size():
    assert [len(b) for b in gathered([2, 2, 2], late=False)] == [2, 2, 2]
    assert [len(b) for b in gathered([2, 2, 2], late=True)] == [6]
    assert [len(b) for b in gathered([3, 3, 3, 3], late=True, batch_size=5)] == [6, 6]
    # Every message once, in order.
    assert sum(gathered([2, 2, 2], late=True), []) == [f"ok-{i}" for i in range(6)]


def test_a_late_batch_waits_no_longer_than_its_window_and_the_next_take_still_counts():
    batches = gathered([2, 2, 2], late=True, late_within=0.2, stall_after=0)
    # The first batch went after 0.2 s without the stalled take; that take
    # started the next batch when its messages came, and gathered the last.
    assert batches == [["ok-0", "ok-1"], ["ok-2", "ok-3", "ok-4", "ok-5"]]
