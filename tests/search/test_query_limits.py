"""The server-side cost cap: limits checked before Elasticsearch, and its time-out."""

from __future__ import annotations

import pytest

from search.query import (
    MAX_FILTER_VALUES,
    QUERY_TIMEOUT,
    QueryTooCostly,
    SearchRequest,
    build_query,
    run_search,
)


class TimedOut:
    """A client whose search ran past the query time-out."""

    def search(self, **body):  # noqa: ANN003, ANN201
        assert body["timeout"] == QUERY_TIMEOUT
        return {"timed_out": True, "took": 5001, "hits": {"hits": [], "total": {"value": 0}}}


def test_a_search_past_the_time_out_is_refused_not_shown_partially():
    with pytest.raises(QueryTooCostly, match="longer than 5s"):
        run_search(TimedOut(), "news-articles", SearchRequest(query="a* b* c*"))


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"query": "x" * 1001}, "query too long: 1001 characters"),
        ({"query": " ".join(["w"] * 65)}, "65 terms, at most 64"),
        ({"entities": tuple(f"e{i}" for i in range(MAX_FILTER_VALUES + 1))}, "too many entities"),
        ({"sources": ("s" * 201,)}, "longer than 200 characters"),
    ],
)
def test_requests_over_the_cap_are_refused_with_the_reason(request_args, message):
    with pytest.raises(QueryTooCostly, match=message):
        SearchRequest(**request_args)


def test_a_query_within_the_cap_carries_the_time_out():
    body = build_query(SearchRequest(query=" ".join(["w"] * 64)))
    assert body["timeout"] == QUERY_TIMEOUT
