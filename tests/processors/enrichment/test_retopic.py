"""`newsstream retopic` on the real Elasticsearch: indexed articles get the current topics."""

from __future__ import annotations

import pytest

from processors.enrichment import retopic, topics
from search.bulk_indexer import BulkIndexer
from search.index_template import delete_index_layout
from search.provision import provision
from tests.search.factories import enriched

pytestmark = pytest.mark.elasticsearch

MATCH = (
    "Liverpool beat Chelsea to go top of the Premier League",
    "Mohamed Salah scored twice as Liverpool beat Chelsea at Anfield; the striker's goal in "
    "the 78th minute sealed the win, and the manager praised his players after the match.",
)


@pytest.fixture
def indexed(es_client, settings):
    """Three articles indexed with an old, wrong topic."""
    config = provision(es_client, settings)
    records = [
        enriched(1, title=MATCH[0], text=MATCH[1], topics=("weather",)),
        enriched(2, title="Storm", text="", topics=("weather",), published="2019-04-02T12:00:00Z"),
        enriched(3, title=MATCH[0] + " again", text=MATCH[1], topics=("weather",)),
    ]
    outcome = BulkIndexer(es_client, config).index([(r.id, r) for r in records])
    assert len(outcome.indexed) == len(records)
    es_client.indices.refresh(index=config.layout.alias)
    yield config.layout.alias, records
    delete_index_layout(es_client, config.layout)


def test_retopic_updates_indexed_articles_in_place(es_client, indexed):
    alias, records = indexed
    version = topics.version()
    assert retopic.count_stale(es_client, alias, version) == 3
    shown = []
    done = retopic.retopic(
        es_client, alias, chunk_size=2, on_progress=lambda p: shown.append(p.updated)
    )
    assert (done.seen, done.updated, done.failed) == (3, 3, 0)
    assert shown and shown[-1] == 3
    found = es_client.search(index=alias, query={"ids": {"values": [records[0].id]}})
    doc = found["hits"]["hits"][0]["_source"]
    assert doc["topics"][0]["label"] == "sport"
    assert 0 < doc["topics"][0]["score"] <= 1
    assert doc["topics"][0]["evidence"]
    assert doc["versions"]["topics"] == version
    assert doc["title"] == MATCH[0]  # the rest of the document is kept
    hits = es_client.search(index=alias, query={"term": {"topics.label": "sport"}})
    assert hits["hits"]["total"]["value"] == 2
    # a second run finds nothing stale
    assert retopic.count_stale(es_client, alias, version) == 0
    assert retopic.retopic(es_client, alias).seen == 0


def test_the_command_reports_progress_and_counts(es_client, indexed):
    from typer.testing import CliRunner

    from newsstream.cli import app

    alias, _ = indexed
    result = CliRunner().invoke(app, ["retopic", "--index", alias])
    assert result.exit_code == 0, result.output
    assert "3 articles to re-topic" in result.output
    assert "updated 3, failed 0" in result.output
    again = CliRunner().invoke(app, ["retopic", "--index", alias])
    assert "0 articles to re-topic" in again.output
    missing = CliRunner().invoke(app, ["retopic", "--index", alias + "-none"])
    assert missing.exit_code == 2
