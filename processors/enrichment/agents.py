"""The enrich stage: raw articles in, enriched articles (keyed by id) out.

Only the handler lives here; decoding, sending, parking and acknowledging
are the harness's (``processors.stage``). Enrichment is CPU-bound, so it
runs on the stage's offload, a batch at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import faust

from contract.records import Article, decode_article, encode
from contract.settings import Settings
from processors.enrichment.pipeline import enrich, warm_up
from processors.enrichment.watchlist import Watchlist, open_watchlist
from processors.stage import (
    Item,
    Message,
    Outcome,
    Output,
    Stage,
    handled,
    make_offload,
    pool_size,
    register_stage,
)
from processors.topics import ProcessorTopics

STAGE = "enrich"


def enrich_one(article: Article, message: Message, *, watchlist: Watchlist) -> Outcome:
    """One raw article to its enriched record on the enriched topic."""
    enriched = enrich(article, raw_timestamp_ms=message.timestamp_ms, watchlist=watchlist)
    return handled(Output("enriched", enriched.id.encode(), encode(enriched)))


def register(
    app: faust.App, topics: ProcessorTopics, settings: Settings
) -> faust.types.AgentT[Any]:
    """Attach the enrich stage to ``app``."""
    source = open_watchlist(settings)  # a bad NEWSSTREAM_ACTORS fails at start
    in_processes = settings.stage_offload == "process"
    offload = make_offload(
        settings.stage_offload,
        name=STAGE,
        initializer=warm_up,
        workers=pool_size(settings.stage_processes) if in_processes else 1,
    )

    async def handle(items: Sequence[Item[Article]]) -> list[Outcome]:
        # The live watchlist is read once per batch, on the loop.
        fn = partial(enrich_one, watchlist=source.get())
        return await offload.each(fn, items)

    stage = Stage(STAGE, decode_article, handle, batch_size=32, within=0.02)
    return register_stage(app, topics, topics.raw, stage, name=f"{settings.processor_group}.enrich")
