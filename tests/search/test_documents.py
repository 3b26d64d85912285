"""The document an enriched article becomes, and the monthly index it goes to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from search.documents import source_domain, to_document
from search.layout import IndexLayout
from tests.search.factories import dutch_seed, enriched


def test_document_has_filterable_fields_by_entity_type():
    doc = to_document(dutch_seed(), indexed_at="2026-01-01T00:00:00.000Z")
    assert doc["@timestamp"] == "2019-03-12T08:30:00Z"
    assert doc["language"]["code"] == "nl"
    assert doc["source"] == {
        "name": "NOS",
        "domain": "nos.example",
        "feed_url": "https://nos.test/rss",
        "feed_id": "nos",
        "tags": [],
    }
    assert "Nicolás Maduro" in doc["entities"]["person"]
    assert "Caracas" in doc["entities"]["location"]
    assert doc["entities"]["organisation"] == []
    assert "nicolas maduro" in doc["entities"]["folded"]
    assert doc["actors"]["name"] == ["Nicolás Maduro", "Juan Guaidó"]
    assert [t["label"] for t in doc["topics"]] == ["politics", "conflict, war and peace"]
    assert doc["versions"]["entities"] == "test-1"
    assert doc["indexed_at"] == "2026-01-01T00:00:00.000Z"
    assert doc["raw_at"] == "2019-03-12T10:01:00.000Z"
    assert "stroompanne" in doc["text"]


def test_language_copy_only_where_the_cluster_has_an_analyser():
    assert "i18n" not in to_document(dutch_seed())
    doc = to_document(dutch_seed(), analysed_languages=frozenset({"nl", "en"}))
    assert doc["i18n"]["nl"]["title"] == "Maduro roept op tot actief verzet"
    swahili = enriched(1, language="sw")
    assert "i18n" not in to_document(swahili, analysed_languages=frozenset({"nl"}))


def test_unknown_entity_type_is_filed_under_misc():
    doc = to_document(enriched(1, entities=(("EVENT", "Olympics"),)))
    assert doc["entities"]["misc"] == ["Olympics"]


@pytest.mark.parametrize(
    ("url", "domain"),
    [("https://www.NOS.nl/artikel/1", "nos.nl"), ("https://nos.nl:8443/a", "nos.nl"), ("", "")],
)
def test_source_domain(url, domain):
    assert source_domain(url) == domain


@pytest.mark.parametrize(
    ("published", "index"),
    [
        ("2019-03-12T08:30:00Z", "news-articles-2019.03"),
        ("2019-03-31T23:30:00-02:00", "news-articles-2019.04"),  # April in UTC
        ("2019-12-31T23:59:59.999Z", "news-articles-2019.12"),
        ("not a date", "news-articles-2026.11"),  # a home, so Elasticsearch can reject it
    ],
)
def test_index_is_the_published_month_in_utc(published, index):
    layout = IndexLayout("news-articles")
    assert layout.index_for(published, fallback=datetime(2026, 11, 27, tzinfo=UTC)) == index


def test_month_of_recognises_only_our_indices():
    layout = IndexLayout("news-articles")
    assert layout.month_of("news-articles-2019.03") == (2019, 3)
    assert layout.month_of("news-articles-2019.13") is None
    assert layout.month_of("news-alerts-2019.03") is None
    assert layout.month_of("news-articles-2019.03-restored") is None
