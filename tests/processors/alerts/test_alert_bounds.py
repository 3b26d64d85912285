"""The alert history stays bounded on real Elasticsearch: old stories leave,
copy lists stop growing while the count goes on."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contract.clock import DAY, ManualClock
from processors.alerts.store import COPY_ARTICLES_KEPT, SOURCES_KEPT, AlertStore, _iso
from search.client import async_es_client
from tests.processors.alerts.test_store_and_history import alert

pytestmark = pytest.mark.elasticsearch

WINDOW = 30


@pytest.fixture
async def store(es_client, settings):
    clock = ManualClock()
    store = AlertStore(async_es_client(settings), settings.index_alerts, clock=clock)
    yield store
    await store.close()
    es_client.indices.delete(index=settings.index_alerts, ignore_unavailable=True)


async def test_alerts_whose_story_was_last_seen_before_the_window_are_deleted(store, es_client):
    clock = store.clock
    start = clock.now
    old = alert(1, alerted_at=_iso(start))
    revived = alert(2, alerted_at=_iso(start))
    recent = alert(3, alerted_at=_iso(start + 20 * DAY))
    assert all(await store.claim_many([old, revived, recent]))
    # a copy of story 2 came 25 days later: the story is still alive
    copy = replace(revived, article_id="article-2-copy", alerted_at=_iso(start + 25 * DAY))
    assert await store.count_copies([copy]) == 1

    clock.advance((WINDOW + 10) * DAY)  # 40 days after the first alerts
    deleted = await store.prune(WINDOW)
    es_client.indices.refresh(index=store.index)

    assert deleted == 1
    assert await store.get(old.id) is None
    assert await store.get(revived.id) is not None and await store.get(recent.id) is not None
    assert await store.claim_many([old]) == [True]  # the story is new again


async def test_zero_retention_keeps_every_alert(store):
    first = alert(1, alerted_at=_iso(store.clock.now))
    await store.claim_many([first])
    store.clock.advance(1000 * DAY)
    assert await store.prune(0) == 0
    assert await store.get(first.id) is not None


async def test_copy_lists_are_capped_while_every_copy_is_counted(store, es_client):
    first = alert(1)
    await store.claim_many([first])
    copies = [
        replace(first, article_id=f"copy-{n}", source=f"site{n % 80}.example")
        for n in range(COPY_ARTICLES_KEPT + 50)
    ]
    assert await store.count_copies(copies) == len(copies)
    assert await store.count_copies(copies[-10:]) == 0  # recent replays count nothing
    doc = await store.get(first.id)

    assert doc["copies"] == 1 + len(copies)
    assert len(doc["copy_articles"]) == COPY_ARTICLES_KEPT
    assert doc["copy_articles"][0] == first.article_id
    assert doc["copy_articles"][-1] == copies[-1].article_id
    assert len(doc["sources"]) == SOURCES_KEPT and doc["sources"][0] == first.source
