"""The query layer's request validation and the bodies it builds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from search.query import (
    SearchRequest,
    build_query,
    decode_cursor,
    encode_cursor,
    histogram_interval,
    parse_time,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_default_sort_is_relevance_with_a_query_and_recent_without():
    assert SearchRequest(query="maduro").sort == "relevance"
    assert SearchRequest().sort == "recent"


def test_sort_always_ends_with_the_id_tiebreaker():
    for request in (SearchRequest(query="x"), SearchRequest()):
        assert build_query(request)["sort"][-1] == {"id": {"order": "asc"}}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sort": "oldest"},
        {"limit": 0},
        {"limit": 10_000},
        {"interval": "fortnight"},
        {"cursor": "not-a-cursor"},
        {"since": NOW, "until": NOW - timedelta(days=1)},
    ],
)
def test_bad_parameters_are_refused_with_a_message(kwargs):
    with pytest.raises(ValueError, match=r"\w"):
        SearchRequest(**kwargs)


def test_typos_go_to_simple_query_string_which_never_fails_to_parse():
    body = build_query(SearchRequest(query='maduro (("'))
    clause = body["query"]["bool"]["must"][0]["simple_query_string"]
    assert clause["query"] == 'maduro (("'
    assert clause["fields"][0] == "title^3"


def test_or_and_not_in_capitals_are_operators_outside_quotes():
    body = build_query(SearchRequest(query='apagones OR blackouts AND NOT cuba "OR else"'))
    clause = body["query"]["bool"]["must"][0]["simple_query_string"]
    assert clause["query"] == 'apagones | blackouts + -cuba "OR else"'


def test_results_are_one_per_story_unless_every_copy_is_asked_for():
    body = build_query(SearchRequest(query="maduro"))
    assert body["collapse"]["field"] == "story_id"
    assert "collapse" not in build_query(SearchRequest(query="maduro", collapse=False))


def test_filters_are_combined_and_time_bounded():
    request = SearchRequest(languages=("nl",), topics=("politics",), since=NOW)
    filters = build_query(request)["query"]["bool"]["filter"]
    assert {"term": {"language.code": {"value": "nl", "case_insensitive": True}}} in filters
    assert {"range": {"@timestamp": {"gte": "2026-11-27T12:00:00Z"}}} in filters
    assert len(filters) == 3


def test_cursor_round_trip_becomes_search_after():
    cursor = encode_cursor([1.5, 1552379400000, "abc"])
    assert decode_cursor(cursor) == [1.5, 1552379400000, "abc"]
    assert build_query(SearchRequest(cursor=cursor))["search_after"] == [1.5, 1552379400000, "abc"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("2019-03-12", datetime(2019, 3, 12, tzinfo=UTC)),
        ("2019-03-12T08:00:00Z", datetime(2019, 3, 12, 8, tzinfo=UTC)),
    ],
)
def test_parse_time(value, expected):
    assert parse_time(value, now=NOW) == expected


def test_until_a_date_includes_that_day():
    until = parse_time("2019-03-12", end_of_day=True)
    assert until == datetime(2019, 3, 12, 23, 59, 59, 999000, tzinfo=UTC)
    assert parse_time("2019-03-12T08:00:00Z", end_of_day=True).hour == 8


def test_parse_time_refuses_nonsense():
    with pytest.raises(ValueError, match="not a time"):
        parse_time("yesterday-ish")


@pytest.mark.parametrize(
    ("since", "interval"),
    [
        (None, "day"),
        (timedelta(hours=12), "hour"),
        (timedelta(days=30), "day"),
        (timedelta(days=365), "week"),
        (timedelta(days=3000), "month"),
    ],
)
def test_histogram_interval_follows_the_span(since, interval):
    request = SearchRequest(since=NOW - since if since else None, histogram=True)
    assert histogram_interval(request, now=NOW) == interval
