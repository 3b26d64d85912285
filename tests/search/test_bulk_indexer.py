"""The bulk indexer: rejections come back, neighbours get indexed, failures retry."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from elasticsearch import ConnectionError as ESConnectionError

from contract.errors import InvalidMessage, RejectedDocument, ServiceUnavailable
from contract.records import RECOGNITION_STEP, EnrichedArticle, decode_enriched
from contract.retry import RetryPolicy
from search.bulk_indexer import BulkIndexer, IndexerConfig
from search.index_template import ensure_index_layout
from search.layout import IndexLayout
from tests.search.factories import enriched, message

NO_WAIT = RetryPolicy(base_delay=0.0, max_delay=0.0)


def recognised(record: EnrichedArticle) -> EnrichedArticle:
    """``record``'s second version, as a recogniser sends it."""
    return replace(record, versions={**record.versions, RECOGNITION_STEP: "model/1"})


def search_hit(es_client, layout: IndexLayout, doc_id: str) -> dict[str, Any]:
    [hit] = es_client.search(index=layout.alias, query={"ids": {"values": [doc_id]}})["hits"][
        "hits"
    ]
    return hit


def test_rejected_document_is_returned_and_its_neighbours_are_indexed(es_client, clean_layout):
    ensure_index_layout(es_client, clean_layout, {})
    good = [enriched(i) for i in range(3)]
    bad = enriched(99, published="yesterday afternoon")
    batch = [("a", good[0]), ("bad", bad), ("b", good[1]), ("c", good[2])]

    outcome = BulkIndexer(es_client, IndexerConfig(clean_layout, refresh="wait_for")).index(batch)

    assert [meta for meta, _ in outcome.indexed] == ["a", "b", "c"]
    assert [f.meta for f in outcome.rejected] == ["bad"]
    assert isinstance(outcome.rejected[0].error, RejectedDocument)
    assert "@timestamp" in str(outcome.rejected[0].error)
    assert outcome.invalid == []  # what does not decode never gets here: the harness parks it
    assert es_client.count(index=clean_layout.alias)["count"] == 3


def test_an_article_written_twice_in_one_batch_is_indexed_once_as_its_winning_version(
    es_client, clean_layout
):
    ensure_index_layout(es_client, clean_layout, {})
    fast = enriched(1, entities=(("LOC", "Caracas"),))
    complete = recognised(enriched(1, entities=(("LOC", "Caracas"), ("PER", "Juan Guaidó"))))
    # The recogniser's version first: it wins all the same.
    batch = [("complete", complete), ("other", enriched(2)), ("fast", fast)]

    outcome = BulkIndexer(es_client, IndexerConfig(clean_layout, refresh="wait_for")).index(batch)

    assert sorted(meta for meta, _ in outcome.indexed) == ["complete", "fast", "other"]
    stats = es_client.indices.stats(index=clean_layout.alias, metric="indexing")
    assert stats["_all"]["primaries"]["indexing"]["index_total"] == 2  # one op per document
    hit = search_hit(es_client, clean_layout, fast.id)
    assert hit["_source"]["entities"]["any"] == ["Caracas", "Juan Guaidó"]


def test_the_recognised_version_stays_indexed_when_the_fast_one_comes_later(
    es_client, clean_layout
):
    ensure_index_layout(es_client, clean_layout, {})
    indexer = BulkIndexer(es_client, IndexerConfig(clean_layout, refresh="wait_for"))
    fast = enriched(1, entities=(("LOC", "Caracas"),))
    complete = recognised(enriched(1, entities=(("LOC", "Caracas"), ("PER", "Juan Guaidó"))))

    indexer.index([("complete", complete)])
    outcome = indexer.index([("fast", fast)])  # a replay, or a slower fast path

    assert [meta for meta, _ in outcome.indexed] == ["fast"]  # superseded, not refused
    assert outcome.rejected == []
    hit = search_hit(es_client, clean_layout, fast.id)
    assert hit["_source"]["entities"]["any"] == ["Caracas", "Juan Guaidó"]

    # A later raw message of the article (newer news) wins over both.
    newer = replace(enriched(1, title="Updated"), raw_timestamp_ms=fast.raw_timestamp_ms + 1)
    indexer.index([("newer", newer)])
    assert search_hit(es_client, clean_layout, fast.id)["_source"]["title"] == "Updated"
    # The same version again (a redelivery) is written again, harmlessly.
    assert [m for m, _ in indexer.index([("again", newer)]).indexed] == ["again"]


class FlakyClient:
    """Answers bulk requests from a script: an exception, or per-item statuses."""

    def __init__(self, script: list[Any]):
        self.script = script
        self.requests: list[list[bytes]] = []

    def bulk(self, operations: list[bytes], refresh: Any = False) -> dict[str, Any]:
        self.requests.append(operations)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return {
            "errors": True,
            "items": [
                {
                    "index": {
                        "status": s,
                        "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}
                        if s >= 300
                        else None,
                    }
                }
                for s in step
            ],
        }


def _indexer(client: FlakyClient, **kwargs: Any) -> BulkIndexer:
    config = IndexerConfig(IndexLayout("x"), backoff=NO_WAIT, **kwargs)
    return BulkIndexer(client, config, sleep=lambda _: None)  # type: ignore[arg-type]


def test_connection_errors_and_429_are_retried_without_resending_successes():
    client = FlakyClient([ESConnectionError("refused"), [201, 429, 201], [201]])
    batch = [(i, enriched(i)) for i in range(3)]

    outcome = _indexer(client).index(batch)

    assert sorted(meta for meta, _ in outcome.indexed) == [0, 1, 2]
    assert outcome.attempts == 3
    assert len(client.requests[2]) == 2  # only the refused document, header + body


def test_when_the_last_version_is_refused_the_one_before_it_is_still_indexed():
    client = FlakyClient([[400, 201], [201]])
    batch = [("old", enriched(1)), ("new", enriched(1, title="New")), ("other", enriched(2))]

    outcome = _indexer(client).index(batch)

    assert len(client.requests[0]) == 4  # two documents: the article once, the other
    assert [f.meta for f in outcome.rejected] == ["new"]
    assert sorted(meta for meta, _ in outcome.indexed) == ["old", "other"]
    assert len(client.requests[1]) == 2


def test_gives_up_after_max_attempts_so_the_caller_does_not_commit():
    client = FlakyClient([ESConnectionError("refused")] * 3)
    with pytest.raises(ServiceUnavailable, match="after 3 attempts"):
        _indexer(client, max_attempts=3).index([(0, enriched(0))])


def test_a_record_with_values_of_the_wrong_kind_is_invalid_not_a_crash():
    broken = json.loads(message(enriched(1, entities=(("PER", "Nicolás Maduro"),))))
    broken["entities"][0]["type"] = None
    client = FlakyClient([[201]])

    batch = [("ok", enriched(0)), ("broken", decode_enriched(json.dumps(broken).encode()))]
    outcome = _indexer(client).index(batch)

    assert [meta for meta, _ in outcome.indexed] == ["ok"]
    assert [f.meta for f in outcome.invalid] == ["broken"]
    assert isinstance(outcome.invalid[0].error, InvalidMessage)
    assert "search document" in str(outcome.invalid[0].error)
