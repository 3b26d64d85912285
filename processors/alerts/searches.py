"""Saved searches as the CLI and the API manage them: checked against the known
topics and languages, then stored (see ``search.saved_searches``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from elasticsearch import Elasticsearch

from contract.settings import Settings
from processors.enrichment.topics import topic_names
from search.alerts.history import search_alerts
from search.saved_searches import (
    SavedSearch,
    add_search,
    list_searches,
    searches_index,
    validate,
)


def checked(
    name: str,
    query: str = "",
    *,
    languages: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
    topics: Iterable[str] | None = None,
    entities: Iterable[str] | None = None,
    actors: Iterable[str] | None = None,
) -> SavedSearch:
    """A saved search checked as the stage will run it (``SavedSearchError`` if not)."""
    return validate(
        name,
        query,
        languages=languages,
        sources=sources,
        topics=topics,
        entities=entities,
        actors=actors,
        known_topics=topic_names(),
    )


def save(es: Elasticsearch, settings: Settings, search: SavedSearch) -> SavedSearch:
    return add_search(es, searches_index(settings.index_alerts), search)


def with_recent_matches(
    es: Elasticsearch, settings: Settings, *, recent: int = 5
) -> list[dict[str, Any]]:
    """Every saved search, with its alert count and latest alerts."""
    out = []
    for search in list_searches(es, searches_index(settings.index_alerts)):
        total, alerts = search_alerts(
            es, settings.index_alerts, saved_search=search.name, limit=recent
        )
        out.append({**search.to_dict(), "alerts": total, "recent": alerts})
    return out
