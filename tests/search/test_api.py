"""The HTTP API against the real Elasticsearch, through FastAPI's TestClient."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from search.api import create_api, get_settings


@pytest.fixture(scope="module")
def api(es_client, corpus):
    settings, _ = corpus
    extra = APIRouter()

    @extra.get("/extra")
    def extra_endpoint(request: Request) -> dict:
        return {"index": get_settings(request).index_articles}

    with TestClient(
        base_url="http://localhost", app=create_api(settings, routers=[extra], client=es_client)
    ) as client:
        yield client


def test_search_with_highlights_facets_and_histogram(api):
    body = api.get("/search", params={"q": "stroompanne", "lang": "nl"}).json()
    assert body["total"] == 1
    hit = body["hits"][0]
    assert hit["title"] == "Maduro roept op tot actief verzet"
    assert any("<em>stroompanne</em>" in s for s in hit["snippets"])
    assert body["facets"]["language"] == [{"value": "nl", "count": 1}]
    assert sum(b["count"] for b in body["histogram"]) == 1


def test_cursor_paging(api, corpus):
    _, records = corpus
    first = api.get("/search", params={"limit": 3}).json()
    second = api.get("/search", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    ids = [h["id"] for h in first["hits"] + second["hits"]]
    assert sorted(ids) == sorted(r.id for r in records)
    assert second["next_cursor"] is None


def test_article_by_id(api, corpus):
    _, records = corpus
    seed = records[0]
    body = api.get(f"/articles/{seed.id}").json()
    assert body["title"] == seed.article.title and "stroompanne" in body["text"]
    assert api.get("/articles/no-such-article").status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sort": "oldest"}, "sort must be"),
        ({"since": "last tuesday"}, "not a time"),
        ({"cursor": "@@@"}, "invalid cursor"),
    ],
)
def test_bad_parameters_get_a_400_with_a_message(api, params, message):
    response = api.get("/search", params=params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_out_of_range_limit_is_a_4xx(api):
    assert api.get("/search", params={"limit": 0}).status_code == 422


def test_health_and_openapi_and_extra_routers(api, corpus):
    settings, records = corpus
    health = api.get("/health").json()
    assert health["status"] == "ok" and health["articles"] == len(records)
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/search", "/articles/{article_id}", "/health", "/extra"} <= set(paths)
    assert api.get("/extra").json() == {"index": settings.index_articles}


def test_out_of_range_times_are_a_400_not_a_500(api):
    for params in ({"since": "99999999d"}, {"until": "99999999999w"}):
        response = api.get("/search", params=params)
        assert response.status_code == 400, params
        assert "out of range" in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (" OR ".join(f"term{i}" for i in range(2000)), "characters, at most"),
        ("|".join(f"t{i}" for i in range(100)), "100 terms, at most"),
        ("x" * 10_000, "query too long"),
    ],
)
def test_queries_over_the_cost_cap_get_a_clear_400(api, query, message):
    response = api.get("/search", params={"q": query})
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_api_keys_are_required_when_configured(es_client, corpus):
    settings, _ = corpus
    from contract.settings import Settings

    keyed = Settings.from_env(index_articles=settings.index_articles, api_keys="k1, k2")
    with TestClient(base_url="http://localhost", app=create_api(keyed, client=es_client)) as client:
        refused = client.get("/search", params={"q": "Maduro"})
        assert refused.status_code == 401 and "X-API-Key" in refused.json()["detail"]
        assert client.get("/search", headers={"X-API-Key": "wrong"}).status_code == 401
        assert client.get("/search", headers={"X-API-Key": "k2"}).status_code == 200
        assert client.get("/search", headers={"Authorization": "Bearer k1"}).status_code == 200
        assert client.get("/health").status_code == 200
        # A browser passes the key once; the cookie carries it to the next pages.
        assert client.get("/", params={"api_key": "k1"}).status_code == 200
        assert client.get("/feeds").status_code == 200
