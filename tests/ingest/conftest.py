"""Fixtures for the ingest tests: a local feed server and a publisher seam."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ingest.feedlist import Feed
from ingest.state import PendingItem
from newsstream.contract.errors import ServiceUnavailable
from newsstream.contract.settings import Settings
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
    """Stands in for Kafka: records what it acknowledges, or is 'down'."""

    def __init__(self) -> None:
        self.sent: list[PendingItem] = []
        self.down = False
        self.attempts = 0

    def publish(self, items: Sequence[PendingItem]) -> list[PendingItem]:
        self.attempts += 1
        if self.down:
            raise ServiceUnavailable("Kafka is down (test)")
        self.sent.extend(items)
        return list(items)

    def close(self) -> None:
        pass
