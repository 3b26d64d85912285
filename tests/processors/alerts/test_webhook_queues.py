"""Webhook receivers are independent: a failing or slow one never holds back a healthy one.

On the real Kafka, through a real worker: alerts go onto the alerts topic
(as the detector publishes them) and three receivers answer differently.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from kafka import KafkaProducer

from contract.errors import PermanentError, ServiceUnavailable
from contract.isolated import isolated_settings, settings_env
from contract.kafka_admin import ensure_topics
from contract.records import Alert, encode, parse_iso, utcnow_iso
from contract.retry import RetryPolicy
from newsstream.workers import running_worker
from processors.alerts.delivery import BATCH, ReceiverQueue
from processors.alerts.sinks import DeliveryFailed
from processors.stage import HANDLED, PARKED, UNACKED, Message
from processors.topics import ProcessorTopics

N = 20


def make_alert(n: int, tag: str) -> Alert:
    return Alert(
        id=f"{tag}-{n:03d}",
        actor_id="mark-rutte",
        actor_name="Mark Rutte",
        actor_kind="person",
        article_id=f"article-{tag}-{n}",
        story_id=f"story-{tag}-{n}",
        title=f"Alert {n}",
        url=f"https://nieuws.example/{tag}/{n}",
        source="nieuws.example",
        language="nl",
        published="2019-03-12T10:00:00Z",
        matched_text="Mark Rutte",
        snippet="...",
        raw_timestamp_ms=int(time.time() * 1000),
        alerted_at=utcnow_iso(),
        latency_ms=0,
    )


class Receiver:
    """A webhook endpoint that answers ``ok``, ``fail`` (500) or ``block`` (no answer
    until released); records every POST's alert id and arrival time."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.received: list[tuple[str, float]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.received.append((body["id"], time.time()))
                if receiver.mode == "block":
                    receiver.release.wait(120)
                status = 500 if receiver.mode == "fail" else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self) -> list[str]:
        return [i for i, _ in self.received]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def wait_until(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


# -- one receiver's queue, without Kafka -------------------------------------


class FakeSink:
    def __init__(self, *errors: Exception) -> None:
        self.url = "http://receiver.example/hook"
        self.name = f"webhook {self.url}"
        self.errors = list(errors)
        self.calls = 0

    async def deliver(self, alert: Alert) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)


