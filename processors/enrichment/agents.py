"""The enrich agent: raw articles in, enriched articles out, failures parked.

One disposition per message: enriched (sent to the enriched topic, keyed by
article id) or failed (parked on the dead-letter topic with the error and
the original bytes); either way the stream goes on.
"""

from __future__ import annotations

import logging

import faust
from prometheus_client import Counter

from newsstream.contract.records import decode_article, encode
from newsstream.contract.settings import Settings
from processors.alerts.watchlist import open_watchlist
from processors.app import ProcessorTopics
from processors.deadletter import park
from processors.enrichment.pipeline import enrich, warm_up

log = logging.getLogger(__name__)

STAGE = "enrich"
PROCESSED = Counter("newsstream_enrich_processed", "Articles enriched and forwarded")
FAILED = Counter(
    "newsstream_enrich_failed", "Messages parked on the dead-letter topic", ["error_type"]
)


def timestamp_ms(event: faust.EventT) -> int:
    """When the raw message landed on Kafka (Faust gives seconds as a float)."""
    stamp = getattr(event.message, "timestamp", None)
    return int(round(stamp * 1000)) if stamp else 0


def register(app: faust.App, topics: ProcessorTopics, settings: Settings) -> faust.types.AgentT:
    """Attach the enrich agent to ``app``."""
    watchlist = open_watchlist(settings)  # a bad NEWSSTREAM_ACTORS fails at start

    @app.agent(topics.raw, name=f"{settings.processor_group}.enrich")
    async def enrich_articles(stream: faust.StreamT) -> None:
        warm_up()
        async for event in stream.events():
            raw = event.value
            try:
                enriched = enrich(
                    decode_article(raw), raw_timestamp_ms=timestamp_ms(event),
                    watchlist=watchlist.get(),
                )
            except Exception as exc:  # noqa: BLE001 - any failure parks the message
                FAILED.labels(type(exc).__name__).inc()
                await park(topics.deadletter, event, raw, exc, stage=STAGE)
                continue
            await topics.enriched.send(key=enriched.id.encode(), value=encode(enriched))
            PROCESSED.inc()

    return enrich_articles
