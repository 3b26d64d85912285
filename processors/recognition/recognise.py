"""What the stage does with enriched articles, without Kafka: plain functions.

``select`` decides whether an article is for this stage (not already
recognised, a model installed for its language); ``recognise`` runs one model
over a batch and rebuilds each article's entity layer from the model's names
and the gazetteer's. ``enrich_article`` is both speeds in one call: an
article's complete enrichment, for embedding, benchmarks and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from contract.records import RECOGNITION_STEP, Article, EnrichedArticle
from processors.enrichment.actors import ACTORS_STEP, match_actors
from processors.enrichment.gazetteer import default_gazetteer
from processors.enrichment.pipeline import enrich, watchlist_version
from processors.enrichment.watchlist import Watchlist
from processors.recognition.merge import Listed, merge
from processors.recognition.models import Recogniser, recogniser_for

VERSION_KEY = RECOGNITION_STEP


def select(enriched: EnrichedArticle) -> Recogniser | None:
    """The model to run on ``enriched``, or None to leave it alone.

    An article that already has a recognition version is this stage's own
    output coming round again on the enriched topic: skipping it is what
    keeps the stage from looping.
    """
    if VERSION_KEY in enriched.versions:
        return None
    return recogniser_for(enriched.language.code)


def link(name: str) -> Listed | None:
    """The gazetteer entity a name is written as, if it is listed."""
    entry = default_gazetteer().entry_for(name)
    return None if entry is None else Listed(entry.id, entry.type, entry.name)


def recognise(
    recogniser: Recogniser, batch: Sequence[EnrichedArticle], watchlist: Watchlist | None = None
) -> list[EnrichedArticle]:
    """Each article of ``batch`` with its entity layer rebuilt from the model's
    names and the gazetteer's (CPU-bound). Tracked actors are matched again
    against the new entities when ``watchlist`` is given."""
    texts = []
    for enriched in batch:
        texts += [enriched.article.title, enriched.article.text]
    spans = recogniser.spans(texts)
    out = []
    for i, enriched in enumerate(batch):
        merged = merge(
            enriched,
            {"title": spans[2 * i], "text": spans[2 * i + 1]},
            source=recogniser.source,
            version=recogniser.version,
            link=link,
            listed_alone=False,  # the tagger reads the gazetteer's matches as features
        )
        if watchlist is not None:
            merged = replace(
                merged,
                actors=match_actors(
                    watchlist,
                    merged.article.title,
                    merged.article.text,
                    merged.entities,
                    language=merged.language.code,
                ),
                versions={**merged.versions, ACTORS_STEP: watchlist_version(watchlist)},
            )
        out.append(merged)
    return out


def enrich_article(
    article: Article, *, raw_timestamp_ms: int = 0, watchlist: Watchlist | None = None
) -> EnrichedArticle:
    """An article's complete enrichment: the fast path, then, in a language
    with a model, the entity layer rebuilt with the model's names."""
    enriched = enrich(article, raw_timestamp_ms=raw_timestamp_ms, watchlist=watchlist)
    recogniser = select(enriched)
    if recogniser is None:
        return enriched
    [complete] = recognise(recogniser, [enriched], watchlist)
    return complete
