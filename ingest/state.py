"""The poller's memory, in one sqlite file under ``settings.data_dir``.

Its tables:

* ``feeds``: per-feed HTTP validators (ETag, Last-Modified), the last poll,
  its result, the next poll and the error streak, so a restart keeps both the
  304s and the schedule.
* ``pending``: the publish outbox. New and updated articles are written here
  in the same transaction as the feed's new validators, so an article whose
  feed already answers 304 can never be lost between fetch and publish.
* ``seen``: id -> content hash of every article on Kafka. A row moves from
  ``pending`` to ``seen`` only once its Kafka transaction is committed.
* ``batch``: the articles of the one Kafka transaction in flight, numbered.
  Each transaction also writes its number to the publish ledger topic, so
  after a crash or a broker failure the ledger says whether the open batch
  was committed (then it moves to ``seen``) or aborted (then its articles
  are simply still pending): nothing is lost and nothing is sent twice.
* ``meta``: this state's writer name (the Kafka transactional id) and the
  next batch number. The name is random per state file, so a fresh state
  never mistakes another one's ledger entries for its own.

Used from one thread (the poller's event loop); every write is one short
transaction.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
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
CREATE TABLE IF NOT EXISTS batch (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    feed_url TEXT NOT NULL,
    text_len INTEGER NOT NULL,
    number INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
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


@dataclass(frozen=True)
class Batch:
    """Articles published in one Kafka transaction, numbered per writer.

    ``items`` is empty for a batch read back after a failure: only whether
    it was committed matters then.
    """

    writer: str
    number: int
    items: tuple[PendingItem, ...] = ()


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

    def record_poll(self, feed: FeedState, candidates: Sequence[Candidate]) -> dict[str, list[str]]:
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
                        (
                            item.id,
                            item.content_hash,
                            item.feed_url,
                            item.text_len,
                            disposition,
                            item.payload,
                            now,
                        ),
                    )
            feed.new_items = len(out["new"]) + len(out["updated"])
            self._upsert_feed(feed)
        return out

    def _decide(self, item: Candidate) -> Disposition:
        row = (
            self._db.execute(
                "SELECT content_hash, feed_url, text_len FROM pending WHERE id = ?", (item.id,)
            ).fetchone()
            or self._db.execute(
                "SELECT content_hash, feed_url, text_len FROM seen WHERE id = ?", (item.id,)
            ).fetchone()
        )
        known = Known(*row) if row else None
        return decide(
            known,
            content_hash=item.content_hash,
            feed_url=item.feed_url,
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

    def writer(self) -> str:
        """This state's Kafka transactional id, created once."""
        with self._transaction():
            row = self._db.execute("SELECT value FROM meta WHERE key = 'writer'").fetchone()
            if row:
                return str(row[0])
            name = f"newsstream-ingest-{uuid.uuid4().hex[:16]}"
            self._db.execute("INSERT INTO meta VALUES ('writer', ?)", (name,))
            return name

    def open_batch(self) -> Batch | None:
        """The batch whose transaction's outcome is not known yet, if any."""
        row = self._db.execute("SELECT max(number) FROM batch").fetchone()
        if row[0] is None:
            return None
        return Batch(writer=self.writer(), number=int(row[0]))

    def start_batch(self, limit: int) -> Batch | None:
        """Number the next ``limit`` pending articles as one batch (None: nothing pending)."""
        if self.open_batch() is not None:
            raise RuntimeError("settle the open batch before starting another")
        writer = self.writer()
        items = self.pending(limit)
        if not items:
            return None
        with self._transaction():
            row = self._db.execute("SELECT value FROM meta WHERE key = 'next_batch'").fetchone()
            number = int(row[0]) if row else 1
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('next_batch', ?)", (str(number + 1),)
            )
            self._db.executemany(
                "INSERT INTO batch VALUES (?, ?, ?, ?, ?)",
                [(i.id, i.content_hash, i.feed_url, i.text_len, number) for i in items],
            )
        return Batch(writer=writer, number=number, items=tuple(items))

    def settle(self, batch: Batch, *, committed: bool) -> int:
        """Close ``batch``; if Kafka committed it, move its articles to ``seen``.

        Returns how many articles were published. A pending row replaced by a
        newer version while its older version was in flight stays pending, so
        the newer version is published too.
        """
        now = time.time()
        moved = 0
        with self._transaction():
            rows = self._db.execute(
                "SELECT id, content_hash, feed_url, text_len FROM batch WHERE number = ?",
                (batch.number,),
            ).fetchall()
            if committed:
                for article_id, content_hash, feed_url, text_len in rows:
                    self._db.execute(
                        "DELETE FROM pending WHERE id = ? AND content_hash = ?",
                        (article_id, content_hash),
                    )
                    self._db.execute(
                        "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)",
                        (article_id, content_hash, feed_url, text_len, now),
                    )
                moved = len(rows)
            self._db.execute("DELETE FROM batch WHERE number = ?", (batch.number,))
        return moved

    def seen_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM seen").fetchone()[0])

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


def read_feed_states(data_dir: str | Path) -> list[FeedState]:
    """The poller's per-feed state, read-only; none when the poller never ran here."""
    path = Path(data_dir) / State.FILENAME
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute(f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds ORDER BY url").fetchall()
    except sqlite3.OperationalError:  # created but without tables yet
        return []
    finally:
        db.close()
    return [FeedState(*row) for row in rows]
