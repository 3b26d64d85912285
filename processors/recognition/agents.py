"""The recognise agent: enriched articles in, the same articles with more names out.

It reads the enriched topic and writes back to it under the article id, so
the indexer overwrites the document and the alerts stage (which deduplicates
by alert id) sees nothing new to alert twice. Articles already recognised
(its own output) and languages without a model are skipped, not re-sent.
The model runs on a worker thread, a small batch at a time, so the event
loop keeps fetching, committing and heart-beating meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import faust
from prometheus_client import Counter

from newsstream.contract.records import EnrichedArticle, decode_enriched, encode
from newsstream.contract.settings import Settings
from processors.alerts.watchlist import open_watchlist
from processors.app import ProcessorTopics
from processors.deadletter import park
from processors.recognition.models import REGISTRY, Recogniser, recogniser_for
from processors.recognition.recognise import recognise, select

log = logging.getLogger(__name__)

STAGE = "recognise"
BATCH = 16
WITHIN = 0.25  # seconds a partial batch waits for more articles
PROCESSED = Counter("newsstream_recognise_processed", "Articles recognised and re-sent")
SKIPPED = Counter(
    "newsstream_recognise_skipped", "Enriched articles left alone", ["reason"]
)
FAILED = Counter(
    "newsstream_recognise_failed", "Messages parked on the dead-letter topic", ["error_type"]
)


def register(app: faust.App, topics: ProcessorTopics, settings: Settings) -> faust.types.AgentT:
    """Attach the recognise agent to ``app``."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recognise")
    watchlist = open_watchlist(settings)  # actors are matched again on the new entities

    async def fail(event: faust.EventT, exc: BaseException) -> None:
        FAILED.labels(type(exc).__name__).inc()
        await park(topics.deadletter, event, event.value, exc, stage=STAGE)

    async def run(model: Recogniser, items: list[tuple[faust.EventT, EnrichedArticle]]) -> None:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            done = await loop.run_in_executor(
                executor, recognise, model, [a for _, a in items], watchlist.get()
            )
            outcomes: list = list(zip(items, done, strict=True))
        except Exception:  # noqa: BLE001 - find the article that fails, one at a time
            outcomes = []
            for item in items:
                try:
                    [one] = await loop.run_in_executor(
                        executor, recognise, model, [item[1]], watchlist.get()
                    )
                    outcomes.append((item, one))
                except Exception as exc:  # noqa: BLE001
                    await fail(item[0], exc)
        for _item, updated in outcomes:
            await topics.enriched.send(key=updated.id.encode(), value=encode(updated))
            PROCESSED.inc()
        log.info("recognise: %d %s articles, %+d entities in %.0f ms", len(outcomes),
                 model.language, sum(len(u.entities) - len(i[1].entities) for i, u in outcomes),
                 (time.perf_counter() - started) * 1000)

    @app.agent(topics.enriched, name=f"{settings.processor_group}.recognise")
    async def recognise_articles(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(executor, recogniser_for, lang) for lang in REGISTRY)
        )
        async for events in stream.take_events(BATCH, within=WITHIN):
            by_model: dict[Recogniser, list] = defaultdict(list)
            for event in events:
                try:
                    enriched = decode_enriched(event.value)
                except Exception as exc:  # noqa: BLE001 - any failure parks the message
                    await fail(event, exc)
                    continue
                model = select(enriched)
                if model is None:
                    own = "recognition" in enriched.versions
                    SKIPPED.labels("recognised" if own else "no_model").inc()
                    continue
                by_model[model].append((event, enriched))
            for model, items in by_model.items():
                await run(model, items)

    return recognise_articles
