"""`newsstream search` on the real Elasticsearch."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from newsstream.cli import app


def _run(corpus, *args):
    settings, _ = corpus
    env = {"NEWSSTREAM_INDEX_ARTICLES": settings.index_articles, "COLUMNS": "160"}
    return CliRunner().invoke(app, ["search", *args], env=env)


def test_table_shows_the_article_and_its_highlighted_snippet(corpus):
    result = _run(corpus, "stroompanne")
    assert result.exit_code == 0, result.output
    assert "Maduro roept op tot actief verzet" in result.output
    assert "stroompanne" in result.output
    assert "1 articles" in result.output


def test_json_with_filters_and_no_query_lists_newest_first(corpus):
    result = _run(corpus, "--lang", "en", "--source", "reuters", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [h["title"] for h in body["hits"]] == [
        "Storm hits the coast",
        "Maduro speaks to the nation",
    ]
    assert body["facets"]["language"] == [{"value": "en", "count": 2}]


def test_bad_time_is_a_usage_error_with_a_message(corpus):
    result = _run(corpus, "--since", "last tuesday")
    assert result.exit_code == 2
    assert "not a time" in result.output


def test_api_command_mounts_the_alerts_router(es_client, corpus):
    from newsstream.cli.search_commands import api_routers
    from search.api import create_api

    settings, _ = corpus
    paths = create_api(settings, routers=api_routers(), client=es_client).openapi()["paths"]
    assert {"/search", "/alerts", "/actors/backtest"} <= set(paths)


def test_api_refuses_a_public_address_without_keys():
    from typer.testing import CliRunner

    from newsstream.cli import app

    result = CliRunner().invoke(app, ["api", "--host", "0.0.0.0"], env={"NEWSSTREAM_API_KEYS": ""})
    assert result.exit_code == 2
    assert "NEWSSTREAM_API_KEYS" in result.output
