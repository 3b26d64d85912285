"""Fixtures for the ingest tests: a local feed server and a publisher seam."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from contract.errors import ServiceUnavailable
from contract.settings import Settings
from ingest.feedlist import Feed
from ingest.state import Batch, PendingItem
from tests.ingest.server import FeedServer

FIXTURES = Path(__file__).resolve().parents[2] / "seeds" / "feeds" / "fixtures"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir())
# Distinct article ids in the fixtures: 20 entries, the Brexit story twice under one URL.
FIXTURE_ARTICLES = 19


@pytest.fixture(scope="session")
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def server(feed_server: FeedServer) -> Iterator[FeedServer]:
    """The shared server with the fixture feeds loaded fresh for this test."""
    feed_server.files.clear()
    feed_server.raw.clear()
    feed_server.requests.clear()
    for name in FIXTURE_NAMES:
        feed_server.files[name] = (FIXTURES / name).read_bytes()
    yield feed_server


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """Test settings with short timeouts and a small size cap."""
    return dataclasses.replace(
        settings,
        http_connect_timeout=1.0,
        http_read_timeout=1.5,
        max_feed_bytes=256 * 1024,
        max_redirects=3,
    )


def fixture_feeds(server: FeedServer, names: Sequence[str] = FIXTURE_NAMES) -> list[Feed]:
    return [Feed(url=server.url(f"/feeds/{n}"), name=n) for n in names]


class RecordingPublisher:
    """Stands in for Kafka: records the batches it commits, or is 'down'.

    ``lose_answer`` commits the next batch but fails as if the answer was
    lost on the way back (a broker restart or a timeout mid-commit).
    """

    def __init__(self) -> None:
        self.sent: list[PendingItem] = []
        self.committed_batches: set[tuple[str, int]] = set()
        self.down = False
        self.lose_answer = False
        self.attempts = 0

    def publish(self, batch: Batch) -> None:
        self.attempts += 1
        if self.down:
            raise ServiceUnavailable("Kafka is down (test)")
        self.sent.extend(batch.items)
        self.committed_batches.add((batch.writer, batch.number))
        if self.lose_answer:
            self.lose_answer = False
            raise ServiceUnavailable("the commit's answer was lost (test)")

    def committed(self, batch: Batch) -> bool:
        if self.down:
            raise ServiceUnavailable("Kafka is down (test)")
        return (batch.writer, batch.number) in self.committed_batches

    def close(self) -> None:
        pass
