"""The poll loop: fetch due feeds concurrently, queue new articles, publish them.

One feed's refresh reads top to bottom in :meth:`Poller.poll_feed`:
schedule the next check *before* fetching (a crash or hang mid-fetch must not
turn into a hot loop), fetch conditionally, parse, normalise, then save the
validators, the schedule and the new articles in one transaction. A separate
drain publishes the outbox in numbered batches, one Kafka transaction each
(see ``ingest/publish.py``), and marks a batch's articles seen once it is
committed. A batch whose outcome is unknown (Kafka failed mid-commit, the
process was killed) is settled from the publish ledger before anything else
is sent, so a restart publishes nothing twice and loses nothing.

Concurrency is bounded twice: ``poll_concurrency`` fetches overall and
``per_host_concurrency`` per host, so thousands of feeds on one publisher's
server are not fetched all at once. A failing feed is logged with its URL,
counted, and backed off; it never stops the others.

Time comes from one injected clock (``contract/clock.py``): the schedule,
the articles' fetch time, the retention window and the pruning of the state
(before polling, at most once per ``PRUNE_EVERY``) all read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit

from contract.clock import Clock, system_clock
from contract.errors import FeedError, ServiceUnavailable
from contract.records import encode, parse_iso
from contract.retry import PUBLISH_RETRY, RetryPolicy
from contract.settings import Settings
from ingest.feedlist import Feed
from ingest.fetch import Fetcher, FetchLimits, FetchResult
from ingest.metrics import Metrics
from ingest.normalise import normalise
from ingest.parse import parse_feed
from ingest.publish import Publisher
from ingest.schedule import Observation, Policy, items_per_day, next_interval
from ingest.state import Batch, Candidate, FeedState, State

log = logging.getLogger(__name__)

DRAIN_BATCH = 500
PRUNE_EVERY = 3600.0  # seconds of the clock between two prunings of the state


@dataclass
class CycleReport:
    """What one cycle did, for the command line and the tests."""

    feeds: int = 0
    results: Counter[str] = field(default_factory=Counter)  # ok | not_modified | error:<kind>
    # new | updated | duplicate | expired (older than the window) | unreadable
    items: Counter[str] = field(default_factory=Counter)
    published: int = 0
    pending: int = 0
    problems: int = 0
    seconds: float = 0.0

    @property
    def not_modified(self) -> int:
        return self.results["not_modified"]

    @property
    def errors(self) -> int:
        return sum(n for r, n in self.results.items() if r.startswith("error"))

    def summary(self) -> str:
        return (
            f"{self.feeds} feeds in {self.seconds:.1f}s: {self.results['ok']} changed, "
            f"{self.not_modified} not modified, {self.errors} failed; "
            f"{self.items['new']} new, {self.items['updated']} updated, "
            f"{self.items['duplicate']} duplicate"
            + (f", {self.items['expired']} too old" if self.items["expired"] else "")
            + f" articles; {self.published} published, "
            f"{self.pending} pending"
        )


class Poller:
    def __init__(
        self,
        settings: Settings,
        *,
        state: State | None = None,
        fetcher: Fetcher | None = None,
        publisher: Publisher | None = None,
        metrics: Metrics | None = None,
        clock: Clock = system_clock,
        jitter: Clock = random.random,
        publish_retry: RetryPolicy = PUBLISH_RETRY,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        self.state = state or State.open(
            settings.data_path, clock=clock, retention_days=settings.retention_days
        )
        self.fetcher = fetcher or Fetcher(
            FetchLimits.from_settings(settings), max_connections=settings.poll_concurrency
        )
        self.publisher = publisher or Publisher(settings, metrics=self.metrics)
        self.policy = Policy.from_settings(settings)
        self.clock = clock
        self.jitter = jitter
        self.publish_retry = publish_retry
        self._global = asyncio.Semaphore(settings.poll_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._drain_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._report: CycleReport | None = None
        self._pruned_at: float | None = None

    async def aclose(self) -> None:
        await self.fetcher.aclose()
        await asyncio.to_thread(self.publisher.close)
        self.state.close()

    # -- one feed ------------------------------------------------------------

    async def poll_feed(self, feed: Feed) -> str:
        """Refresh one feed; return its result word."""
        st = self.state.feed(feed.url)
        now = self.clock()
        provisional, _ = next_interval(
            Observation(ok=False, error_streak=st.error_streak + 1), self.policy, self.jitter()
        )
        st.next_poll = now + provisional
        self.state.save_feed(st)

        started = time.monotonic()
        candidates: list[Candidate]
        try:
            async with self._global, self._host(feed.url):
                result = await self.fetcher.fetch(
                    feed.url, etag=st.etag, last_modified=st.last_modified
                )
            self.metrics.fetch_seconds.observe(time.monotonic() - started)
            if result.permanent_redirect:
                log.info("%s moved permanently to %s", feed.url, result.final_url)
            if result.not_modified:
                outcome, candidates, ttl = "not_modified", [], st.ttl_minutes
                self.metrics.not_modified.inc()
            else:
                outcome = "ok"
                candidates, ttl, st = self._read(feed, st, result)
        except FeedError as exc:
            return self._failed(feed, st, exc, now)
        except Exception as exc:  # noqa: BLE001 - one feed's surprise must not stop the others
            log.exception("%s: unexpected error while polling", feed.url)
            return self._failed(
                feed, st, FeedError(f"{type(exc).__name__}: {exc}", kind="internal"), now
            )

        if not result.not_modified:
            st.etag, st.last_modified = result.etag, result.last_modified
        elif result.etag or result.last_modified:
            st.etag = result.etag or st.etag
            st.last_modified = result.last_modified or st.last_modified
        interval, reason = next_interval(
            Observation(
                ok=True,
                items_per_day=st.items_per_day,
                fixed_interval=feed.interval,
                max_age=result.max_age,
                ttl_minutes=ttl,
                retry_after=result.retry_after,
            ),
            self.policy,
            self.jitter(),
        )
        st.last_poll, st.last_status, st.last_result = now, result.status, outcome
        st.last_error, st.error_streak = "", 0
        st.interval, st.schedule_reason, st.next_poll = interval, reason, now + interval
        counts = self.state.record_poll(st, candidates)
        if st.new_items:
            self._wake.set()
        self._count(outcome, {k: len(v) for k, v in counts.items()})
        return outcome

    def _read(
        self, feed: Feed, st: FeedState, result: FetchResult
    ) -> tuple[list[Candidate], float | None, FeedState]:
        parsed = parse_feed(result.body, url=feed.url, content_type=result.content_type)
        if parsed.problems:
            self.metrics.feed_problems.inc()
            if self._report:
                self._report.problems += 1
            log.warning("%s: feed has problems: %s", feed.url, "; ".join(parsed.problems))
        fetched = datetime.fromtimestamp(self.clock(), UTC)
        candidates: list[Candidate] = []
        dated: list[datetime] = []
        unreadable = 0
        for entry in parsed.entries:
            try:
                article = normalise(
                    entry,
                    feed=feed,
                    fetched=fetched,
                    feed_title=parsed.title,
                    feed_language=parsed.language,
                    base_url=result.final_url,
                )
            except ValueError as exc:
                unreadable += 1
                log.warning("%s: skipped an entry: %s", feed.url, exc)
                continue
            published = None
            if article.published_from != "fetched":
                when = parse_iso(article.published)
                dated.append(when)
                published = when.timestamp()
            candidates.append(
                Candidate(
                    id=article.id,
                    content_hash=article.content_hash,
                    feed_url=feed.url,
                    text_len=len(article.text),
                    payload=encode(article),
                    published=published,
                )
            )
        if unreadable:
            self.metrics.items.labels("unreadable").inc(unreadable)
            if self._report:
                self._report.items["unreadable"] += unreadable
        st.title = parsed.title or st.title
        st.entries = len(parsed.entries)
        st.items_per_day = items_per_day(dated, fetched)
        st.ttl_minutes = parsed.ttl_minutes
        return candidates, parsed.ttl_minutes, st

    def _failed(self, feed: Feed, st: FeedState, exc: FeedError, now: float) -> str:
        st.error_streak += 1
        st.last_poll, st.last_result, st.last_error = now, f"error:{exc.kind}", str(exc)[:500]
        st.last_status = _status_of(exc.kind)
        interval, reason = next_interval(
            Observation(ok=False, error_streak=st.error_streak, retry_after=exc.retry_after),
            self.policy,
            self.jitter(),
        )
        st.interval, st.schedule_reason, st.next_poll = interval, reason, now + interval
        st.new_items = 0
        self.state.save_feed(st)
        self.metrics.errors.labels(exc.kind).inc()
        where = "" if feed.url in str(exc) else f"{feed.url}: "
        log.warning(
            "%s%s (failure %d in a row, next try in %.0fs)",
            where,
            exc,
            st.error_streak,
            interval,
        )
        self._count(st.last_result, {})
        return st.last_result

    def _count(self, outcome: str, items: dict[str, int]) -> None:
        self.metrics.feeds_polled.labels(outcome.split(":", 1)[0]).inc()
        for disposition, n in items.items():
            if n:
                self.metrics.items.labels(disposition).inc(n)
        if self._report is not None:
            self._report.results[outcome] += 1
            self._report.items.update(items)

    def _host(self, url: str) -> asyncio.Semaphore:
        parts = urlsplit(url)
        key = f"{(parts.hostname or '').lower()}:{parts.port or ''}"
        if key not in self._hosts:
            self._hosts[key] = asyncio.Semaphore(self.settings.per_host_concurrency)
        return self._hosts[key]

    # -- publishing ----------------------------------------------------------

    async def drain(self) -> int:
        """Publish pending articles until none are left; return how many were published.

        Raises ``ServiceUnavailable`` when Kafka does not commit a batch; its
        articles stay pending (and the batch open until the ledger settles it).
        """
        published = 0
        async with self._drain_lock:
            try:
                while True:
                    unsettled = self.state.open_batch()
                    if unsettled is not None:
                        committed = await asyncio.to_thread(self.publisher.committed, unsettled)
                        published += self._settled(unsettled, committed)
                        continue
                    batch = self.state.start_batch(DRAIN_BATCH)
                    if batch is None:
                        break
                    await asyncio.to_thread(self.publisher.publish, batch)
                    published += self._settled(batch, True)
            finally:
                self.metrics.pending.set(self.state.pending_count())
        return published

    def _settled(self, batch: Batch, committed: bool) -> int:
        published = self.state.settle(batch, committed=committed)
        if self._report is not None:
            self._report.published += published
        return published

    async def _drainer(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
            if stop.is_set():
                return
            self._wake.clear()
            try:
                await self.drain()
                failures = 0
            except ServiceUnavailable as exc:
                failures += 1
                delay = self.publish_retry.delay(failures)
                log.warning("publishing paused: %s; retrying in %.0fs", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                self._wake.set()

    # -- bounds --------------------------------------------------------------

    def prune(self, feeds: Iterable[Feed]) -> None:
        """Forget ids, queued articles and unlisted feeds older than the window."""
        self._pruned_at = self.clock()
        pruned = self.state.prune(f.url for f in feeds)
        if pruned.seen or pruned.pending or pruned.feeds:
            log.info(
                "state pruned: %d article ids, %d queued articles, %d unlisted feeds",
                pruned.seen,
                pruned.pending,
                pruned.feeds,
            )

    def _prune_due(self, feeds: Iterable[Feed]) -> None:
        if self._pruned_at is None or self.clock() - self._pruned_at >= PRUNE_EVERY:
            self.prune(feeds)

    # -- cycles --------------------------------------------------------------

    async def run_cycle(self, feeds: Iterable[Feed], *, due_only: bool = False) -> CycleReport:
        """Poll every enabled feed (or only those due) once, then publish what is pending."""
        feeds = list(feeds)
        self._prune_due(feeds)
        report = self._report = CycleReport()
        started = time.monotonic()
        now = self.clock()
        chosen = [
            f
            for f in feeds
            if f.enabled and (not due_only or (self.state.feed(f.url).next_poll or 0) <= now)
        ]
        report.feeds = len(chosen)
        stop = asyncio.Event()
        self._wake.set()  # publish leftovers from an earlier run straight away
        drainer = asyncio.create_task(self._drainer(stop))
        try:
            await asyncio.gather(*(self.poll_feed(f) for f in chosen))
        finally:
            stop.set()
            await drainer
        try:
            await self.drain()
        except ServiceUnavailable as exc:
            log.warning("Kafka unavailable, articles stay pending: %s", exc)
        report.pending = self.state.pending_count()
        report.seconds = time.monotonic() - started
        self._report = None
        return report

    async def run_forever(self, feeds: list[Feed], stop: asyncio.Event, tick: float = 1.0) -> None:
        """Poll each feed whenever it is due, until ``stop`` is set."""
        running: dict[str, asyncio.Task[str]] = {}
        drain_stop = asyncio.Event()
        drainer = asyncio.create_task(self._drainer(drain_stop))
        self._wake.set()
        enabled = [f for f in feeds if f.enabled]
        due_at = {f.url: self.state.feed(f.url).next_poll or 0.0 for f in enabled}
        try:
            while not stop.is_set():
                self._prune_due(feeds)
                now = self.clock()
                for feed in enabled:
                    if feed.url not in running and due_at[feed.url] <= now:
                        task = asyncio.create_task(self.poll_feed(feed))
                        running[feed.url] = task
                        task.add_done_callback(
                            partial(self._finished, feed.url, running=running, due_at=due_at)
                        )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), tick)
        finally:
            for task in running.values():
                task.cancel()
            await asyncio.gather(*running.values(), return_exceptions=True)
            drain_stop.set()
            await drainer

    def _finished(
        self,
        url: str,
        task: asyncio.Task[str],
        running: dict[str, asyncio.Task[str]],
        due_at: dict[str, float],
    ) -> None:
        running.pop(url, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: poll crashed: %r", url, task.exception())
        due_at[url] = self.state.feed(url).next_poll or (self.clock() + self.policy.min_interval)


def _status_of(kind: str) -> int | None:
    if kind.startswith("http_"):
        try:
            return int(kind[5:])
        except ValueError:
            return None
    return None
