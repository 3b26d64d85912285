"""Test helpers for alerts: article builders, a topic reader, a webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from contract.ids import article_id, story_id
from contract.records import (
    Article,
    EnrichedArticle,
    Language,
    Source,
    encode,
    utcnow_iso,
)

ROOT = Path(__file__).resolve().parents[3]
SEED_TEXT = (ROOT / "seeds" / "000_91a08a025cc7bc70.txt").read_text(encoding="utf-8").strip()


def enriched(
    url: str,
    title: str,
    text: str,
    *,
    feed: str = "https://feed.example/rss",
    language: str = "nl",
) -> EnrichedArticle:
    """An enriched article as the enrichment stage would publish it (no actors yet)."""
    article = Article(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        published="2019-03-11T09:30:00Z",
        source=Source(name=feed.split("/")[2], feed_url=feed),
        fetched_at=utcnow_iso(),
        story_id=story_id(title, text),
    )
    return EnrichedArticle(
        article=article,
        language=Language(language, 0.99, "test"),
        entities=[],
        topics=[],
        versions={"test": "1"},
        enriched_at=utcnow_iso(),
        raw_timestamp_ms=int(time.time() * 1000),
    )


class TopicReader:
    """Every record of a topic, read from the start by a background consumer."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap.split(","),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            consumer_timeout_ms=200,
        )
        partitions = self._consumer.partitions_for_topic(topic) or {0}
        self._consumer.assign([TopicPartition(topic, p) for p in partitions])
        self._consumer.seek_to_beginning()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for batch in self._consumer.poll(timeout_ms=200).values():
                with self._lock:
                    self.records.extend(json.loads(r.value) for r in batch)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.records)

    def wait_for(
        self,
        predicate: Callable[[list[dict[str, Any]]], bool],
        *,
        timeout: float = 60.0,
        what: str = "records",
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            records = self.snapshot()
            if predicate(records):
                return records
            time.sleep(0.1)
        raise AssertionError(f"gave up waiting for {what}; have {len(self.snapshot())} records")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._consumer.close()


class Sender:
    """Produce enriched articles; each can be followed by a marker on its key."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all")
        self._markers = 0

    def send(self, item: EnrichedArticle, *, key: str | None = None) -> None:
        self.producer.send(self.topic, key=(key or item.id).encode(), value=encode(item)).get(30)

    def send_raw(self, key: bytes, value: bytes) -> None:
        self.producer.send(self.topic, key=key, value=value).get(30)

    def marker(self, key: str) -> str:
        """An article on ``key``'s partition that alerts: once its alert is out, all
        earlier messages on that partition have been processed. Returns its id."""
        self._markers += 1
        token = f"{time.time_ns()}-{self._markers}"
        item = enriched(
            f"https://marker.example/{token}",
            f"Marker {token}",
            f"Bondskanselier Angela Merkel sprak vandaag ({token}) in Berlijn.",
        )
        self.send(item, key=key)
        return item.id

    def close(self) -> None:
        self.producer.close()


class WebhookReceiver:
    """A local HTTP endpoint that fails each alert's first ``failures`` POSTs."""

    def __init__(self, failures: int = 2) -> None:
        self.failures = failures
        self.attempts: Counter[str] = Counter()
        self.delivered: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                if self.path == "/reject":
                    receiver.rejected.append(key)
                    self._answer(400)
                    return
                receiver.attempts[key] += 1
                if receiver.attempts[key] <= receiver.failures:
                    self._answer(503)
                    return
                receiver.delivered.append(body)
                self._answer(200)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
