"""The poller's memory, in one sqlite file under ``settings.data_dir``.

Three tables:

* ``feeds``: per-feed HTTP validators (ETag, Last-Modified), the last poll,
  its result, the next poll and the error streak, so a restart keeps both the
  304s and the schedule.
* ``pending``: the publish outbox. New and updated articles are written here
  in the same transaction as the feed's new validators, so an article whose
  feed already answers 304 can never be lost between fetch and publish.
* ``seen``: id -> content hash of every article Kafka acknowledged. A row
  moves from ``pending`` to ``seen`` only after the broker's ack.

Used from one thread (the poller's event loop); every write is one short
transaction.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from ingest.dedup import Disposition, Known, decide

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    etag TEXT,
    last_modified TEXT,
    last_poll REAL,
    last_result TEXT NOT NULL DEFAULT '',
    last_status INTEGER,
    last_error TEXT NOT NULL DEFAULT '',
    error_streak INTEGER NOT NULL DEFAULT 0,
    next_poll REAL,
    interval REAL,
    schedule_reason TEXT NOT NULL DEFAULT '',
    items_per_day REAL,
    ttl_minutes REAL,
    entries INTEGER NOT NULL DEFAULT 0,
    new_items INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS seen (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    feed_url TEXT NOT NULL,
    text_len INTEGER NOT NULL,
    published_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    feed_url TEXT NOT NULL,
    text_len INTEGER NOT NULL,
    disposition TEXT NOT NULL,
    payload BLOB NOT NULL,
    queued_at REAL NOT NULL
);
"""


@dataclass
class FeedState:
    """One feed's polling state, as plain fields."""

    url: str
    title: str = ""
    etag: str | None = None
    last_modified: str | None = None
    last_poll: float | None = None
    last_result: str = ""  # ok | not_modified | error:<kind>
    last_status: int | None = None
    last_error: str = ""
    error_streak: int = 0
    next_poll: float | None = None
    interval: float | None = None
    schedule_reason: str = ""
    items_per_day: float | None = None
    ttl_minutes: float | None = None  # the feed's RSS <ttl>, kept for 304 answers
    entries: int = 0
    new_items: int = 0


@dataclass(frozen=True)
class Candidate:
    """A normalised article on its way in, with its encoded message."""

    id: str
    content_hash: str
    feed_url: str
    text_len: int
    payload: bytes


@dataclass(frozen=True)
class PendingItem:
    id: str
    content_hash: str
    feed_url: str
    text_len: int
    disposition: str
    payload: bytes


_FEED_COLUMNS = [f.name for f in fields(FeedState)]


class State:
    """sqlite-backed state; ``State.open(settings.data_path)``."""

    FILENAME = "ingest.sqlite3"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._db.executescript(SCHEMA)

    @classmethod
    def open(cls, data_dir: str | Path) -> State:
        path = Path(data_dir)
        path.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path / cls.FILENAME, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return cls(db)

    def close(self) -> None:
        self._db.close()

    # -- feeds ---------------------------------------------------------------

    def feed(self, url: str) -> FeedState:
        row = self._db.execute(
            f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds WHERE url = ?", (url,)
        ).fetchone()
        return FeedState(*row) if row else FeedState(url=url)

    def feeds(self) -> list[FeedState]:
        rows = self._db.execute(
            f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds ORDER BY url"
        ).fetchall()
        return [FeedState(*row) for row in rows]

    def save_feed(self, feed: FeedState) -> None:
        with self._transaction():
            self._upsert_feed(feed)

    def record_poll(
        self, feed: FeedState, candidates: Sequence[Candidate]
    ) -> dict[str, list[str]]:
        """Save the feed's new state and queue what is new or updated, atomically.

        Returns article ids by disposition (``new``, ``updated``, ``duplicate``).
        """
        out: dict[str, list[str]] = {"new": [], "updated": [], "duplicate": []}
        now = time.time()
        with self._transaction():
            for item in candidates:
                disposition = self._decide(item)
                out[disposition].append(item.id)
                if disposition != "duplicate":
                    self._db.execute(
                        "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (item.id, item.content_hash, item.feed_url, item.text_len,
                         disposition, item.payload, now),
                    )
            feed.new_items = len(out["new"]) + len(out["updated"])
            self._upsert_feed(feed)
        return out

    def _decide(self, item: Candidate) -> Disposition:
        row = self._db.execute(
            "SELECT content_hash, feed_url, text_len FROM pending WHERE id = ?", (item.id,)
        ).fetchone() or self._db.execute(
            "SELECT content_hash, feed_url, text_len FROM seen WHERE id = ?", (item.id,)
        ).fetchone()
        known = Known(*row) if row else None
        return decide(
            known, content_hash=item.content_hash, feed_url=item.feed_url,
            text_len=item.text_len,
        )

    # -- outbox --------------------------------------------------------------

    def pending(self, limit: int = 1000, exclude: Iterable[str] = ()) -> list[PendingItem]:
        skip = set(exclude)
        rows = self._db.execute(
            "SELECT id, content_hash, feed_url, text_len, disposition, payload FROM pending "
            "ORDER BY queued_at LIMIT ?",
            (limit + len(skip),),
        ).fetchall()
        return [PendingItem(*r) for r in rows if r[0] not in skip][:limit]

    def pending_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM pending").fetchone()[0])

    def mark_published(self, items: Iterable[PendingItem]) -> int:
        """Move acknowledged items from the outbox to ``seen``.

        A pending row replaced by a newer version while its older version was
        in flight stays pending, so the newer version is published too.
        """
        now = time.time()
        moved = 0
        with self._transaction():
            for item in items:
                gone = self._db.execute(
                    "DELETE FROM pending WHERE id = ? AND content_hash = ?",
                    (item.id, item.content_hash),
                ).rowcount
                self._db.execute(
                    "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)",
                    (item.id, item.content_hash, item.feed_url, item.text_len, now),
                )
                moved += gone
        return moved

    def seen_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM seen").fetchone()[0])

    def is_seen(self, article_id: str) -> bool:
        return self._db.execute(
            "SELECT 1 FROM seen WHERE id = ?", (article_id,)
        ).fetchone() is not None

    # -- helpers -------------------------------------------------------------

    def _upsert_feed(self, feed: FeedState) -> None:
        values = vars(feed)
        columns = ", ".join(_FEED_COLUMNS)
        marks = ", ".join("?" for _ in _FEED_COLUMNS)
        self._db.execute(
            f"INSERT OR REPLACE INTO feeds ({columns}) VALUES ({marks})",
            [values[c] for c in _FEED_COLUMNS],
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
