"""Webhook delivery: payloads, which failures are worth a retry, and giving up."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from contract.errors import PermanentError, RetryableError
from contract.records import Alert
from contract.retry import RetryPolicy, retrying
from processors.alerts.sinks import (
    CONNECTIONS_PER_RECEIVER,
    DeliveryFailed,
    DeliveryRejected,
    WebhookSink,
    slack_payload,
)

ALERT = Alert(
    id="a1",
    actor_id="juan-guaido",
    actor_name="Juan Guaidó",
    actor_kind="person",
    article_id="art",
    story_id="st",
    title="Guaidó roept zich uit",
    url="https://x.example/1",
    source="x.example",
    language="nl",
    published="2019-01-23T12:00:00Z",
    matched_text="Juan Guaidó",
    snippet="… Juan Guaidó, die zich …",
    raw_timestamp_ms=1,
    alerted_at="2019-01-23T12:00:01.000Z",
    latency_ms=900,
    alias="Juan Guaidó",
    rule="alias, capitalised",
    entity="PER Juan Guaidó",
)


def sink_answering(*statuses: int, fmt: str = "json", seen: list | None = None) -> WebhookSink:
    answers = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(answers.pop(0) if len(answers) > 1 else answers[0])

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WebhookSink("https://hooks.example/x", fmt=fmt, client=client)


async def test_json_post_carries_the_alert_and_an_idempotency_key():
    seen: list[httpx.Request] = []
    await sink_answering(204, seen=seen).deliver(ALERT)
    [request] = seen
    assert request.method == "POST"
    assert request.headers["Idempotency-Key"] == "a1"
    assert httpx.Response(200, content=request.content).json() == ALERT.to_dict()


def test_slack_payload_links_the_article_and_quotes_the_snippet():
    payload = slack_payload(ALERT)
    assert "*Juan Guaidó*" in payload["text"]
    assert "<https://x.example/1|Guaidó roept zich uit>" in payload["text"]
    assert "> … Juan Guaidó, die zich …" in payload["text"]
    assert payload["blocks"][0]["text"]["type"] == "mrkdwn"
    assert (
        "matched 'Juan Guaidó' as 'Juan Guaidó' (alias, capitalised); recognised as PER Juan Guaidó"
    ) in payload["text"]


@pytest.mark.parametrize(
    ("status", "error", "retryable"),
    [
        (500, DeliveryFailed, True),
        (503, DeliveryFailed, True),
        (429, DeliveryFailed, True),
        (408, DeliveryFailed, True),
        (400, DeliveryRejected, False),
        (404, DeliveryRejected, False),
        (410, DeliveryRejected, False),
    ],
)
async def test_errors_say_whether_a_retry_can_help(status, error, retryable):
    with pytest.raises(error) as err:
        await sink_answering(status).deliver(ALERT)
    assert isinstance(err.value, RetryableError) is retryable
    assert isinstance(err.value, PermanentError) is not retryable
    assert str(status) in str(err.value)


async def test_an_unreachable_receiver_is_retryable():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    sink = WebhookSink(
        "https://down.example", client=httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    )
    with pytest.raises(DeliveryFailed, match="ConnectError"):
        await sink.deliver(ALERT)


async def test_backoff_grows_and_permanent_errors_stop_at_once():
    policy = RetryPolicy(attempts=4, base_delay=0.5, factor=2, max_delay=1.5)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise DeliveryFailed("busy")
        return "ok"

    assert await retrying(flaky, policy, "test", sleep=sleep) == "ok"
    assert waits == [0.5, 1.0, 1.5]

    async def refused() -> None:
        raise DeliveryRejected("no")

    waits.clear()
    with pytest.raises(DeliveryRejected):
        await retrying(refused, policy, "test", sleep=sleep)
    assert waits == []


async def test_a_burst_opens_at_most_a_few_connections_to_one_receiver():
    """A burst of alerts queues for a few connections instead of opening one
    each: a small receiver's listen queue would drop the rest."""
    lock, in_flight, peak, ids = threading.Lock(), [0], [0], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.05)
            with lock:
                in_flight[0] -= 1
                ids.append(self.headers["Idempotency-Key"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sink = WebhookSink(f"http://127.0.0.1:{server.server_address[1]}/hook")
    try:
        burst = [dataclasses.replace(ALERT, id=f"a{n}") for n in range(12)]
        await asyncio.gather(*(sink.deliver(alert) for alert in burst))
    finally:
        await sink.close()
        server.shutdown()
        server.server_close()
    assert sorted(ids) == sorted(a.id for a in burst)
    assert 1 < peak[0] <= CONNECTIONS_PER_RECEIVER
