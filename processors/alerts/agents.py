"""Stream wiring for alerts: enriched articles in, new alerts out.

``alerts.detect`` reads enriched articles, matches the live watchlist,
lets the alert store decide which alerts are new and publishes those to
``news.alerts`` and the log. ``alerts.webhooks`` (only when webhooks are
configured) reads ``news.alerts`` and POSTs each alert, so a slow receiver
never delays detection, and an alert whose webhook keeps failing ends up on
the dead-letter topic instead of blocking the ones behind it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence

import faust

from newsstream.contract.errors import NewsstreamError, PermanentError
from newsstream.contract.records import Alert, EnrichedArticle, decode_enriched, decode_json
from newsstream.contract.settings import Settings
from processors.alerts.decide import decide
from processors.alerts.matching import match_actors
from processors.alerts.retry import WEBHOOK_RETRY, RetryPolicy, retrying
from processors.alerts.sinks import KafkaSink, LogSink, Sink, WebhookSink, webhook_sinks
from processors.alerts.store import AlertStore, async_es_client
from processors.alerts.watchlist import WatchlistSource, watchlist_path
from processors.deadletter import park

log = logging.getLogger(__name__)


def _now_ms() -> int:
    return int(time.time() * 1000)


class Detector:
    """One enriched article to its new alerts, delivered to the inline sinks."""

    def __init__(
        self, watchlist: WatchlistSource, store: AlertStore, sinks: Sequence[Sink],
        *, clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self.watchlist = watchlist
        self.store = store
        self.sinks = list(sinks)
        self.clock_ms = clock_ms
        self.outcomes: Counter[str] = Counter()

    async def process(self, enriched: EnrichedArticle, *, fallback_ms: int = 0) -> list[Alert]:
        article = enriched.article
        mentions = enriched.actors or match_actors(
            self.watchlist.get(), article.title, article.text, enriched.entities
        )
        candidates = decide(
            enriched, mentions, now_ms=self.clock_ms(), fallback_timestamp_ms=fallback_ms
        )
        firsts = await asyncio.gather(*(self.store.claim(a) for a in candidates))
        new = [a for a, first in zip(candidates, firsts, strict=True) if first]
        for alert in new:
            for sink in self.sinks:
                await sink.deliver(alert)
        await asyncio.gather(*(self.store.mark(a.id, "sent") for a in new))
        outcome = "alerted" if new else "duplicate" if candidates else "no_match"
        self.outcomes[outcome] += 1
        log.debug(
            "alerts: article %s %s (%d new, %d duplicate)", article.id, outcome, len(new),
            len(candidates) - len(new),
        )
        return new


class WebhookDelivery:
    """Deliver one alert to every webhook, once, with retries then dead letter."""

    def __init__(
        self, store: AlertStore, sinks: Sequence[WebhookSink], *,
        policy: RetryPolicy = WEBHOOK_RETRY,
    ) -> None:
        self.store = store
        self.sinks = list(sinks)
        self.policy = policy

    async def process(self, alert: Alert) -> list[tuple[WebhookSink, NewsstreamError]]:
        """Failures as (sink, error) pairs, for the caller to dead-letter."""
        record = await self.store.get(alert.id)
        if record is not None and record.get("webhooks_at"):
            return []  # delivered before: a replay of the alerts topic
        failures = []
        for sink in self.sinks:
            try:
                await retrying(
                    lambda sink=sink: sink.deliver(alert), self.policy, f"{sink.name} {alert.id}"
                )
            except NewsstreamError as exc:
                failures.append((sink, exc))
        await self.store.mark(alert.id, "webhooks")
        return failures


def register(app: faust.App, topics: object, settings: Settings) -> None:
    """Attach the alert agents to ``app`` (see ``processors.app.register_stages``)."""
    source = WatchlistSource(watchlist_path(settings))
    store = AlertStore(async_es_client(settings), settings.index_alerts)
    detector = Detector(source, store, [KafkaSink(topics.alerts), LogSink()])

    @app.agent(topics.enriched, name="alerts.detect")
    async def detect(stream: faust.StreamT) -> None:
        async for event in stream.events():
            raw = event.value
            try:
                enriched = decode_enriched(raw)
                fallback = int((event.message.timestamp or 0) * 1000)
                await detector.process(enriched, fallback_ms=fallback)
            except PermanentError as exc:
                await park(topics.deadletter, event, raw, exc, stage="alerts")

    sinks = webhook_sinks(settings.webhook_url_list, settings.webhook_format, settings.user_agent)
    if sinks:
        delivery = WebhookDelivery(store, sinks)
        log.info("alerts: delivering to %d webhook(s)", len(sinks))

        @app.agent(topics.alerts, name="alerts.webhooks", concurrency=4)
        async def webhooks(stream: faust.StreamT) -> None:
            async for event in stream.events():
                raw = event.value
                try:
                    alert = Alert.from_dict(decode_json(raw))
                except PermanentError as exc:
                    await park(topics.deadletter, event, raw, exc, stage="alerts-webhook")
                    continue
                for _sink, exc in await delivery.process(alert):
                    await park(topics.deadletter, event, raw, exc, stage="alerts-webhook")

    @app.on_before_shutdown.connect
    async def close(app: faust.App, **kwargs: object) -> None:
        log.info("alerts: %s", dict(detector.outcomes) or "no articles")
        for sink in sinks:
            await sink.close()
        await store.close()
