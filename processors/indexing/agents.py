"""The indexing stage: enriched articles from Kafka into Elasticsearch, in bulk.

Offsets are committed only after Elasticsearch acknowledged a batch: the
stage harness (``processors.stage``) decodes each message, parks what does
not decode, and acknowledges each message once its document is indexed or
parked on the dead-letter topic; the bulk indexer gets decoded articles.

An article in a language with a model arrives twice (the fast path's
version, then the recogniser's with statistical names); the index keeps
the one with the higher :func:`contract.records.revision`, as the
document's external version, whatever order they arrive in (see
``docs/pipeline.md``).

With Elasticsearch down the batch is retried with backoff for as long as it
takes; nothing is acked meanwhile, so a crash or shutdown at any point leaves
the batch to be delivered again, and the article id as ``_id`` in an index
chosen by the published month makes that redelivery an overwrite. A batch
Elasticsearch refuses as a whole (too large, forbidden) is split by the
stage harness until the refused documents are parked. Provisioning waits
for an Elasticsearch that does not answer; one that refuses the index
layout stops the worker with the reason (:mod:`processors.fatal`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

import faust
from elasticsearch import AsyncElasticsearch

from contract.errors import RefusedRequest
from contract.records import EnrichedArticle, decode_enriched
from contract.retry import SERVER_RETRY, retrying
from contract.settings import Settings
from processors.fatal import stop_worker
from processors.indexing.refresh import BacklogRefresh
from processors.lateness import late_after
from processors.stage import Item, Message, Outcome, Stage, failed, handled, register_stage
from processors.topics import ProcessorTopics
from search.bulk_indexer import AsyncBulkIndexer, IndexerConfig
from search.client import async_es_client, es_client
from search.errors import ES_ERRORS, classify
from search.index_template import REFRESH_INTERVAL
from search.layout import IndexLayout
from search.provision import provision
from search.retention import apply_retention

log = logging.getLogger(__name__)

STAGE = "index"
RETENTION_INTERVAL = 3600.0
REFRESH_TICK = 0.5  # seconds between checks whether a drained backlog's refreshes can return


def _provision_once(settings: Settings) -> IndexerConfig:
    """Templates and alias, once; Elasticsearch's errors classified (retry or not)."""
    client = es_client(settings)
    try:
        return provision(client, settings)
    except ES_ERRORS as exc:
        raise classify(exc, "provisioning the index layout") from exc
    finally:
        client.close()


async def _provision_until_ready(settings: Settings) -> IndexerConfig | None:
    """Templates and alias; waits (with backoff) for Elasticsearch to answer.

    A refusal (a mapping conflict, an index where the alias should be, no
    permission) will not heal by waiting: the worker stops, saying why.
    """
    loop = asyncio.get_running_loop()
    try:
        return await retrying(
            lambda: loop.run_in_executor(None, _provision_once, settings),
            SERVER_RETRY,
            "index: Elasticsearch not ready",
        )
    except RefusedRequest as exc:
        stop_worker(f"index: cannot set up the index layout {settings.index_articles}: {exc}")
        return None


def backlog_refresh(es: AsyncElasticsearch, settings: Settings) -> BacklogRefresh:
    """The articles' refresh interval, held longer while a backlog drains."""
    layout = IndexLayout(settings.index_articles)

    async def set_interval(value: str) -> None:
        await es.indices.put_settings(
            index=layout.pattern,
            settings={"index": {"refresh_interval": value}},
            allow_no_indices=True,
        )

    async def refresh_now() -> None:
        await es.indices.refresh(index=layout.pattern, allow_no_indices=True)

    return BacklogRefresh(
        normal=REFRESH_INTERVAL,
        draining=settings.bulk_late_refresh or REFRESH_INTERVAL,
        # late batches come at least every bulk_late_interval while one drains
        quiet_after=settings.bulk_late_interval + 1.0,
        set_interval=set_interval,
        refresh_now=refresh_now,
    )


def index_handler(
    indexer: AsyncBulkIndexer,
    refresh: BacklogRefresh,
    late: Callable[[Message], bool],
) -> Callable[[Sequence[Item[EnrichedArticle]]], Awaitable[list[Outcome]]]:
    """The batch handler: one bulk request; what Elasticsearch refuses is parked;
    the refresh interval told whether the batch was late."""

    async def handle(items: Sequence[Item[EnrichedArticle]]) -> list[Outcome]:
        outcome = await indexer.index([(i, enriched) for i, (_, enriched) in enumerate(items)])
        await refresh.after_batch(late(items[-1][0]))
        outcomes = [handled()] * len(items)
        for failure in outcome.invalid + outcome.rejected:
            outcomes[failure.meta] = failed(failure.error)
        return outcomes

    return handle


class Indexing(faust.Service):
    """The index stage's hold on Elasticsearch, started and stopped with the worker.

    The client and indexer are made when the agent starts (:meth:`start_indexing`
    waits for Elasticsearch); the client is closed once the agents have stopped.
    Its timers end a drained backlog's long refresh interval and apply retention.
    """

    def __init__(self, settings: Settings, late: Callable[[Message], bool]) -> None:
        super().__init__()
        self.settings = settings
        self.late = late
        self.indexer: AsyncBulkIndexer | None = None
        self.refresh: BacklogRefresh | None = None
        self._handle: (
            Callable[[Sequence[Item[EnrichedArticle]]], Awaitable[list[Outcome]]] | None
        ) = None

    async def start_indexing(self) -> None:
        config = await _provision_until_ready(self.settings)
        if config is None:  # refused: the worker is stopping
            await asyncio.Event().wait()
        assert config is not None
        es = async_es_client(self.settings)
        # Never give up on a batch: not acking is the only safe failure.
        self.indexer = AsyncBulkIndexer(es, replace(config, max_attempts=None))
        self.refresh = backlog_refresh(es, self.settings)
        await self.refresh.restore("the indexer starts")  # a stopped worker may have held it
        self._handle = index_handler(self.indexer, self.refresh, self.late)

    async def handle(self, items: Sequence[Item[EnrichedArticle]]) -> list[Outcome]:
        assert self._handle is not None, "started before the first batch"
        return await self._handle(items)

    async def on_stop(self) -> None:
        if self.indexer is not None:
            await self.indexer.client.close()

    @faust.Service.timer(REFRESH_TICK)
    async def _drained(self) -> None:
        if self.refresh is not None:
            await self.refresh.tick()

    @faust.Service.timer(RETENTION_INTERVAL)
    async def _retention(self) -> None:
        settings = self.settings
        layout = IndexLayout(settings.index_articles)
        client = es_client(settings)
        try:
            await asyncio.get_running_loop().run_in_executor(
                None,
                lambda: apply_retention(client, layout, retention_days=settings.retention_days),
            )
        except Exception as exc:  # noqa: BLE001 - retention is retried next hour
            log.warning("index: retention pass failed: %s", exc)
        finally:
            client.close()


def register(app: faust.App, topics: ProcessorTopics, settings: Settings) -> None:
    """Attach the indexing agent and its service (client, timers) to ``app``."""
    late = late_after(settings.bulk_late_after)
    indexing = Indexing(settings, late)
    # Added before the app starts, it starts before the app's own services and
    # stops after them: the client outlives the agent that uses it.
    app.add_dependency(indexing)
    stage = Stage(
        STAGE,
        decode_enriched,
        indexing.handle,
        batch_size=settings.bulk_size,
        within=settings.bulk_interval,
        start=indexing.start_indexing,
        late=late,
        late_within=settings.bulk_late_interval,
    )
    register_stage(app, topics, topics.enriched, stage, name="index-articles")
