"""``/searches`` over HTTP on the real Elasticsearch, and the ``searches`` commands."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from contract.isolated import settings_env
from contract.settings import Settings
from newsstream.cli import app
from newsstream.cli.search_commands import api_routers
from search.api import create_api
from search.bulk_indexer import BulkIndexer
from search.index_template import delete_index_layout
from search.provision import provision
from search.saved_searches import searches_index
from tests.search.factories import enriched

pytestmark = pytest.mark.elasticsearch

runner = CliRunner()


@pytest.fixture(scope="module")
def settings(es_client, tmp_path_factory):
    tag = uuid.uuid4().hex[:10]
    settings = Settings.from_env(
        index_articles=f"t{tag}-news-articles",
        index_alerts=f"t{tag}-news-alerts",
        data_dir=str(tmp_path_factory.mktemp("data")),
    )
    config = provision(es_client, settings)
    records = [
        enriched(1, title="Un apagón deja a oscuras a Venezuela", language="es"),
        enriched(2, title="Otro apagón en Zulia", language="es", published="2026-12-01T10:00:00Z"),
        enriched(3, title="Venezuela blackout", language="en", published="2026-12-02T10:00:00Z"),
        enriched(  # a copy of the story above on another site: one alert, not two
            3,
            title="Venezuela blackout",
            language="en",
            published="2026-12-02T11:00:00Z",
            url="https://other.example/blackout",
        ),
    ]
    BulkIndexer(es_client, config).index([(r.id, r) for r in records])
    es_client.indices.refresh(index=config.layout.alias)
    yield settings
    delete_index_layout(es_client, config.layout)
    for index in (settings.index_alerts, searches_index(settings.index_alerts)):
        es_client.indices.delete(index=index, ignore_unavailable=True)


def test_save_list_and_remove_over_http_behind_the_api_keys(es_client, settings):
    keyed = Settings.from_env(
        index_articles=settings.index_articles, index_alerts=settings.index_alerts, api_keys="k1"
    )
    with TestClient(
        create_api(keyed, routers=api_routers(), client=es_client), base_url="http://localhost"
    ) as client:
        body = {"name": "Cortes", "q": "apagones OR blackouts", "lang": ["es"]}
        assert client.post("/searches", json=body).status_code == 401
        key = {"X-API-Key": "k1"}
        saved = client.post("/searches", json=body, headers=key)
        assert saved.status_code == 201, saved.text
        assert saved.json()["languages"] == ["es"]
        again = client.post("/searches", json={**body, "name": "cortes"}, headers=key)
        assert again.status_code == 409 and "exists already" in again.json()["detail"]
        bad = client.post("/searches", json={"name": "x", "q": "(apagones"}, headers=key)
        assert bad.status_code == 422 and "not closed" in bad.json()["detail"]
        unknown = client.post("/searches", json={"name": "y", "topic": ["gossip"]}, headers=key)
        assert unknown.status_code == 422 and "unknown topic" in unknown.json()["detail"]
        listed = client.get("/searches", headers=key).json()
        assert [s["name"] for s in listed["searches"]] == ["Cortes"]  # nothing half-saved
        assert listed["searches"][0]["alerts"] == 0
        assert client.delete("/searches/Cortes", headers=key).json() == {"removed": "Cortes"}
        assert client.delete("/searches/Cortes", headers=key).status_code == 404
        assert client.get("/searches", headers=key).json()["total"] == 0


def test_backtest_over_http_counts_per_day_and_language(es_client, settings):
    with TestClient(
        create_api(settings, routers=api_routers(), client=es_client), base_url="http://localhost"
    ) as client:
        report = client.post(
            "/searches/backtest",
            json={"q": "apagones OR blackouts"},
            params={"since": "2026-11-30"},
        ).json()
    assert (report["alerts"], report["articles"]) == (2, 3)
    assert {b["language"]: b["alerts"] for b in report["per_language"]} == {"es": 1, "en": 1}
    assert [b["day"] for b in report["per_day"] if b["alerts"]] == ["2026-12-01", "2026-12-02"]
    assert report["first_hits"][0]["title"] == "Venezuela blackout"
    assert report["first_hits"][0]["copies"] == 2


def test_the_searches_commands(settings):
    env = settings_env(settings)
    added = runner.invoke(
        app, ["searches", "add", "Stroom", "stroompannes", "--lang", "nl"], env=env
    )
    assert added.exit_code == 0, added.output
    refused = runner.invoke(app, ["searches", "add", "Bad", '"open', "--lang", "nl"], env=env)
    assert refused.exit_code == 2 and "quote is not closed" in refused.output
    listed = runner.invoke(app, ["searches", "list", "--json"], env=env)
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["Stroom"]
    backtest = runner.invoke(
        app, ["searches", "backtest", "apagones", "--since", "2026-11-30", "--json"], env=env
    )
    assert json.loads(backtest.stdout)["alerts"] == 1
    removed = runner.invoke(app, ["searches", "remove", "stroom"], env=env)
    assert removed.exit_code == 0 and "removed 'Stroom'" in removed.stdout
