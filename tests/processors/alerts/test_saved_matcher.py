"""The alerts stage's view of the saved searches, on the real Elasticsearch."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from contract.settings import Settings
from processors.alerts.saved import SavedSearchMatcher
from search.client import async_es_client
from search.saved_searches import add_search, remove_search, searches_index, validate
from tests.processors.alerts.support import enriched

pytestmark = pytest.mark.elasticsearch


async def _alerts(matcher: SavedSearchMatcher, *items) -> list[list[str]]:
    found = await matcher.candidates([(i, 0) for i in items], now_ms=int(time.time() * 1000))
    return [[a.saved_search for a in alerts] for alerts in found]


def test_a_search_saved_a_moment_ago_judges_the_next_article(es_client):
    settings = Settings.from_env(index_alerts=f"t{uuid.uuid4().hex[:10]}-news-alerts")
    index = searches_index(settings.index_alerts)

    async def scenario() -> None:
        # a periodic reload would come far too late: only the look before each batch helps
        matcher = SavedSearchMatcher(async_es_client(settings), index, reload_seconds=3600)
        try:
            before = enriched(
                "https://a.example/1", "Apagón en Caracas", "Otro apagón.", language="es"
            )
            assert await _alerts(matcher, before) == [[]]
            add_search(es_client, index, validate("Apagones", "apagones"))
            after = enriched("https://a.example/2", "Apagón en Zulia", "Un apagón.", language="es")
            assert await _alerts(matcher, after) == [["Apagones"]]
            assert await _alerts(matcher, before) == [[]], "it landed before the search"
            remove_search(es_client, index, "Apagones")
            later = enriched("https://a.example/3", "Apagón en Mérida", "Un apagón.", language="es")
            assert await _alerts(matcher, later) == [[]]
        finally:
            await matcher.es.close()

    try:
        asyncio.run(scenario())
    finally:
        es_client.indices.delete(index=index, ignore_unavailable=True)
