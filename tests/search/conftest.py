"""Fixtures for search tests: private index layouts on the real Elasticsearch."""

from __future__ import annotations

import uuid

import pytest

from contract.settings import Settings
from search.bulk_indexer import BulkIndexer
from search.index_template import delete_index_layout
from search.layout import IndexLayout
from search.provision import provision
from tests.search.factories import dutch_seed, enriched


@pytest.fixture
def clean_layout(es_client, settings):
    """The test's index layout, removed (indices and templates) afterwards."""
    layout = IndexLayout(settings.index_articles)
    yield layout
    delete_index_layout(es_client, layout)


def corpus_records():
    """A small newsroom: the Dutch seed plus articles that differ in every facet."""
    return [
        dutch_seed(),
        enriched(
            1,
            title="Election results in Berlin",
            language="de",
            source="Tagesschau",
            topics=("politics",),
            entities=(("LOC", "Berlin"), ("PER", "Olaf Scholz")),
            published="2019-03-10T12:00:00Z",
        ),
        enriched(
            2,
            title="Maduro speaks to the nation",
            language="en",
            source="Reuters",
            topics=("politics",),
            entities=(("PER", "Nicolás Maduro"),),
            actors=("Nicolás Maduro",),
            published="2019-03-11T12:00:00Z",
        ),
        enriched(
            3,
            title="Storm hits the coast",
            language="en",
            source="Reuters",
            topics=("weather",),
            entities=(("LOC", "Florida"),),
            published="2019-04-02T12:00:00Z",
        ),
        enriched(
            4,
            title="Central bank raises rates",
            language="en",
            source="Bloomberg",
            topics=("economy, business and finance",),
            entities=(("ORG", "European Central Bank"),),
            published="2019-04-03T12:00:00Z",
        ),
    ]


@pytest.fixture(scope="module")
def corpus(es_client):
    """``(settings, records)`` for a layout holding :func:`corpus_records`."""
    settings = Settings.from_env(index_articles=f"t{uuid.uuid4().hex[:10]}-news-articles")
    config = provision(es_client, settings)
    records = corpus_records()
    BulkIndexer(es_client, config).index([(r.id, r) for r in records])
    es_client.indices.refresh(index=config.layout.alias)
    yield settings, records
    delete_index_layout(es_client, config.layout)
