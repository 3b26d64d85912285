"""Backtesting a watchlist: counts per actor over articles, and over the real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from contract.isolated import settings_env
from processors.alerts.backtest import backtest
from processors.enrichment.samples import make_article
from processors.enrichment.watchlist import load_watchlist
from search.bulk_indexer import BulkIndexer
from search.index_template import delete_index_layout
from search.provision import provision
from tests.search.factories import enriched

ROOT = Path(__file__).resolve().parents[3]
SEEDS = ROOT / "seeds" / "actors.yaml"
SEED_TEXT = (ROOT / "seeds" / "000_91a08a025cc7bc70.txt").read_text(encoding="utf-8")
TITLE = "Maduro roept op tot actief verzet"
BATONI = "Il ritratto di Pompeo Batoni è esposto a Lucca, accanto a opere del Settecento."


def articles():
    return [
        make_article(TITLE, SEED_TEXT, url="https://one.example/a"),
        make_article(TITLE, SEED_TEXT, url="https://two.example/a"),  # a syndicated copy
        make_article("Mostra a Lucca", BATONI, url="https://arte.example/batoni"),
    ]


def test_counts_articles_and_the_alerts_they_would_raise_per_actor():
    report = backtest(load_watchlist(SEEDS), articles(), samples=1)
    by_actor = {r.actor_id: r for r in report.actors}
    assert report.articles == 3
    assert (by_actor["nicolas-maduro"].articles, by_actor["nicolas-maduro"].alerts) == (2, 1)
    assert (by_actor["mike-pompeo"].articles, by_actor["mike-pompeo"].alerts) == (2, 1)
    assert by_actor["emmanuel-macron"].articles == 0
    [sample] = by_actor["nicolas-maduro"].samples
    assert sample.matched_text in sample.snippet.replace("…", "")
    assert sample.alias and sample.rule


@pytest.fixture
def indexed(es_client, settings):
    config = provision(es_client, settings)
    records = []
    for n, article in enumerate(articles()):
        record = enriched(
            n,
            title=article.title,
            text=article.text,
            url=article.url,
            language="nl" if n < 2 else "it",
        )
        records.append(record)
    BulkIndexer(es_client, config).index([(r.id, r) for r in records])
    es_client.indices.refresh(index=config.layout.alias)
    yield settings
    delete_index_layout(es_client, config.layout)


@pytest.mark.elasticsearch
def test_the_command_and_the_api_backtest_the_indexed_articles(indexed, es_client):
    from newsstream.cli import app
    from search.api import create_api

    settings = indexed
    result = CliRunner().invoke(
        app,
        ["actors", "backtest", str(SEEDS), "--since", "2019-01-01", "--json"],
        env=settings_env(settings),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    counts = {r["actor_id"]: (r["articles"], r["alerts"]) for r in report["actors"]}
    assert report["articles"] == 3
    assert counts["nicolas-maduro"] == (2, 1) and counts["emmanuel-macron"] == (0, 0)

    result = CliRunner().invoke(
        app, ["actors", "backtest", str(SEEDS), "--since", "2019-01-01"], env=settings_env(settings)
    )
    assert "2 articles     1 alerts  Nicolás Maduro" in result.stdout
    result = CliRunner().invoke(
        app, ["actors", "backtest", str(SEEDS), "--since", "2030-01-01"], env=settings_env(settings)
    )
    assert "over 0 articles" in result.stdout

    from processors.alerts.backtest_api import router

    client = TestClient(
        base_url="http://localhost",
        app=create_api(settings, routers=[router], client=es_client, web=False),
    )
    body = client.post(
        "/actors/backtest",
        params={"since": "2019-01-01"},
        content=SEEDS.read_text(encoding="utf-8"),
        headers={"content-type": "application/yaml"},
    ).json()
    assert {r["actor_id"]: r["alerts"] for r in body["actors"]}["mike-pompeo"] == 1
    bad = client.post(
        "/actors/backtest",
        content="actors: [{id: x}]",
        headers={"content-type": "application/yaml"},
    )
    assert bad.status_code == 422 and "name" in bad.json()["detail"]
