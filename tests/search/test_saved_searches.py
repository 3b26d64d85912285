"""Saved searches on the real Elasticsearch: stored, analysed per language, and matching
exactly the articles the same search finds."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from elasticsearch import AsyncElasticsearch

from contract.settings import Settings
from search.bulk_indexer import BulkIndexer
from search.documents import to_document
from search.index_template import delete_index_layout
from search.percolate import QueryIndex, matches
from search.provision import provision
from search.query import SearchRequest, run_search
from search.saved_searches import (
    DuplicateName,
    SavedSearchError,
    UnknownSearch,
    add_search,
    article_terms_many,
    filters_match,
    get_search,
    list_searches,
    remove_search,
    searches_keys,
    validate,
)
from tests.search.factories import enriched

pytestmark = pytest.mark.elasticsearch

ARTICLES = [
    enriched(
        1,
        title="Stroompanne legt Venezuela plat",
        text="De stroompanne treft ook Caracas, zegt president Maduro.",
        language="nl",
        source="Het Dagblad",
        entities=(("PER", "Nicolás Maduro"),),
    ),
    enriched(
        2,
        title="Un apagón deja a oscuras a Venezuela",
        text="Nicolás Maduro culpó a un sabotaje del apagón.",
        language="es",
        source="El Diario",
        topics=("disaster, accident and emergency incident",),
    ),
    enriched(
        3,
        title="Stromausfall legt Venezuela lahm",
        text="Der Stromausfall trifft auch die Hauptstadt.",
        language="de",
        source="Die Zeitung",
    ),
    enriched(
        4,
        title="Venezuela blackout leaves millions without power",
        text="The power grid failed; Maduro blamed sabotage.",
        language="en",
        source="The Courier",
    ),
    enriched(5, title="Ajax wint opnieuw", text="De club won met 3-0.", language="nl"),
]
QUERIES = [
    "stroompannes",
    "apagones",
    "Stromausfälle",
    "blackouts",
    "stroompannes OR apagones OR Stromausfälle OR blackouts",
    "Maduro",
    "Maduro -sabotaje",
    '"power grid"',
    '"grid power"',
    "venez*",
    "Venezuela (sabotage | sabotaje)",
    "club won",
]


@pytest.fixture(scope="module")
def world(es_client):
    tag = uuid.uuid4().hex[:10]
    settings = Settings.from_env(index_articles=f"t{tag}-news-articles")
    config = provision(es_client, settings)
    BulkIndexer(es_client, config).index([(r.id, r) for r in ARTICLES])
    es_client.indices.refresh(index=config.layout.alias)
    index = f"t{tag}-news-alerts-searches"
    yield settings, index
    delete_index_layout(es_client, config.layout)
    es_client.indices.delete(index=index, ignore_unavailable=True)


def _terms(index: str):
    async def run():
        es = AsyncElasticsearch(Settings.from_env().es_url)
        try:
            keys = await searches_keys(es, index)
            assert keys is not None
            docs = [
                {"title": a.article.title, "text": a.article.text, "language": a.language.code}
                for a in ARTICLES
            ]
            return await article_terms_many(es, index, keys, docs)
        finally:
            await es.close()

    return asyncio.run(run())


def test_a_saved_search_matches_exactly_what_the_search_finds(world, es_client):
    settings, index = world
    saved = [add_search(es_client, index, validate(f"q{i}", q)) for i, q in enumerate(QUERIES)]
    terms = _terms(index)
    for search in saved:
        found = run_search(
            es_client,
            settings.index_articles,
            SearchRequest(query=search.query, limit=50, collapse=False),
        )
        expected = {hit.id for hit in found.hits}
        matched = {
            a.id for a, t in zip(ARTICLES, terms, strict=True) if matches(search.compiled, t)
        }
        assert matched == expected, search.query
    words = {
        a.article.title: matches(saved[4].compiled, t) for a, t in zip(ARTICLES, terms, strict=True)
    }
    words = {a.language.code: words[a.article.title] for a in ARTICLES[:4]}
    assert words["es"] == ["apagón"] and words["de"] == ["Stromausfall"]
    assert words["en"] == ["blackout"] and words["nl"] and words["nl"][0] == "Stroompanne"
    index_of = QueryIndex({s.id: s.compiled for s in saved})
    assert saved[2].id not in index_of.candidates(terms[4])  # Ajax never reaches Stromausfälle


def test_filters_judge_the_article_document_like_the_search_filters():
    dutch = to_document(ARTICLES[0])
    assert filters_match(validate("a", "x", languages=["NL"]), dutch)
    assert not filters_match(validate("a", "x", languages=["es"]), dutch)
    assert filters_match(validate("a", "x", entities=["maduro"]), dutch)
    assert filters_match(validate("a", "x", sources=["het dagblad"]), dutch)
    assert not filters_match(validate("a", "x", topics=["weather"]), dutch)


def test_stored_listed_and_removed_by_name_and_never_twice(world, es_client):
    _, index = world
    add_search(es_client, index, validate("Power cuts", "apagones", languages=["es"]))
    with pytest.raises(DuplicateName, match="exists already"):
        add_search(es_client, index, validate("power  CUTS", "other"))
    stored = get_search(es_client, index, "power cuts")
    assert (stored.query, stored.languages, stored.created_ms > 0) == ("apagones", ["es"], True)
    assert "Power cuts" in [s.name for s in list_searches(es_client, index)]
    remove_search(es_client, index, "Power cuts")
    with pytest.raises(UnknownSearch):
        remove_search(es_client, index, "Power cuts")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "query": "x"}, "needs a name"),
        ({"name": "a", "query": '"unclosed'}, "quote is not closed"),
        ({"name": "a", "query": ""}, "needs a query or a filter"),
        ({"name": "a", "query": "x", "languages": ["klingon"]}, "unknown language klingon"),
        ({"name": "a", "query": "x", "topics": ["gossip"]}, "unknown topic 'gossip'"),
        ({"name": "a", "query": "x " * 80}, "at most 64"),
    ],
)
def test_bad_input_is_refused_with_the_reason(kwargs, message):
    with pytest.raises(SavedSearchError, match=message):
        validate(**kwargs, known_topics={"politics": "politics"})