class DeadLetterTopic:
    """Stands in for the dead-letter topic: records what Kafka acknowledged;
    the first ``refuse`` sends fail as if the broker were down."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.attempts = 0
        self.letters: list[dict] = []

    async def send(self, *, key: bytes | None = None, value: bytes) -> None:
        self.attempts += 1
        if self.attempts <= self.refuse:
            raise ServiceUnavailable("Kafka is down (test)")
        self.letters.append(json.loads(value))


FAST = RetryPolicy(attempts=3, base_delay=0.0)


def queue_for(settings, sink, deadletter: DeadLetterTopic | None = None) -> ReceiverQueue:
    topics = ProcessorTopics(
        raw=None, enriched=None, alerts=None, deadletter=deadletter or DeadLetterTopic()
    )
    return ReceiverQueue(settings, sink, topics, policy=FAST, park_backoff=FAST)


def fetched(settings, value: bytes | None, offset: int = 7) -> Message:
    return Message(value, key=b"k", topic=settings.topic_alerts, partition=2, offset=offset)


async def test_a_receiver_queue_retries_then_parks_with_the_reason(settings):
    raw = encode(make_alert(1, "q"))
    committed = {(settings.topic_alerts, 2): 8}

    flaky = FakeSink(DeliveryFailed("503"), DeliveryFailed("503"))
    deadletter = DeadLetterTopic()
    report, acked = await queue_for(settings, flaky, deadletter).run_batch([fetched(settings, raw)])
    assert report.statuses == [HANDLED] and acked == committed
    assert flaky.calls == 3 and deadletter.letters == []

    down = FakeSink(*(DeliveryFailed(f"{flaky.url} answered 500") for _ in range(3)))
    report, acked = await queue_for(settings, down, deadletter).run_batch([fetched(settings, raw)])
    assert report.statuses == [PARKED] and acked == committed
    [letter] = deadletter.letters
    assert down.calls == 3 and letter["original"] == raw.decode() and "500" in letter["error"]
    assert (letter["stage"], letter["topic"], letter["partition"], letter["offset"]) == (
        "alerts-webhook",
        settings.topic_alerts,
        2,
        7,
    )

    refused = FakeSink(PermanentError("400"))
    report, _ = await queue_for(settings, refused).run_batch([fetched(settings, raw)])
    assert report.statuses == [PARKED] and refused.calls == 1  # a refusal is not retried

    # What does not decode is parked by the harness, like in every other stage.
    unread, deadletter = FakeSink(), DeadLetterTopic()
    batch = [fetched(settings, b"not json", 7), fetched(settings, raw, 8)]
    report, acked = await queue_for(settings, unread, deadletter).run_batch(batch)
    assert report.statuses == [PARKED, HANDLED] and unread.calls == 1
    assert acked == {(settings.topic_alerts, 2): 9}
    assert [(d["error_type"], d["original"]) for d in deadletter.letters] == [
        ("InvalidMessage", "not json")
    ]


async def test_a_dead_letter_that_cannot_be_sent_is_tried_again_not_skipped(settings):
    raw = encode(make_alert(1, "p"))
    blip = DeadLetterTopic(refuse=2)
    queue = queue_for(settings, FakeSink(PermanentError("400")), blip)
    report, acked = await queue.run_batch([fetched(settings, raw)])
    assert report.statuses == [PARKED] and blip.attempts == 3 and len(blip.letters) == 1
    assert acked == {(settings.topic_alerts, 2): 8}

    # Kafka stays down: the alert is not acknowledged, so its offset is not committed
    # and the queue delivers it again when it starts over.
    down = DeadLetterTopic(refuse=1_000)
    queue = queue_for(settings, FakeSink(PermanentError("400")), down)
    report, acked = await queue.run_batch([fetched(settings, raw)])
    assert report.statuses == [UNACKED] and acked == {} and down.letters == []


async def test_a_queue_keeps_trying_while_kafka_is_down_and_stops_when_cancelled(settings):
    import asyncio
    import dataclasses
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    down = dataclasses.replace(settings, kafka_bootstrap_servers=f"127.0.0.1:{closed}")

    queue = ReceiverQueue(
        down,
        FakeSink(),
        ProcessorTopics(raw=None, enriched=None, alerts=None, deadletter=DeadLetterTopic()),
        restart_retry=RetryPolicy(attempts=None, base_delay=0.05, max_delay=0.05),
    )
    task = asyncio.ensure_future(queue.run())
    for _ in range(400):
        if queue.restarts >= 2:
            break
        await asyncio.sleep(0.05)
    assert queue.restarts >= 2 and not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# -- three receivers on one worker -------------------------------------------


@pytest.mark.kafka
def test_healthy_receiver_gets_every_alert_while_a_slow_one_is_blocked_and_sigterm_is_prompt(
    kafka_bootstrap, es_client, tmp_path
):
    healthy, failing, slow = Receiver("ok"), Receiver("fail"), Receiver("block")
    tag = uuid.uuid4().hex[:8]
    settings = isolated_settings(
        tag,
        tmp_path / "data",
        webhook_urls=f"{healthy.url},{failing.url},{slow.url}",
    )
    ensure_topics(settings)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","), acks="all")
    first = [make_alert(n, tag) for n in range(N)]
    try:
        log_path = tmp_path / "w1.log"
        with running_worker(settings, ("alerts",), log_path=log_path) as worker:
            wait_until(
                lambda: log_path.read_text().count("delivering from partitions") >= 3,
                "the three receivers' queues to join",
            )
            first = [make_alert(n, tag) for n in range(N)]  # raised now
            for alert in first:
                producer.send(settings.topic_alerts, key=alert.id.encode(), value=encode(alert))
            producer.flush()
            wait_until(
                lambda: set(healthy.ids()) >= {a.id for a in first},
                "the healthy receiver to get every alert",
            )
            # ... while the slow receiver still sits on the first batch it was sent
            # and the failing one is still retrying its first.
            assert len(slow.received) <= BATCH < N
            assert len(set(failing.ids())) <= BATCH
            assert sorted(healthy.ids()) == sorted(a.id for a in first)  # each once
            raised = {a.id: parse_iso(a.alerted_at).timestamp() for a in first}
            delays = sorted(at - raised[i] for i, at in healthy.received)
            print(
                f"healthy receiver: {N} alerts, {delays[0]:.3f} to {delays[-1]:.3f} s after "
                f"they were raised (median {delays[N // 2]:.3f} s); meanwhile slow: "
                f"{len(slow.received)}, failing: {len(set(failing.ids()))} alert(s) attempted"
            )

            started = time.monotonic()
            worker.send_signal(signal.SIGTERM)
            wait_until(lambda: "Closing event loop" in log_path.read_text(), "the worker to stop")
            stopped_in = time.monotonic() - started  # its work stopped, its loop closed
            worker.wait(timeout=60)  # bounded so a hang fails the test instead of stalling it
            exited_in = time.monotonic() - started
        print(f"worker stopped {stopped_in:.1f} s after SIGTERM, exited after {exited_in:.1f} s")
        assert stopped_in < 10, f"worker took {stopped_in:.1f} s to stop on SIGTERM"

        # Restart with both receivers fixed and one more added: nothing sent to the
        # first three is lost, and the new one starts from new alerts only.
        slow.mode, failing.mode = "ok", "ok"
        slow.release.set()
        late = Receiver("ok")
        settings = isolated_settings(
            tag,
            tmp_path / "data",
            webhook_urls=f"{healthy.url},{failing.url},{slow.url},{late.url}",
        )
        second = [make_alert(n, tag + "b") for n in range(5)]
        with running_worker(settings, ("alerts",), log_path=tmp_path / "w2.log"):
            for alert in second:
                producer.send(settings.topic_alerts, key=alert.id.encode(), value=encode(alert))
            producer.flush()
            everything = {a.id for a in first + second}
            for receiver in (healthy, failing, slow):
                wait_until(
                    lambda r=receiver: set(r.ids()) >= everything, f"every alert at {receiver.url}"
                )
            wait_until(lambda: set(late.ids()) >= {a.id for a in second}, "the late receiver")
        assert sorted(late.ids()) == sorted(a.id for a in second)  # no replay of old alerts
        assert sorted(healthy.ids()) == sorted(everything)  # still each once

        # Earlier alerts reach the late receiver only when asked for.
        done = subprocess.run(
            [sys.executable, "-m", "newsstream", "alerts", "backfill", late.url, "--since", "1h"],
            env=settings_env(settings),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert f"{len(everything)} alerts delivered" in done.stdout
        assert set(late.ids()) == everything
        late.close()
    finally:
        producer.close()
        for receiver in (healthy, failing, slow):
            receiver.close()
