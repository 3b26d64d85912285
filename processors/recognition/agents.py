"""The recognise stage: enriched articles in, the same articles with more names out.

It reads the enriched topic and writes back to it under the article id. The
second version wins by rule, not by arrival: its ``versions["recognition"]``
gives it the higher :func:`contract.records.revision`, which the search
index keeps as the document's external version; the alerts stage raises
only alerts its alert store has not seen for the actor and story (see
``docs/pipeline.md``). Articles already recognised (its own output) and
languages without a model are skipped, not re-sent.
The models run on the stage's offload, a small batch at a time, so the event
loop keeps fetching, committing and heart-beating meanwhile; decoding,
sending, parking and acknowledging are the harness's (``processors.stage``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import faust

from contract.records import EnrichedArticle, decode_enriched, encode
from contract.settings import Settings
from processors.enrichment.watchlist import Watchlist, open_watchlist
from processors.recognition.models import REGISTRY, Recogniser, recogniser_for
from processors.recognition.recognise import VERSION_KEY, recognise, select
from processors.stage import (
    Item,
    Outcome,
    Output,
    Stage,
    failed,
    handled,
    make_offload,
    register_stage,
    skipped,
)
from processors.topics import ProcessorTopics

STAGE = "recognise"
BATCH = 16
WITHIN = 0.25  # seconds a partial batch waits for more articles


def warm_up() -> None:
    """Load every installed model now, not on the first article."""
    for language in REGISTRY:
        recogniser_for(language)


def recognise_batch(
    items: Sequence[Item[EnrichedArticle]],
    watchlist: Watchlist,
) -> list[Outcome]:
    """One outcome per article: re-sent with its names, skipped, or failed.

    Articles are grouped by model; when a model fails on a group, its
    articles are run one at a time so only the one that fails is parked.
    """
    outcomes: list[Outcome | None] = [None] * len(items)
    by_model: dict[Recogniser, list[int]] = defaultdict(list)
    for i, (_message, enriched) in enumerate(items):
        model = select(enriched)
        if model is None:
            own = VERSION_KEY in enriched.versions
            outcomes[i] = skipped("recognised" if own else "no_model")
        else:
            by_model[model].append(i)
    for model, indexes in by_model.items():
        try:
            done = recognise(model, [items[i][1] for i in indexes], watchlist)
            results: list[Outcome] = [resent(u) for u in done]
        except Exception:  # noqa: BLE001 - find the article that fails, one at a time
            results = [one(model, items[i][1], watchlist) for i in indexes]
        for i, outcome in zip(indexes, results, strict=True):
            outcomes[i] = outcome
    return [o if o is not None else failed(RuntimeError("no outcome")) for o in outcomes]


def resent(updated: EnrichedArticle) -> Outcome:
    return handled(Output("enriched", updated.id.encode(), encode(updated)))


def one(model: Recogniser, enriched: EnrichedArticle, watchlist: Watchlist) -> Outcome:
    try:
        [updated] = recognise(model, [enriched], watchlist)
    except Exception as exc:  # noqa: BLE001 - the harness parks it
        return failed(exc)
    return resent(updated)


def register(app: faust.App, topics: ProcessorTopics, settings: Settings) -> faust.types.AgentT:
    """Attach the recognise stage to ``app``."""
    offload = make_offload(settings.stage_offload, name=STAGE, initializer=warm_up)
    source = open_watchlist(settings)  # actors are matched again on the new entities

    async def handle(items: Sequence[Item[EnrichedArticle]]) -> list[Outcome]:
        return await offload.run(recognise_batch, list(items), source.get())

    stage = Stage(STAGE, decode_enriched, handle, batch_size=BATCH, within=WITHIN)
    return register_stage(
        app, topics, topics.enriched, stage, name=f"{settings.processor_group}.recognise"
    )
