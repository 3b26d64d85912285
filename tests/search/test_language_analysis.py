"""Search that understands each language, on the real Elasticsearch.

The sample feeds (``seeds/feeds/fixtures``) are parsed, enriched and indexed
the way the pipeline does; a word asked in another form than the article
uses (plural, inflection, accent) must still find it, and be highlighted.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import BadRequestError

from contract.records import EnrichedArticle
from contract.settings import Settings
from ingest.feedlist import load
from ingest.normalise import normalise
from ingest.parse import parse_feed
from processors.enrichment.pipeline import enrich
from search.analysis import OTHER, PLUGIN_ANALYZERS, detect_language_analysis
from search.bulk_indexer import BulkIndexer, IndexerConfig
from search.index_template import (
    delete_index_layout,
    ensure_index_layout,
    language_fields,
    mappings_component,
)
from search.provision import provision
from search.query import SearchRequest, run_search
from tests.conftest import ROOT
from tests.search.factories import dutch_seed, enriched

FIXTURES = ROOT / "seeds" / "feeds"
PLUGIN_MISSING = (
    "Elasticsearch lacks the newsstream-analysis plugin: `deploy/stack down && "
    "deploy/stack up` installs it"
)


def sample_articles() -> list[EnrichedArticle]:
    """Every article of the sample feeds, enriched (language detected) as the pipeline does."""
    fetched = datetime(2019, 3, 16, tzinfo=UTC)
    found: dict[str, EnrichedArticle] = {}
    for feed in load(FIXTURES / "fixtures.yaml"):
        path = FIXTURES / "fixtures" / Path(urlsplit(feed.url).path).name
        parsed = parse_feed(path.read_bytes(), url=feed.url)
        for entry in parsed.entries:
            article = normalise(
                entry,
                feed=feed,
                fetched=fetched,
                feed_title=parsed.title,
                feed_language=parsed.language,
            )
            found.setdefault(article.id, enrich(article))
    return list(found.values())


@pytest.fixture(scope="module")
def samples(es_client):
    """``(alias, records)`` for the sample articles in a private layout."""
    settings = Settings.from_env(index_articles=f"t{uuid.uuid4().hex[:10]}-news-articles")
    config = provision(es_client, settings)
    records = sample_articles()
    BulkIndexer(es_client, config).index([(i, r) for i, r in enumerate(records)])
    es_client.indices.refresh(index=config.layout.alias)
    yield config, records
    delete_index_layout(es_client, config.layout)


def test_the_local_cluster_analyses_every_language_the_service_detects(samples):
    config, _ = samples
    assert set(PLUGIN_ANALYZERS) | {OTHER} <= config.analysed_languages, PLUGIN_MISSING


@pytest.mark.parametrize(
    ("query", "language", "written"),
    [
        ("elektriciteitssystemen", "nl", "elektriciteitssysteem"),
        ("Stromausfälle", "de", "Stromausfall"),
        ("apagones", "es", "apagón"),
        ("diplomat", "en", "diplomatic"),
    ],
)
def test_another_form_of_a_word_finds_the_article_and_is_highlighted(
    es_client, samples, query, language, written
):
    config, _ = samples
    result = run_search(es_client, config.layout.alias, SearchRequest(query=query))
    hits = [h for h in result.hits if h.language == language]
    assert hits, f"{query!r} found no {language} article: {[h.title for h in result.hits]}"
    marked = " ".join([hits[0].title_highlight, *hits[0].snippets])
    assert re.search(rf"<em>{written}</em>", marked, re.IGNORECASE), marked


def test_a_name_asked_in_one_language_finds_it_in_every_language(es_client, samples):
    config, _ = samples
    result = run_search(es_client, config.layout.alias, SearchRequest(query="Maduro", limit=50))
    assert {h.language for h in result.hits} >= {"nl", "en", "de", "es"}


def test_a_number_is_found_as_written_in_any_language(es_client, samples):
    config, _ = samples
    result = run_search(es_client, config.layout.alias, SearchRequest(query="737"))
    assert [h.language for h in result.hits] == ["en"]
    assert "<em>737</em>" in result.hits[0].title_highlight


def test_a_folded_word_finds_an_article_in_a_language_without_its_own_analyser(
    es_client, clean_layout
):
    config = IndexerConfig(
        clean_layout, analysed_languages=frozenset({"nl", OTHER}), refresh="wait_for"
    )
    ensure_index_layout(
        es_client, clean_layout, {"nl": "newsstream_dutch", OTHER: "newsstream_folding"}
    )
    polish = enriched(
        1, title="Awaria prądu w Łodzi", text="Mieszkańcy Łodzi bez prądu.", language="pl"
    )
    BulkIndexer(es_client, config).index([(0, polish)])
    result = run_search(es_client, clean_layout.alias, SearchRequest(query="lodzi"))
    assert [h.language for h in result.hits] == ["pl"]


def test_without_language_analysers_the_exact_word_still_finds_it(es_client, clean_layout):
    ensure_index_layout(es_client, clean_layout, {})
    BulkIndexer(es_client, IndexerConfig(clean_layout, refresh="wait_for")).index(
        [(0, dutch_seed())]
    )
    exact = run_search(es_client, clean_layout.alias, SearchRequest(query="stroompanne"))
    plural = run_search(es_client, clean_layout.alias, SearchRequest(query="stroompannes"))
    assert [h.language for h in exact.hits] == ["nl"]
    assert plural.hits == []


def test_an_index_made_before_the_analysers_gets_them_and_its_articles_are_reanalysed(
    es_client, clean_layout
):
    ensure_index_layout(es_client, clean_layout, {})
    BulkIndexer(es_client, IndexerConfig(clean_layout, refresh="wait_for")).index(
        [(0, dutch_seed())]
    )
    before = run_search(es_client, clean_layout.alias, SearchRequest(query="stroompannes"))
    assert before.hits == []

    ensure_index_layout(es_client, clean_layout, {"nl": "newsstream_dutch"})
    es_client.indices.refresh(index=clean_layout.alias)

    after = run_search(es_client, clean_layout.alias, SearchRequest(query="stroompannes"))
    assert [h.language for h in after.hits] == ["nl"]
    assert any("<em>stroompanne</em>" in s for s in after.hits[0].snippets)


def _without_offsets(mapping: dict) -> dict:
    return {
        k: _without_offsets(v) if isinstance(v, dict) else v
        for k, v in mapping.items()
        if k != "index_options"
    }


def test_an_index_made_before_offsets_were_kept_still_highlights_other_word_forms(
    es_client, clean_layout
):
    month = clean_layout.index_for("2019-03-12T08:30:00Z")
    es_client.indices.create(
        index=month,
        aliases={clean_layout.alias: {}},
        mappings=_without_offsets(mappings_component({})["mappings"]),
    )
    BulkIndexer(es_client, IndexerConfig(clean_layout, refresh="wait_for")).index(
        [(0, dutch_seed())]
    )

    ensure_index_layout(es_client, clean_layout, {"nl": "newsstream_dutch"})
    es_client.indices.refresh(index=clean_layout.alias)

    after = run_search(es_client, clean_layout.alias, SearchRequest(query="stroompannes"))
    assert [h.language for h in after.hits] == ["nl"]
    assert any("<em>stroompanne</em>" in s for s in after.hits[0].snippets)


# -- which analysers a cluster has --------------------------------------------


class FakeIndices:
    def __init__(self, known: set[str]):
        self.known = known

    def analyze(self, *, analyzer: str, text: str) -> dict:
        if analyzer not in self.known:
            meta = ApiResponseMeta(400, "1.1", HttpHeaders(), 0.0, NodeConfig("http", "es", 9200))
            raise BadRequestError(f"failed to find global analyzer [{analyzer}]", meta, {})
        return {"tokens": [{"token": text}]}


class FakeCluster:
    """Answers ``_analyze`` for the analysers it is given, like Elasticsearch does."""

    def __init__(self, *known: str):
        self.indices = FakeIndices(set(known))


def test_the_plugin_analysers_are_used_where_the_plugin_is_installed():
    analysis = detect_language_analysis(
        FakeCluster(*PLUGIN_ANALYZERS.values(), "newsstream_folding", "newsstream_dutch_index")
    )
    assert analysis.kind == "plugin"
    assert analysis.analyzers["nl"] == "newsstream_dutch"
    assert analysis.analyzers[OTHER] == "newsstream_folding"
    assert analysis.index_analyzers == {"nl": "newsstream_dutch_index"}


def test_compounds_are_split_when_indexing_but_never_in_a_query():
    fields = language_fields(
        {"nl": "newsstream_dutch", "en": "newsstream_english"}, {"nl": "newsstream_dutch_index"}
    )
    assert fields["nl"]["properties"]["text"] == {
        "type": "text",
        "analyzer": "newsstream_dutch_index",
        "search_analyzer": "newsstream_dutch",
        "index_options": "offsets",
    }
    assert fields["en"]["properties"]["title"] == {
        "type": "text",
        "analyzer": "newsstream_english",
        "index_options": "offsets",
    }


def test_a_part_of_a_compound_finds_the_compound(es_client, clean_layout):
    ensure_index_layout(
        es_client,
        clean_layout,
        {"nl": "newsstream_dutch"},
        index_analyzers={"nl": "newsstream_dutch_index"},
    )
    record = enriched(
        1,
        title="Opkomst bij gemeenteraadsverkiezingen lager",
        language="nl",
        text="Lokale partijen wonnen zetels.",
    )
    BulkIndexer(
        es_client,
        IndexerConfig(clean_layout, analysed_languages=frozenset({"nl"}), refresh="wait_for"),
    ).index([(0, record)])
    found = run_search(es_client, clean_layout.alias, SearchRequest(query="verkiezing"))
    split = run_search(es_client, clean_layout.alias, SearchRequest(query="raadsverkiezing"))
    assert [h.language for h in found.hits] == ["nl"]
    assert "<em>gemeenteraadsverkiezingen</em>" in found.hits[0].title_highlight
    assert split.hits == []  # the query is not split into parts that would each match


def test_the_built_in_analysers_are_used_on_the_full_distribution():
    analysis = detect_language_analysis(FakeCluster("dutch", "english", "german", "cjk"))
    assert analysis.kind == "built-in"
    assert analysis.analyzers == {
        "nl": "dutch",
        "en": "english",
        "de": "german",
        "zh": "cjk",
        "ja": "cjk",
        "ko": "cjk",
    }


def test_without_either_everything_is_standard_and_it_says_so(caplog):
    analysis = detect_language_analysis(FakeCluster())
    assert analysis.kind == "standard" and analysis.analyzers == {}
    assert "analysed with 'standard'" in caplog.text


def test_an_article_in_a_language_without_an_analyser_gets_the_folding_copy():
    from search.documents import to_document

    swahili = enriched(1, title="Habari za Caracas", language="sw")
    assert "i18n" not in to_document(swahili, analysed_languages=frozenset({"nl"}))
    doc = to_document(swahili, analysed_languages=frozenset({"nl", OTHER}))
    assert doc["i18n"] == {OTHER: {"title": "Habari za Caracas", "text": swahili.article.text}}


def load_relevance_benchmark():
    spec = importlib.util.spec_from_file_location("relevance", ROOT / "benchmarks" / "relevance.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("relevance", module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_the_judged_set_finds_more_and_ranks_better_with_language_analysis(es_client):
    relevance = load_relevance_benchmark()
    scores = relevance.compare(es_client)
    standard, analysed = scores["standard"], scores["plugin"]

    def mean(rows, column):
        return sum(row[column] for row in rows) / len(rows)

    assert len(standard) >= 40
    assert mean(analysed, 1) >= mean(standard, 1) + 0.3  # recall@10
    assert mean(analysed, 2) >= mean(standard, 2) + 0.3  # nDCG@10
    names = [row for row in analysed if row[0].kind == "name"]
    assert names and all(recall == 1.0 for _, recall, _ in names)


def test_ndcg_is_one_when_the_relevant_articles_lead_and_less_when_they_trail():
    relevance = load_relevance_benchmark()
    relevant = frozenset({"a", "b"})
    assert relevance.ndcg_at(["a", "b", "x"], relevant) == 1.0
    assert 0 < relevance.ndcg_at(["x", "a", "b"], relevant) < 1.0
    assert relevance.recall_at(["x", "a"], relevant) == 0.5
