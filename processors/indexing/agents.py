"""The indexing stage: enriched articles from Kafka into Elasticsearch, in bulk.

Offsets are committed only after Elasticsearch acknowledged a batch. Faust's
``take()`` acks a batch when the loop asks for the next one *or when the loop
is left by an exception or cancellation* (its ``finally`` acks), which would
commit a batch that never reached Elasticsearch. So the agent reads with
``noack().noack_take()``, which never acks on its own, and acks each event
itself once its document is indexed or parked on the dead-letter topic.
Faust commits acked offsets every ``broker_commit_interval`` and flushes the
producer (dead letters) first.

With Elasticsearch down the batch is retried with backoff for as long as it
takes; nothing is acked meanwhile, so a crash or shutdown at any point leaves
the batch to be delivered again, and the article id as ``_id`` in an index
chosen by the published month makes that redelivery an overwrite.

Test seam: when the file ``<data_dir>/faults/pause-index-after-bulk`` exists,
the agent logs ``FAULT pause-index-after-bulk`` after a successful bulk and
waits before acking, so a test can kill the worker in exactly that gap.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from pathlib import Path

import faust

from newsstream.contract.settings import Settings
from processors.app import ProcessorTopics
from processors.deadletter import park
from search.bulk_indexer import AsyncBulkIndexer, Backoff, IndexerConfig
from search.client import async_es_client, es_client
from search.layout import IndexLayout
from search.provision import provision
from search.retention import apply_retention

log = logging.getLogger(__name__)

STAGE = "index"
FAULT_PAUSE_AFTER_BULK = "pause-index-after-bulk"
RETENTION_INTERVAL = 3600.0
STARTUP_BACKOFF = Backoff(initial=1.0, maximum=30.0)
BATCH_BACKOFF = Backoff(initial=1.0, maximum=30.0)


def fault_path(settings: Settings, name: str) -> Path:
    return Path(settings.data_dir) / "faults" / name


async def _provision_until_ready(settings: Settings) -> IndexerConfig:
    """Templates and alias; waits (with backoff) for Elasticsearch to answer."""
    loop = asyncio.get_running_loop()
    attempt = 0
    while True:
        attempt += 1
        client = es_client(settings)
        try:
            return await loop.run_in_executor(None, provision, client, settings)
        except Exception as exc:  # noqa: BLE001 - any failure here means "not ready yet"
            delay = STARTUP_BACKOFF.delay(attempt)
            log.warning("index: Elasticsearch not ready (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
        finally:
            client.close()


async def index_events(
    events: list[faust.EventT], indexer: AsyncBulkIndexer, topics: ProcessorTopics,
    stream: faust.StreamT, settings: Settings,
) -> None:
    """Index one batch, park what cannot be indexed, then ack the whole batch."""
    started = time.perf_counter()
    outcome = await indexer.index([(event, event.value) for event in events])
    for failure in outcome.invalid + outcome.rejected:
        await park(topics.deadletter, failure.meta, failure.raw, failure.error, stage=STAGE)
    if fault_path(settings, FAULT_PAUSE_AFTER_BULK).exists():
        log.warning("FAULT %s: %d documents acknowledged, not acking offsets",
                    FAULT_PAUSE_AFTER_BULK, len(outcome.indexed))
        await asyncio.sleep(3600)
    for event in events:
        await stream.ack(event)
    log.info(
        "index: %d indexed, %d rejected, %d invalid in %.0f ms (%d attempts)",
        len(outcome.indexed), len(outcome.rejected), len(outcome.invalid),
        (time.perf_counter() - started) * 1000, outcome.attempts,
    )


async def _until_done(
    events: list[faust.EventT], indexer: AsyncBulkIndexer, topics: ProcessorTopics,
    stream: faust.StreamT, settings: Settings,
) -> None:
    """Retry a batch until it is indexed or parked: an escaping error would leave
    its offsets unacked behind the stream until the next restart."""
    attempt = 0
    while True:
        attempt += 1
        try:
            await index_events(events, indexer, topics, stream, settings)
            return
        except Exception as exc:  # noqa: BLE001 - e.g. Kafka down while parking
            delay = BATCH_BACKOFF.delay(attempt)
            log.error("index: batch of %d failed (%s: %s); retrying in %.1fs",
                      len(events), type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)


def register(app: faust.App, topics: ProcessorTopics, settings: Settings) -> None:
    """Attach the indexing agent and the retention timer to ``app``."""

    @app.agent(topics.enriched, name="index-articles")
    async def index_articles(stream: faust.StreamT) -> None:
        config = await _provision_until_ready(settings)
        # Never give up on a batch: not acking is the only safe failure.
        indexer = AsyncBulkIndexer(async_es_client(settings), replace(config, max_attempts=None))
        manual = stream.noack()
        try:
            async for events in manual.noack_take(
                settings.bulk_size, within=settings.bulk_interval
            ):
                await _until_done(list(events), indexer, topics, manual, settings)
        finally:
            await indexer.client.close()

    @app.timer(RETENTION_INTERVAL)
    async def retention() -> None:
        layout = IndexLayout(settings.index_articles)
        client = es_client(settings)
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: apply_retention(
                    client, layout, retention_days=settings.retention_days
                )
            )
        except Exception as exc:  # noqa: BLE001 - retention is retried next hour
            log.warning("index: retention pass failed: %s", exc)
        finally:
            client.close()
