"""The poller's memory, in one sqlite file under ``settings.data_dir``.

Its tables:

* ``feeds``: per-feed HTTP validators (ETag, Last-Modified), the last poll,
  its result, the next poll and the error streak, so a restart keeps both the
  304s and the schedule.
* ``pending``: the publish outbox. New and updated articles are written here
  in the same transaction as the feed's new validators, so an article whose
  feed already answers 304 can never be lost between fetch and publish.
* ``seen``: id -> content hash of the articles on Kafka. A row moves from
  ``pending`` to ``seen`` only once its Kafka transaction is committed.
  ``last_seen`` is when a feed last carried the article (refreshed at most
  daily); a row not carried for ``retention_days`` is pruned. Safe because
  of the edge rule in ``ingest/dedup.py``: an article dated before the
  window is never published again, so forgetting its id changes nothing,
  and an undated article still in a feed keeps its row fresh.
* ``batch``: the articles of the one Kafka transaction in flight, numbered.
  Each transaction also writes its number to the publish ledger topic, so
  after a crash or a broker failure the ledger says whether the open batch
  was committed (then it moves to ``seen``) or aborted (then its articles
  are simply still pending): nothing is lost and nothing is sent twice.
* ``meta``: this state's writer name (the Kafka transactional id) and the
  next batch number. The name is random per state file, so a fresh state
  never mistakes another one's ledger entries for its own.

Every table is bounded by :meth:`State.prune`: ``seen`` as above, ``pending``
rows queued longer than the window ago (Kafka was down for that long: the
index would delete them at once), and the ``feeds`` rows of feeds no longer
listed, a window after their last poll. ``batch`` holds one batch, ``meta``
two keys. The file keeps its size once pruning frees as many pages as new
rows take.

Used from one thread (the poller's event loop); every write is one short
transaction.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from contract.clock import DAY, Clock, system_clock, window_start
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
    new_items INTEGER NOT NULL DEFAULT 0,
    first_poll REAL
);
CREATE TABLE IF NOT EXISTS seen (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    feed_url TEXT NOT NULL,
    text_len INTEGER NOT NULL,
    published_at REAL NOT NULL,
    last_seen REAL
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
# After the migration of files written before ``seen.last_seen`` existed.
INDEXES = """
CREATE INDEX IF NOT EXISTS seen_last_seen ON seen (last_seen);
CREATE INDEX IF NOT EXISTS pending_queued_at ON pending (queued_at);
"""
SEEN_REFRESH = DAY  # a carried article's last_seen is rewritten at most this often
PRUNE_CHUNK = 10_000  # rows deleted per transaction, so a first prune never stalls polls


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
    first_poll: float | None = None  # when its articles were first recorded


@dataclass(frozen=True)
class Candidate:
    """A normalised article on its way in, with its encoded message."""

    id: str
    content_hash: str
    feed_url: str
    text_len: int
    payload: bytes
    published: float | None = None  # the article's own date (epoch s); None: undated


@dataclass(frozen=True)
class Pruned:
    """Rows one :meth:`State.prune` removed."""

    seen: int = 0
    pending: int = 0
    feeds: int = 0


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

log = logging.getLogger(__name__)


class State:
    """sqlite-backed state; ``State.open(settings.data_path)``."""

    FILENAME = "ingest.sqlite3"

    def __init__(
        self,
        connection: sqlite3.Connection,
        *,
        clock: Clock = system_clock,
        retention_days: int = 0,
    ) -> None:
        self._db = connection
        self.clock = clock
        self.retention_days = retention_days  # 0: keep every id (and publish any date)
        self._db.executescript(SCHEMA)
        self._migrate()
        self._db.executescript(INDEXES)

    def _migrate(self) -> None:
        """Files written before pruning: every id is kept a window from now, and
        feeds polled before count as old (their old articles may have been sent)."""
        now = self.clock()
        with self._transaction():
            if "last_seen" not in self._columns("seen"):
                self._db.execute("ALTER TABLE seen ADD COLUMN last_seen REAL")
                self._db.execute("UPDATE seen SET last_seen = ?", (now,))
            if "first_poll" not in self._columns("feeds"):
                self._db.execute("ALTER TABLE feeds ADD COLUMN first_poll REAL")
                self._db.execute("UPDATE feeds SET first_poll = 0 WHERE last_poll IS NOT NULL")

    def _columns(self, table: str) -> set[str]:
        return {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}

    @classmethod
    def open(
        cls, data_dir: str | Path, *, clock: Clock = system_clock, retention_days: int = 0
    ) -> State:
        path = Path(data_dir)
        path.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path / cls.FILENAME, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return cls(db, clock=clock, retention_days=retention_days)

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

        Returns article ids by disposition (``new``, ``updated``, ``duplicate``,
        ``expired``: dated before the retention window, not published). A feed
        first recorded less than a window ago has all its ids here, so its
        archive is published whatever its dates (a new subscription's backfill).
        """
        out: dict[str, list[str]] = {"new": [], "updated": [], "duplicate": [], "expired": []}
        now = self.clock()
        if feed.first_poll is None:
            feed.first_poll = now
        cutoff = window_start(now, self.retention_days)
        if cutoff is not None and feed.first_poll > cutoff:
            cutoff = None
        with self._transaction():
            for item in candidates:
                disposition = self._decide(item, now, cutoff)
                out[disposition].append(item.id)
                if disposition in ("new", "updated"):
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

    def _decide(self, item: Candidate, now: float, cutoff: float | None) -> Disposition:
        row = self._db.execute(
            "SELECT content_hash, feed_url, text_len FROM pending WHERE id = ?", (item.id,)
        ).fetchone()
        if row is None:
            seen = self._db.execute(
                "SELECT content_hash, feed_url, text_len, last_seen FROM seen WHERE id = ?",
                (item.id,),
            ).fetchone()
            if seen is not None:
                row = seen[:3]
                if (seen[3] or 0) < now - SEEN_REFRESH:  # still carried: keep the id
                    self._db.execute("UPDATE seen SET last_seen = ? WHERE id = ?", (now, item.id))
        known = Known(*row) if row else None
        return decide(
            known,
            content_hash=item.content_hash,
            feed_url=item.feed_url,
            text_len=item.text_len,
            published=item.published,
            cutoff=cutoff,
        )

    def lookup(self, article_id: str) -> Known | None:
        """What the state knows of an id (the read a dedup decision makes)."""
        row = self._db.execute(
            "SELECT content_hash, feed_url, text_len FROM seen WHERE id = ?", (article_id,)
        ).fetchone()
        return Known(*row) if row else None

    # -- bounds --------------------------------------------------------------

    def prune(self, listed: Iterable[str] | None = None) -> Pruned:
        """Forget what fell out of the retention window (nothing when it is 0).

        ``listed``: the URLs of the feeds in the feed list now; the record of
        any other feed goes once its last poll is a window old. None: keep
        every feed record (the caller does not know the list).
        """
        cutoff = window_start(self.clock(), self.retention_days)
        if cutoff is None:
            return Pruned()
        seen = self._delete_chunked(
            "SELECT rowid FROM seen WHERE last_seen < ? LIMIT ?", "seen", cutoff
        )
        pending = self._delete_chunked(
            "SELECT rowid FROM pending WHERE queued_at < ? "
            "AND id NOT IN (SELECT id FROM batch) LIMIT ?",
            "pending",
            cutoff,
        )
        if pending:
            log.warning(
                "dropped %d articles queued for publication more than %d days ago "
                "(Kafka was unreachable all that time)",
                pending,
                self.retention_days,
            )
        feeds = 0
        if listed is not None:
            keep = set(listed)
            gone = [
                url
                for url, last_poll in self._db.execute("SELECT url, last_poll FROM feeds")
                if url not in keep and (last_poll or 0) < cutoff
            ]
            with self._transaction():
                self._db.executemany("DELETE FROM feeds WHERE url = ?", [(u,) for u in gone])
            feeds = len(gone)
        return Pruned(seen=seen, pending=pending, feeds=feeds)

    def _delete_chunked(self, select: str, table: str, cutoff: float) -> int:
        deleted = 0
        while True:
            with self._transaction():
                cursor = self._db.execute(
                    f"DELETE FROM {table} WHERE rowid IN ({select})", (cutoff, PRUNE_CHUNK)
                )
            deleted += cursor.rowcount
            if cursor.rowcount < PRUNE_CHUNK:
                return deleted

    def row_counts(self) -> dict[str, int]:
        """Rows per table, for status and the soak benchmark."""
        return {
            table: int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("seen", "pending", "feeds", "batch", "meta")
        }

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
        now = self.clock()
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
                        "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?, ?)",
                        (article_id, content_hash, feed_url, text_len, now, now),
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
        # a file of an earlier version may lack the newer columns: they keep their defaults
        present = {r[1] for r in db.execute("PRAGMA table_info(feeds)")}
        columns = [c for c in _FEED_COLUMNS if c in present]
        if not columns:  # created but without tables yet
            return []
        rows = db.execute(f"SELECT {', '.join(columns)} FROM feeds ORDER BY url").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()
    return [FeedState(**dict(zip(columns, row, strict=True))) for row in rows]
