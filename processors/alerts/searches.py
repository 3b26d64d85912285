"""Saved searches as the CLI and the API manage them: checked against the known
topics and languages, then stored (see ``search.saved_searches``)."""

from __future__ import annotations

from typing import Any, Unpack

from elasticsearch import Elasticsearch

from contract.settings import Settings
from processors.enrichment.topics import topic_names
from search.alerts.history import search_alerts
from search.saved_searches import (
    Filters,
    SavedSearch,
    add_search,
    list_searches,
    searches_index,
    validate,
)


def checked(name: str, query: str = "", **filters: Unpack[Filters]) -> SavedSearch:
    """A saved search checked as the stage will run it (``SavedSearchError`` if not):
    :func:`validate` with the topics the classifier knows."""
    return validate(name, query, known_topics=topic_names(), **filters)


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
