"""The desk answers only to itself: Host, origin, body type, rate and key checks."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from contract.settings import Settings
from processors.alerts.backtest_api import MAX_ARTICLES, MAX_BODY_BYTES
from processors.alerts.backtest_api import router as backtest_router
from search.api import create_api
from search.guard import TokenBucket, host_name, logged_query, without_key

echo = APIRouter()


@echo.get("/ping")
def ping() -> dict:
    return {"ok": True}


@echo.post("/change")
async def change(request: Request) -> dict:
    return {"got": (await request.body()).decode()}


@echo.delete("/change")
def remove() -> dict:
    return {"removed": True}


def client_for(base_url: str = "http://localhost", **overrides: object) -> TestClient:
    settings = Settings.from_env({}, **overrides)
    app = create_api(settings, routers=[echo, backtest_router], web=False)
    return TestClient(app, base_url=base_url)


def test_a_foreign_host_gets_400_and_the_desks_own_names_are_answered():
    client = client_for()
    assert client.get("/ping", headers={"Host": "rebound.attacker.example"}).status_code == 400
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert client.get("/ping", headers={"Host": host}).status_code == 200, host
    deployed = client_for("https://news.example", allowed_hosts="news.example")
    assert deployed.get("/ping").status_code == 200
    assert deployed.get("/ping", headers={"Host": "localhost"}).status_code == 400


def test_state_changing_posts_take_only_json_or_yaml_from_their_own_origin():
    client = client_for()
    plain = client.post("/change", content="x", headers={"content-type": "text/plain"})
    assert plain.status_code == 415 and "application/json" in plain.json()["detail"]
    assert client.post("/change", content="x").status_code == 415  # no type at all
    assert client.post("/change").status_code == 415  # a POST says what it sends
    assert client.delete("/change").status_code == 200  # a page must ask before a DELETE
    assert client.delete("/change", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/change", json={"a": 1}).status_code == 200
    yaml_ok = client.post("/change", content="a: 1", headers={"content-type": "application/yaml"})
    assert yaml_ok.status_code == 200
    foreign = client.post("/change", json={}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    own = client.post("/change", json={}, headers={"Origin": "http://localhost"})
    assert own.status_code == 200
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert client.post("/change", content="a=1", headers=form).status_code == 415
    same_origin_form = {**form, "Origin": "http://localhost"}
    assert client.post("/change", content="a=1", headers=same_origin_form).status_code == 200


def test_the_backtest_is_capped_like_search():
    client = client_for()
    yaml_type = {"content-type": "application/yaml"}
    big = client.post("/actors/backtest", content="#" * (MAX_BODY_BYTES + 1), headers=yaml_type)
    assert big.status_code == 413 and "bytes" in big.json()["detail"]
    many = client.post(
        "/actors/backtest",
        params={"limit": MAX_ARTICLES + 1},
        content="actors: []",
        headers=yaml_type,
    )
    assert many.status_code == 400 and "limit" in many.json()["detail"]
    plain = client.post(
        "/actors/backtest", content="actors: []", headers={"content-type": "text/plain"}
    )
    assert plain.status_code == 415


def test_a_client_over_its_rate_gets_429_with_retry_after():
    client = client_for(rate_limit=1.0, rate_burst=3)
    statuses = [client.get("/ping").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    refused = client.get("/ping")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/health").status_code != 429  # liveness is never throttled
    assert client_for(rate_limit=0).get("/ping").status_code == 200


def test_token_bucket_refills_at_its_rate():
    bucket = TokenBucket(rate=2.0, burst=2)
    assert [bucket.wait("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.5]
    assert bucket.wait("a", 0.5) == 0.0  # one token back after half a second
    assert bucket.wait("b", 0.5) == 0.0  # each client has its own


def test_a_key_in_the_address_moves_to_a_strict_cookie_and_leaves_the_address():
    client = client_for("https://localhost", api_keys="k1")
    assert client.get("/ping").status_code == 401
    first = client.get("/ping", params={"api_key": "k1", "x": "1"}, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/ping?x=1"
    cookie = first.headers["set-cookie"]
    assert all(part in cookie for part in ("HttpOnly", "SameSite=strict", "Secure"))
    assert client.get("/ping").status_code == 200  # the cookie carries it
    assert client.get("/ping", headers={"Authorization": "Bearer k1"}).status_code == 200
    wrong = client_for(api_keys="k1").get("/ping", params={"api_key": "nope"})
    assert wrong.status_code == 401
    over_http = client_for(api_keys="k1").get(
        "/ping", params={"api_key": "k1"}, follow_redirects=False
    )
    assert "Secure" not in over_http.headers["set-cookie"]


@pytest.mark.parametrize(
    ("header", "name"),
    [("localhost:8000", "localhost"), ("[::1]:80", "::1"), ("Example.ORG", "example.org")],
)
def test_host_names(header, name):
    assert host_name(header) == name


def test_the_key_never_reaches_a_log_or_a_redirect():
    assert logged_query("q=a&api_key=s3cret&x=1") == "q=a&api_key=…&x=1"
    assert logged_query("api%5Fkey=s3cret") == "api_key=…"
    assert without_key("q=a+b&api_key=s3cret") == "q=a+b"
