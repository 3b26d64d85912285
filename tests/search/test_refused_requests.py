"""Only what may heal is retried: what Elasticsearch refuses ends parked or stopped.

Against the real Elasticsearch: a bulk over its request size limit (413) is
split by the stage harness until the oversized document stands alone and is
parked while its neighbours are indexed; documents of an index that forbids
writes (403) are parked; an index layout it refuses stops the worker with
the reason and exit code 78. A whole-request 403 (a revoked credential,
which this security-less test server cannot send) is parked the same way.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, AsyncElasticsearch

from contract.errors import RefusedRequest
from contract.isolated import settings_env
from contract.records import decode_enriched
from contract.retry import RetryPolicy
from processors.fatal import EXIT_CANNOT_START
from processors.indexing.agents import index_handler
from processors.indexing.refresh import BacklogRefresh
from processors.stage import HANDLED, PARKED, Stage, StageHarness
from processors.topics import ProcessorTopics
from search.bulk_indexer import AsyncBulkIndexer, IndexerConfig
from search.index_template import ensure_index_layout
from tests.conftest import BASE
from tests.processors.test_stage import FakeEvent, FakeMessage, FakeTopic
from tests.search.factories import enriched, message

WITHIN = 60.0  # seconds: a refused batch must be settled by then, never retried for ever
ES_LIMIT = 100 * 1024 * 1024  # http.max_content_length of a default Elasticsearch


async def _quiet(*_: object) -> None:
    return None


def no_refresh() -> BacklogRefresh:
    return BacklogRefresh(
        normal="1s", draining="1s", quiet_after=1.0, set_interval=_quiet, refresh_now=_quiet
    )


async def run_index_stage(
    client: Any, layout: Any, values: list[bytes]
) -> tuple[list[str], list[dict]]:
    """One batch through the harness with the indexing stage's own handler."""
    indexer = AsyncBulkIndexer(client, IndexerConfig(layout, refresh="wait_for"))
    deadletter = FakeTopic()
    topics = ProcessorTopics(
        raw=FakeTopic(), enriched=FakeTopic(), alerts=FakeTopic(), deadletter=deadletter
    )
    handler = index_handler(indexer, no_refresh(), lambda m: False)
    stage = Stage("index", lambda v: decode_enriched(v or b""), handler)
    harness = StageHarness(stage, topics, retry_backoff=RetryPolicy(base_delay=0.1))
    events = [FakeEvent(v, FakeMessage(key=b"k", offset=i)) for i, v in enumerate(values)]

    async def ack(event: object) -> None:
        pass

    report = await asyncio.wait_for(harness.run_batch(events, ack), WITHIN)
    return report.statuses, [json.loads(v) for _, v in deadletter.sent]


@pytest.mark.elasticsearch
async def test_a_bulk_over_the_size_limit_is_split_and_only_the_huge_document_parked(
    es_client, clean_layout
):
    ensure_index_layout(es_client, clean_layout, {})
    huge = enriched(2, text="word " * (ES_LIMIT // 5 + 1000))
    values = [message(enriched(1)), message(huge), message(enriched(3))]
    client = AsyncElasticsearch(BASE.es_url, request_timeout=60)
    try:
        statuses, letters = await run_index_stage(client, clean_layout, values)
    finally:
        await client.close()
    assert statuses == [HANDLED, PARKED, HANDLED]
    (letter,) = letters
    assert letter["error_type"] == "RefusedRequest" and "HTTP 413" in letter["error"]
    es_client.indices.refresh(index=clean_layout.alias)
    assert es_client.count(index=clean_layout.alias)["count"] == 2


@pytest.mark.elasticsearch
async def test_documents_of_an_index_that_forbids_writes_are_parked(es_client, clean_layout):
    ensure_index_layout(es_client, clean_layout, {})
    article = enriched(1)
    index = clean_layout.index_for(article.article.published)
    es_client.indices.create(index=index)
    es_client.indices.put_settings(index=index, settings={"index.blocks.write": True})
    client = AsyncElasticsearch(BASE.es_url, request_timeout=60)
    try:
        statuses, letters = await run_index_stage(client, clean_layout, [message(article)])
    finally:
        await client.close()
        es_client.indices.put_settings(index=index, settings={"index.blocks.write": False})
    assert statuses == [PARKED]
    assert "HTTP 403" in letters[0]["error"] and "blocked" in letters[0]["error"]


class ForbiddingClient:
    """Answers every bulk with a whole-request 403, as a revoked credential gets."""

    def __init__(self) -> None:
        self.calls = 0

    async def bulk(self, **_: object) -> None:
        self.calls += 1
        meta = ApiResponseMeta(403, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "es", 9200))
        raise ApiError(
            "security_exception: action [indices:data/write/bulk] is unauthorized", meta, {}
        )


async def test_a_whole_request_403_is_not_retried_but_split_and_parked(clean_layout):
    client = ForbiddingClient()
    indexer = AsyncBulkIndexer(client, IndexerConfig(clean_layout))  # type: ignore[arg-type]
    with pytest.raises(RefusedRequest, match="HTTP 403"):
        await indexer.index([(0, enriched(1))])
    assert client.calls == 1  # refused once, not retried

    statuses, letters = await run_index_stage(
        ForbiddingClient(), clean_layout, [message(enriched(i)) for i in range(4)]
    )
    assert statuses == [PARKED] * 4
    assert all("unauthorized" in letter["error"] for letter in letters)


@pytest.mark.elasticsearch
def test_a_refused_index_layout_stops_the_worker_with_the_reason(es_client, settings, tmp_path):
    # An index where the articles' alias should go: Elasticsearch refuses the alias (400).
    es_client.indices.create(index=settings.index_articles)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "newsstream", "process", "--stage", "index"],
            env=settings_env(settings),
            capture_output=True,
            text=True,
            timeout=WITHIN + 30,
        )
    finally:
        es_client.indices.delete(index=settings.index_articles)
    output = done.stdout + done.stderr
    assert done.returncode == EXIT_CANNOT_START, output[-3000:]
    assert f"cannot set up the index layout {settings.index_articles}" in done.stderr
    assert "HTTP 400" in done.stderr and "not ready" not in output
