"""Search on the real Elasticsearch: text in any language, filters, facets, paging."""

from __future__ import annotations

from datetime import UTC, datetime

from search.query import SearchRequest, run_search


def _search(es_client, corpus, **kwargs):
    settings, _ = corpus
    return run_search(es_client, settings.index_articles, SearchRequest(**kwargs))


def _titles(result):
    return [h.title for h in result.hits]


def test_dutch_query_finds_the_dutch_article_by_a_word_in_its_body(es_client, corpus):
    result = _search(es_client, corpus, query="stroompanne")
    assert _titles(result) == ["Maduro roept op tot actief verzet"]
    assert any("<em>stroompanne</em>" in s for s in result.hits[0].snippets)


def test_hits_carry_topic_probabilities_and_the_first_topics_words(es_client, corpus):
    hit = _search(es_client, corpus, query="stroompanne").hits[0]
    assert hit.topics == ["politics", "conflict, war and peace"]
    assert hit.topic_scores == [0.8, 0.6]
    assert hit.topic_evidence == ["maduro", "regering", "oppositie"]


def test_accented_words_match(es_client, corpus):
    assert _titles(_search(es_client, corpus, query="Guaidó")) == [
        "Maduro roept op tot actief verzet"
    ]


def test_a_typo_in_the_syntax_is_still_a_query(es_client, corpus):
    # Unbalanced brackets and a dangling operator: query_string would fail with a 400.
    result = _search(es_client, corpus, query='stroompanne ((" -')
    assert _titles(result) == ["Maduro roept op tot actief verzet"]


def test_filters_return_what_was_indexed(es_client, corpus):
    assert set(_titles(_search(es_client, corpus, languages=("en",)))) == {
        "Maduro speaks to the nation",
        "Storm hits the coast",
        "Central bank raises rates",
    }
    assert _titles(_search(es_client, corpus, sources=("bloomberg",))) == [
        "Central bank raises rates"
    ]
    assert _titles(_search(es_client, corpus, topics=("weather",))) == ["Storm hits the coast"]
    assert set(_titles(_search(es_client, corpus, entities=("maduro",)))) == {
        "Maduro roept op tot actief verzet",
        "Maduro speaks to the nation",
    }
    assert set(_titles(_search(es_client, corpus, actors=("nicolas maduro",)))) == {
        "Maduro roept op tot actief verzet",
        "Maduro speaks to the nation",
    }
    assert _titles(
        _search(
            es_client,
            corpus,
            since=datetime(2019, 4, 1, tzinfo=UTC),
            until=datetime(2019, 4, 2, 23, tzinfo=UTC),
        )
    ) == ["Storm hits the coast"]
    assert (
        _search(
            es_client, corpus, languages=("en",), topics=("weather",), entities=("Berlin",)
        ).total
        == 0
    )


def test_facets_count_what_was_indexed(es_client, corpus):
    result = _search(es_client, corpus, facets=True)
    counts = {name: {b.value: b.count for b in buckets} for name, buckets in result.facets.items()}
    assert counts["language"] == {"en": 3, "nl": 1, "de": 1}
    assert counts["source"] == {"Reuters": 2, "NOS": 1, "Tagesschau": 1, "Bloomberg": 1}
    assert counts["topic"]["politics"] == 3
    assert counts["entity"]["Nicolás Maduro"] == 2
    assert counts["actor"] == {"Nicolás Maduro": 2, "Juan Guaidó": 1}


def test_date_histogram_counts_by_published_time(es_client, corpus):
    result = _search(es_client, corpus, histogram=True, interval="month")
    assert [(b.value[:7], b.count) for b in result.histogram] == [("2019-03", 3), ("2019-04", 2)]


def test_recent_first_without_a_query(es_client, corpus):
    assert _titles(_search(es_client, corpus, limit=2)) == [
        "Central bank raises rates",
        "Storm hits the coast",
    ]


def test_deep_paging_with_search_after_visits_every_article_once(es_client, corpus):
    _, records = corpus
    seen, cursor = [], ""
    while True:
        page = _search(es_client, corpus, limit=2, cursor=cursor)
        seen += [h.id for h in page.hits]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(r.id for r in records)
