"""An enriched article as the Elasticsearch document that search and Kibana read.

A pure function of the record: no client, no clock unless passed in. The
shape is flat where people filter and facet (keywords for language, source,
topics, actors and entity names by type) and keeps the full record's
provenance (enrichment versions, ingest times). See ``docs/search.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from contract.ids import fold
from contract.records import EnrichedArticle, utcnow_iso
from search.analysis import OTHER

#: Entity type of the contract -> field under ``entities``.
ENTITY_FIELDS = {
    "PER": "person",
    "ORG": "organisation",
    "LOC": "location",
    "MISC": "misc",
}


def source_domain(url: str) -> str:
    """``https://www.nos.nl/artikel/1`` -> ``nos.nl``; '' when there is no host."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _millis_to_iso(ms: int) -> str | None:
    if ms <= 0:
        return None
    when = datetime.fromtimestamp(ms / 1000, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def language_copy_key(language: str, analysed: frozenset[str]) -> str | None:
    """Under which ``i18n`` key an article in ``language`` gets its analysed copy.

    Its own language where the cluster has an analyser for it, else the
    folding analyser's ``other`` where there is one, else none.
    """
    if language in analysed:
        return language
    return OTHER if OTHER in analysed else None


def to_document(
    enriched: EnrichedArticle,
    *,
    analysed_languages: frozenset[str] = frozenset(),
    indexed_at: str | None = None,
) -> dict[str, Any]:
    """The document for ``enriched``; ``_id`` is ``enriched.id`` (not in the body).

    ``analysed_languages`` are the ``i18n`` keys the cluster has an analyser
    for (language codes, and ``other`` for a folding analyser); the article
    gets a copy of its title and text under one of them (see
    :func:`language_copy_key`), mapped with that analyser and left out of
    ``_source``.
    """
    article = enriched.article
    by_type: dict[str, list[str]] = {name: [] for name in ENTITY_FIELDS.values()}
    for entity in enriched.entities:
        by_type[ENTITY_FIELDS.get(entity.type.upper(), "misc")].append(entity.name)
    entity_names = _unique([e.name for e in enriched.entities])
    actor_names = _unique([a.name for a in enriched.actors])
    language = enriched.language.code or "und"

    doc: dict[str, Any] = {
        "@timestamp": article.published,
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "text": article.text,
        "published_from": article.published_from,
        "story_id": article.story_id,
        "content_hash": article.content_hash,
        "guid": article.guid,
        "authors": _unique(article.authors),
        "categories": _unique(article.categories),
        "language": {
            "code": language,
            "confidence": enriched.language.confidence,
            "method": enriched.language.method,
            "hint": article.language_hint,
        },
        "source": {
            "name": article.source.name,
            "domain": source_domain(article.url),
            "feed_url": article.source.feed_url,
            "feed_id": article.source.feed_id,
            "tags": _unique(article.source.tags),
        },
        "topics": [
            {
                "code": t.code,
                "label": t.label,
                "score": t.score,
                "evidence": list(t.evidence),
                "source": t.source,
            }
            for t in enriched.topics
        ],
        "actors": {
            "id": _unique([a.actor_id for a in enriched.actors]),
            "name": actor_names,
            "kind": _unique([a.kind for a in enriched.actors]),
            "matched_text": _unique([a.matched_text for a in enriched.actors]),
            "folded": [fold(n) for n in actor_names],
        },
        "entities": {
            **{name: _unique(values) for name, values in by_type.items()},
            "any": entity_names,
            "ids": _unique([e.id for e in enriched.entities]),
            "folded": [fold(n) for n in entity_names],
        },
        "entity_count": len(enriched.entities),
        "versions": dict(enriched.versions),
        "fetched_at": article.fetched_at or None,
        "raw_at": _millis_to_iso(enriched.raw_timestamp_ms),
        "enriched_at": enriched.enriched_at or None,
        "indexed_at": indexed_at or utcnow_iso(),
        "schema_version": enriched.schema_version,
    }
    key = language_copy_key(language, analysed_languages)
    if key is not None:
        doc["i18n"] = {key: {"title": article.title, "text": article.text}}
    return doc
