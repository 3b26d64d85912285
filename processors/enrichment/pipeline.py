"""The fast enrichment path: language, gazetteer entities, topics.

``enrich`` is a plain function from an :class:`Article` to an
:class:`EnrichedArticle`, shared by the Faust agent and any embedded runner.
Every enriched article records the version of each step, so that replaying
the raw topic after a seed or model change re-enriches everything and the
index can tell old enrichments from new ones.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from contract.records import Article, EnrichedArticle, utcnow_iso
from processors.enrichment import gazetteer, language, propernames, topics
from processors.enrichment.actors import ACTORS_STEP, match_actors
from processors.enrichment.watchlist import Watchlist

PIPELINE_VERSION = "fast/1"


@lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """Version string of each step (model and seed hashes included)."""
    return {
        "pipeline": PIPELINE_VERSION,
        "language": language.VERSION,
        "entities": f"{gazetteer.version()}+{propernames.VERSION}",
        "topics": topics.version(),
    }


def warm_up() -> None:
    """Load models and build automata now, not on the first article."""
    language.detect_language("warm up", "")
    gazetteer.default_gazetteer()
    propernames.cues()
    topics.warm_up()
    versions()


def watchlist_version(watchlist: Watchlist) -> str:
    """Changes whenever the tracked actors or their aliases change."""
    cached = getattr(watchlist, "_version", None)
    if cached is None:
        digest = hashlib.blake2b(repr(watchlist.actors).encode(), digest_size=6).hexdigest()
        cached = f"watchlist/{digest}"
        object.__setattr__(watchlist, "_version", cached)
    return cached


def enrich(
    article: Article, *, raw_timestamp_ms: int = 0, watchlist: Watchlist | None = None
) -> EnrichedArticle:
    """Language, entities, topics and tracked actors for ``article``.

    Pure apart from the clock. Actor matching runs here, on the fast path, so
    the indexed article can be filtered by actor and the alerts stage only
    decides and delivers.
    """
    lang = language.detect_language(article.title, article.text, article.language_hint)
    entities = gazetteer.find_entities(article.title, article.text, language=lang.code)
    taken: dict[str, list[tuple[int, int]]] = {"title": [], "text": []}
    for entity in entities:
        for m in entity.mentions:
            taken[m.field].append((m.start, m.end))
    entities += propernames.find_unlisted(article.title, article.text, taken, language=lang.code)
    known = gazetteer.default_gazetteer()
    fields = [known.field_of(e.id) for e in entities if e.type in ("PER", "ORG")]
    found_topics = topics.classify_topics(
        article.title, article.text, language=lang.code, entity_fields=[f for f in fields if f]
    )
    step_versions = dict(versions())
    actors = []
    if watchlist is not None:
        actors = match_actors(watchlist, article.title, article.text, entities, language=lang.code)
        step_versions[ACTORS_STEP] = watchlist_version(watchlist)
    return EnrichedArticle(
        article=article,
        language=lang,
        entities=entities,
        topics=found_topics,
        versions=step_versions,
        enriched_at=utcnow_iso(),
        actors=actors,
        raw_timestamp_ms=raw_timestamp_ms,
    )
