"""Stream wiring for alerts: enriched articles in, new alerts out.

``alerts.detect`` reads enriched articles, matches the live watchlist,
lets the alert store decide which alerts are new and publishes those to
``news.alerts`` and the log. Webhooks (only when configured) read
``news.alerts`` each through a queue of their own (``processors.alerts.delivery``),
so a slow receiver delays neither detection nor the other receivers.

An article in a language with a model comes twice (the fast path's version,
then the recogniser's): the stage keeps no version of an article; an alert
is raised the first time any version names the actor in the story (the
store's alert id per actor and story), so the second version alerts only on
actors the first did not name, and no alert is withdrawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

import faust
from elastic_transport import TransportError
from elasticsearch import ApiError
from prometheus_client import Counter as Metric
from prometheus_client import Histogram

from contract.errors import PermanentError, ServiceUnavailable
from contract.records import (
    Alert,
    EnrichedArticle,
    decode_enriched,
    encode,
)
from contract.settings import Settings
from processors.alerts.decide import decide
from processors.alerts.delivery import register_webhooks
from processors.alerts.saved import SavedSearchMatcher
from processors.alerts.sinks import LogSink, Sink
from processors.alerts.store import AlertStore
from processors.enrichment.actors import ACTORS_STEP, match_actors
from processors.enrichment.watchlist import Watchlist, WatchlistSource, open_watchlist
from processors.lateness import late_after
from processors.stage import (
    Item,
    Message,
    Outcome,
    Output,
    Stage,
    dead_letter,
    failed,
    handled,
    register_stage,
)
from processors.topics import ProcessorTopics
from search.client import async_es_client
from search.saved_searches import searches_index

log = logging.getLogger(__name__)

# A batch closes after this long or this many messages, whichever comes first:
# the window bounds the latency it adds, the batch shares one store request.
# Each request costs Elasticsearch a millisecond or more of CPU (a one-document
# bulk 1.7 ms, against 0.5 ms per article in a large bulk), so a 50 ms window
# (up to 20 claims and 20 marks a second per worker) cost more than the alerts
# themselves; 200 ms adds about 0.1 s to an alert (p95 0.14 -> 0.28 s at 100
# articles/s in benchmarks/e2e.py).
BATCH_WINDOW = 0.2
BATCH_MAX = 500
# While a backlog drains (a batch's newest article entered Kafka more than
# ``bulk_late_after`` seconds ago; at a steady pace it is a few tenths of a
# second old) its alerts are late already: a batch then gathers up to
# LATE_WINDOW, one claim request a second instead of five.
LATE_WINDOW = 1.0
PRUNE_INTERVAL = 3600.0  # seconds between two prunings of the alert history
# A "sent" mark waits up to this long for the next claim request to ride on
# (the store's ``mark_later``) instead of costing a request of its own; it
# only matters to a worker taking over after a crash (leases last 15 s).
MARK_DELAY = 0.5
# Alerts this worker delivered, by (alert id, article id): the same article
# again (a redelivery, or its version with statistical names) is a duplicate
# without asking the store.
REMEMBERED = 100_000


RAISED = Metric("newsstream_alerts_raised", "New alerts delivered (first time for actor and story)")
DUPLICATES = Metric(
    "newsstream_alerts_duplicate", "Candidate alerts dropped: story already alerted for the actor"
)
LATENCY = Histogram(
    "newsstream_alert_latency_seconds",
    "From the article landing on the raw topic to its alert",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
)


def _forget_oldest(remembered: dict) -> None:
    """Keep the ``REMEMBERED`` newest entries (a dict keeps insertion order)."""
    while len(remembered) > REMEMBERED:
        del remembered[next(iter(remembered))]


def _now_ms() -> int:
    return int(time.time() * 1000)


class Detector:
    """Enriched articles to their new alerts, delivered to the inline sinks.

    Work is done per batch of messages: one bulk request to the alert store
    decides which of a batch's alerts are new, so the cost of asking
    Elasticsearch is shared by every article that arrived in the same tens
    of milliseconds.
    """

    def __init__(
        self,
        watchlist: WatchlistSource,
        store: AlertStore,
        sinks: Sequence[Sink],
        *,
        clock_ms: Callable[[], int] = _now_ms,
        searches: SavedSearchMatcher | None = None,
    ) -> None:
        self.watchlist = watchlist
        self.searches = searches
        self.store = store
        self.sinks = list(sinks)
        self.clock_ms = clock_ms
        self.outcomes: Counter[str] = Counter()
        self._marking: asyncio.Future[None] | None = None
        self._wake = asyncio.Event()
        self._delivered: dict[tuple[str, str], None] = {}  # insertion-ordered
        self._unsent: dict[str, str] = {}  # alert id -> article id, until Kafka has it

    async def drain(self) -> None:
        """Send the bookkeeping still queued or in flight (before shutdown, and in tests)."""
        if self._marking is not None:
            self._wake.set()
            try:
                await self._marking
            finally:
                self._marking = None
                self._wake.clear()
        await self.store.flush_marks()

    async def _flush_marks_soon(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), MARK_DELAY)
        await self.store.flush_marks()

    def candidates(
        self,
        enriched: EnrichedArticle,
        *,
        fallback_ms: int = 0,
        watchlist: Watchlist | None = None,
    ) -> list[Alert]:
        """Candidate alerts of one article.

        The enrichment's matches are used as they are when it matched actors
        (even finding none); only articles enriched without a watchlist are
        matched here.
        """
        article = enriched.article
        if ACTORS_STEP in enriched.versions or enriched.actors:
            mentions = enriched.actors
        else:
            mentions = match_actors(
                watchlist or self.watchlist.get(),
                article.title,
                article.text,
                enriched.entities,
            )
        return decide(enriched, mentions, now_ms=self.clock_ms(), fallback_timestamp_ms=fallback_ms)

    async def search_candidates(
        self, articles: Sequence[tuple[EnrichedArticle, int]]
    ) -> list[list[Alert]]:
        """Each article's saved-search candidates; an unreachable Elasticsearch is an
        outage (the batch is retried), never a reason to miss an alert."""
        if self.searches is None:
            return [[] for _ in articles]
        try:
            return await self.searches.candidates(articles, now_ms=self.clock_ms())
        except (ApiError, TransportError) as exc:
            raise ServiceUnavailable(f"saved searches: Elasticsearch: {exc}") from exc

    async def publish(
        self, candidates: Sequence[Alert]
    ) -> tuple[list[Alert], list[tuple[Alert, PermanentError]]]:
        """Store, then deliver, the candidates that are new: (new, refused by the store)."""
        unique: dict[str, Alert] = {}
        later: list[Alert] = []
        for alert in candidates:  # syndicated copies in one batch: the first one alerts
            if (alert.id, alert.article_id) in self._delivered:
                continue
            if unique.setdefault(alert.id, alert) is not alert:
                later.append(alert)
        outcomes = await self.store.claim_many(list(unique.values()))
        if later:  # ... and the others are counted on it
            await self.store.count_copies(later)
        pairs = list(zip(unique.values(), outcomes, strict=True))
        new = [a for a, o in pairs if o is True]
        refused: list[tuple[Alert, PermanentError]] = [
            (a, o) for a, o in pairs if isinstance(o, PermanentError)
        ]
        self._unsent.update((a.id, a.article_id) for a in new)
        _forget_oldest(self._unsent)  # never acknowledged
        for alert in new:
            for sink in self.sinks:
                await sink.deliver(alert)
        duplicates = len(candidates) - len(new) - len(refused)
        self.outcomes["alerted"] += len(new)
        self.outcomes["duplicate"] += duplicates
        RAISED.inc(len(new))
        DUPLICATES.inc(duplicates)
        for alert in new:
            if alert.latency_ms >= 0:
                LATENCY.observe(alert.latency_ms / 1000)
        return new, refused

    async def sent(self, alert_ids: Sequence[str]) -> None:
        """Record alerts as sent once they are on Kafka: until then a crash leaves
        them pending, and the restarted worker takes them over and sends them.

        The marks ride on the next batch's claim request, or go on their own
        after ``MARK_DELAY``."""
        for alert_id in alert_ids:
            article_id = self._unsent.pop(alert_id, None)
            if article_id is not None:
                self._delivered[(alert_id, article_id)] = None
        _forget_oldest(self._delivered)
        self.store.mark_later(list(alert_ids), "sent")
        if self._marking is not None and self._marking.done():
            marking, self._marking = self._marking, None
            await marking  # a failed flush raises here (its marks are queued again)
        if self._marking is None and alert_ids:
            self._marking = asyncio.ensure_future(self._flush_marks_soon())

    async def process(self, enriched: EnrichedArticle, *, fallback_ms: int = 0) -> list[Alert]:
        """One article end to end (the batch path does the same for many)."""
        new, refused = await self.publish(self.candidates(enriched, fallback_ms=fallback_ms))
        await self.sent([a.id for a in new])
        await self.drain()
        if refused:
            raise refused[0][1]
        return new


def alert_output(alert: Alert) -> Output:
    return Output("alerts", alert.id.encode(), encode(alert))


def refused_output(alert: Alert, error: PermanentError) -> Output:
    """The dead-letter record of an alert the store refused (the article itself is fine)."""
    raw = encode(alert)
    return dead_letter(Message(raw, key=alert.id.encode()), error, stage="alerts-store")


def detect_handler(
    detector: Detector,
) -> Callable[[Sequence[Item[EnrichedArticle]]], Awaitable[list[Outcome]]]:
    """Enriched articles to the new alerts each one raised, for the harness to send."""

    async def handle(items: Sequence[Item[EnrichedArticle]]) -> list[Outcome]:
        watchlist = detector.watchlist.get()
        errors: dict[int, Exception] = {}
        origin: dict[str, int] = {}  # alert id -> the first message that raised it
        candidates: list[Alert] = []
        for i, (message, enriched) in enumerate(items):
            try:
                found = detector.candidates(
                    enriched, fallback_ms=message.timestamp_ms, watchlist=watchlist
                )
            except Exception as exc:  # noqa: BLE001 - one bad article must not stop alerts
                errors[i] = exc
                continue
            for alert in found:
                origin.setdefault(alert.id, i)
            candidates += found
        matched = [i for i in range(len(items)) if i not in errors]
        by_search = await detector.search_candidates(
            [(items[i][1], items[i][0].timestamp_ms) for i in matched]
        )
        for i, found in zip(matched, by_search, strict=True):
            for alert in found:
                origin.setdefault(alert.id, i)
            candidates += found
        new, refused = await detector.publish(candidates)
        outputs: list[list[Output]] = [[] for _ in items]
        for alert in new:
            outputs[origin[alert.id]].append(alert_output(alert))
        for alert, error in refused:
            outputs[origin[alert.id]].append(refused_output(alert, error))
        return [
            failed(errors[i]) if i in errors else handled(*outputs[i]) for i in range(len(items))
        ]

    return handle


def sent_handler(detector: Detector) -> Callable[[Sequence[Outcome]], Awaitable[None]]:
    """Mark the alerts among outcomes Kafka acknowledged as sent in the store."""

    async def sent(outcomes: Sequence[Outcome]) -> None:
        await detector.sent(
            [
                output.key.decode()
                for outcome in outcomes
                for output in outcome.outputs
                if output.topic == "alerts" and output.key
            ]
        )

    return sent


def register(app: faust.App, topics: ProcessorTopics, settings: Settings) -> None:
    """Attach the alert stages to ``app`` (see ``processors.app.register_stages``)."""
    source = open_watchlist(settings)
    store = AlertStore(async_es_client(settings), settings.index_alerts)
    # New alerts go to the alerts topic as the harness's outputs, after the log.
    matcher_es = async_es_client(settings, fast_json=True)
    searches = SavedSearchMatcher(matcher_es, searches_index(settings.index_alerts))
    detector = Detector(source, store, [LogSink()], searches=searches)
    detect = Stage(
        "alerts",
        decode_enriched,
        detect_handler(detector),
        batch_size=BATCH_MAX,
        within=BATCH_WINDOW,
        sent=sent_handler(detector),
        late=late_after(settings.bulk_late_after),
        late_within=LATE_WINDOW,
    )
    register_stage(app, topics, topics.enriched, detect, name="alerts.detect")

    register_webhooks(app, topics, settings)

    @app.timer(PRUNE_INTERVAL)
    async def prune() -> None:
        try:
            await store.prune(settings.retention_days)
        except Exception as exc:  # noqa: BLE001 - pruning is retried next hour
            log.warning("alerts: pruning the history failed: %s", exc)

    @app.on_before_shutdown.connect
    async def close(app: faust.App, /, *args: object, **kwargs: object) -> None:
        await detector.drain()
        log.info("alerts: %s", dict(detector.outcomes) or "no articles")
        await store.close()
        await matcher_es.close()
