"""Saved searches in the alerts stage: a batch of articles in, candidate alerts out.

The saved searches are read from their index when one was added or removed
(a small request per batch tells) and every ``RELOAD_SECONDS``: a search
saved now matches every article that lands from now on; an article that
landed before a search was saved never alerts for it, replays included.
Each batch costs one ``_mtermvectors`` request, whatever the number of saved
searches; the matching itself is :mod:`search.percolate`'s plain functions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from elasticsearch import AsyncElasticsearch

from contract.records import Alert, EnrichedArticle
from processors.alerts.decide import search_alert
from search.documents import to_document
from search.percolate import QueryIndex, matches
from search.saved_searches import (
    SavedSearch,
    article_terms_many,
    filters_match,
    load_searches,
    searches_keys,
    searches_state,
)

log = logging.getLogger(__name__)

RELOAD_SECONDS = 1.0


@dataclass(frozen=True)
class Loaded:
    searches: dict[str, SavedSearch]
    index: QueryIndex
    keys: frozenset[str]
    earliest_ms: int


EMPTY = Loaded({}, QueryIndex({}), frozenset(), 0)


class SavedSearchMatcher:
    """The live set of saved searches, and what a batch of articles raises."""

    def __init__(
        self,
        es: AsyncElasticsearch,
        index: str,
        *,
        reload_seconds: float = RELOAD_SECONDS,
    ) -> None:
        self.es = es
        self.index = index
        self.reload_seconds = reload_seconds
        self.loaded = EMPTY
        self._loaded_at = float("-inf")
        self._state: tuple[int, int] | None = None
        self._checked_ms = 0  # wall clock when the last look at the searches began

    async def _look(self, newest_ms: int) -> None:
        """Before judging articles that landed since the last look, make sure no search
        was added or removed meanwhile (one small request), so that an article landing
        right after a search was saved is never judged without it."""
        if newest_ms < self._checked_ms:
            return
        began = int(time.time() * 1000)
        state = await searches_state(self.es, self.index)
        if state != self._state:
            await self.refresh(force=True)
            self._state = state
        self._checked_ms = began

    async def refresh(self, *, force: bool = False) -> Loaded:
        """Re-read the saved searches when due (a failed read keeps the last set)."""
        now = time.monotonic()
        if not force and now - self._loaded_at < self.reload_seconds:
            return self.loaded
        self._loaded_at = now
        keys = await searches_keys(self.es, self.index)
        if keys is None:
            self.loaded = EMPTY
            return self.loaded
        found = await load_searches(self.es, self.index)
        if {s.id: s.created_ms for s in found} != {
            s.id: s.created_ms for s in self.loaded.searches.values()
        }:
            log.info("saved searches: %d", len(found))
            searches = {s.id: s for s in found}
            self.loaded = Loaded(
                searches,
                QueryIndex({s.id: s.compiled for s in found}),
                keys,
                min((s.created_ms for s in found), default=0),
            )
        return self.loaded

    async def candidates(
        self,
        articles: Sequence[tuple[EnrichedArticle, int]],
        *,
        now_ms: int,
    ) -> list[list[Alert]]:
        """For each (article, fallback landing ms), its saved-search candidate alerts."""
        landed = [e.raw_timestamp_ms or fallback for e, fallback in articles]
        await self._look(max(landed, default=0))
        loaded = await self.refresh()
        out: list[list[Alert]] = [[] for _ in articles]
        if not loaded.searches:
            return out
        todo = [i for i, ms in enumerate(landed) if ms >= loaded.earliest_ms]
        if not todo:
            return out
        documents = [to_document(articles[i][0], indexed_at="-") for i in todo]
        terms = await article_terms_many(
            self.es,
            self.index,
            loaded.keys,
            [
                {"title": d["title"], "text": d["text"], "language": d["language"]["code"]}
                for d in documents
            ],
        )
        for i, document, article_terms in zip(todo, documents, terms, strict=True):
            enriched, fallback = articles[i]
            for search_id in sorted(loaded.index.candidates(article_terms)):
                search = loaded.searches[search_id]
                if landed[i] < search.created_ms or not filters_match(search, document):
                    continue
                words = matches(search.compiled, article_terms)
                if words is None:
                    continue
                out[i].append(
                    search_alert(
                        enriched,
                        search.id,
                        search.name,
                        words,
                        now_ms=now_ms,
                        fallback_timestamp_ms=fallback,
                    )
                )
        return out
