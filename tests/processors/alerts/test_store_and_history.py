"""The alerts index on real Elasticsearch: first-time decisions and the history queries."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from contract.errors import RejectedDocument
from contract.isolated import settings_env
from contract.records import Alert
from processors.alerts.store import AlertStore
from search.alerts.api import router
from search.alerts.history import parse_since, search_alerts
from search.client import async_es_client

pytestmark = pytest.mark.elasticsearch


def alert(
    n: int,
    actor: str = "nicolas-maduro",
    name: str = "Nicolás Maduro",
    alerted_at: str = "2026-03-01T10:00:00.000Z",
) -> Alert:
    return Alert(
        id=f"alert-{actor}-{n}",
        actor_id=actor,
        actor_name=name,
        actor_kind="person",
        article_id=f"article-{n}",
        story_id=f"story-{n}",
        title=f"Title {n}",
        url=f"https://x.example/{n}",
        source="x.example",
        language="nl",
        published="not a date",
        matched_text="Maduro",
        snippet="… Maduro zei …",
        raw_timestamp_ms=1,
        alerted_at=alerted_at,
        latency_ms=120,
    )


async def claim(store: AlertStore, one: Alert) -> bool:
    """One alert through the store's batch decision: True when it is new."""
    [outcome] = await store.claim_many([one])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(es_client, settings):
    clock = Clock()
    store = AlertStore(async_es_client(settings), settings.index_alerts, clock=clock)
    store.test_clock = clock
    yield store
    await store.close()
    es_client.indices.delete(index=settings.index_alerts, ignore_unavailable=True)


async def test_only_the_first_creation_of_an_alert_id_is_new(store, es_client):
    assert await claim(store, alert(1)) is True
    assert await claim(store, alert(1)) is False
    assert await claim(store, alert(2)) is True
    await store.mark(alert(1).id, "sent")
    doc = es_client.get(index=store.index, id=alert(1).id)["_source"]
    assert (doc["state"], doc["title"], doc["published"]) == ("sent", "Title 1", "not a date")
    mapping = es_client.indices.get_mapping(index=store.index)[store.index]["mappings"]
    assert mapping["properties"]["alerted_at"]["type"] == "date"


async def test_queued_marks_ride_on_the_next_claim_request(store, es_client):
    assert await store.claim_many([alert(1), alert(2)]) == [True, True]
    store.mark_later([alert(1).id, alert(2).id], "sent")
    assert es_client.get(index=store.index, id=alert(1).id)["_source"]["state"] == "pending"
    requests = []
    bulk = store.es.bulk

    async def counted(**kwargs):
        requests.append(kwargs["operations"])
        return await bulk(**kwargs)

    store.es.bulk = counted
    assert await store.claim_many([alert(3)]) == [True]
    assert len(requests) == 1 and store.marks_queued == 0
    states = {
        i: es_client.get(index=store.index, id=alert(i).id)["_source"]["state"] for i in (1, 2, 3)
    }
    assert states == {1: "sent", 2: "sent", 3: "pending"}
    await store.flush_marks()  # nothing queued: no request
    assert len(requests) == 1


async def test_an_unread_history_is_not_refreshed_yet_a_search_sees_every_alert(store, es_client):
    assert await claim(store, alert(1)) is True
    settings = es_client.indices.get_settings(index=store.index)[store.index]["settings"]
    assert "refresh_interval" not in settings["index"]  # so an idle shard skips refreshes
    es_client.indices.put_settings(index=store.index, settings={"index.search.idle.after": "1s"})
    search_alerts(es_client, store.index)  # read once, then left alone
    time.sleep(1.5)
    refreshes = es_client.indices.stats(index=store.index, metric="refresh")
    before = refreshes["indices"][store.index]["primaries"]["refresh"]["total"]
    assert await claim(store, alert(2)) is True
    time.sleep(2.5)  # two refresh intervals with nobody searching
    refreshes = es_client.indices.stats(index=store.index, metric="refresh")
    assert refreshes["indices"][store.index]["primaries"]["refresh"]["total"] == before
    total, found = search_alerts(es_client, store.index)  # the search refreshes first
    assert total == 2 and {a["id"] for a in found} == {alert(1).id, alert(2).id}


async def test_an_index_of_an_earlier_version_loses_its_explicit_refresh(settings, es_client):
    es_client.indices.create(
        index=settings.index_alerts, settings={"number_of_shards": 1, "refresh_interval": "1s"}
    )
    store = AlertStore(async_es_client(settings), settings.index_alerts)
    try:
        assert await claim(store, alert(1)) is True
        index = es_client.indices.get_settings(index=store.index)[store.index]["settings"]
        assert "refresh_interval" not in index["index"]
    finally:
        await store.close()
        es_client.indices.delete(index=settings.index_alerts, ignore_unavailable=True)


async def test_a_batch_is_decided_in_one_go_and_refusals_are_reported(store):
    assert await claim(store, alert(1)) is True
    bad = alert(3, alerted_at="not a time")
    outcomes = await store.claim_many([alert(1), alert(2), bad])
    assert outcomes[:2] == [False, True]
    assert isinstance(outcomes[2], RejectedDocument) and "alert-nicolas-maduro-3" in str(
        outcomes[2]
    )
    with pytest.raises(RejectedDocument):
        await claim(store, bad)


async def test_a_restarted_worker_takes_over_the_alert_its_predecessor_left_pending(
    store, settings
):
    clock = store.test_clock
    assert await claim(store, alert(1)) is True  # ... and the worker dies before sending
    assert await claim(store, alert(1)) is False  # its own claim, while it lives

    naps: list[float] = []

    async def sleep(seconds: float) -> None:
        naps.append(seconds)
        clock.now += seconds

    restarted = AlertStore(async_es_client(settings), store.index, clock=clock, sleep=sleep)
    try:
        assert await claim(restarted, alert(1)) is True  # waited for the lease, then took over
        assert sum(naps) >= store.lease - 1
        assert await claim(restarted, alert(1)) is False
    finally:
        await restarted.close()


async def test_a_live_workers_pending_claim_is_waited_for_and_not_repeated(store, settings):
    assert await claim(store, alert(1)) is True

    async def sleep(seconds: float) -> None:
        await store.mark(alert(1).id, "sent")  # the other worker finishes meanwhile

    other = AlertStore(async_es_client(settings), store.index, clock=store.test_clock, sleep=sleep)
    try:
        assert await claim(other, alert(1)) is False
        store.test_clock.now += 10 * store.lease
        assert await claim(other, alert(1)) is False  # sent alerts never come back
    finally:
        await other.close()


async def test_a_syndicated_copy_is_counted_on_its_storys_alert_once(store, es_client, settings):
    from dataclasses import replace

    from newsstream.cli import app

    first = alert(1)
    copy = replace(
        first,
        article_id="article-copy",
        source="copy.example",
        alerted_at="2026-03-01T10:05:00.000Z",
    )
    assert await claim(store, first) is True
    assert await claim(store, copy) is False  # raises nothing ...
    assert await claim(store, copy) is False  # ... and a replay of it counts nothing more
    assert await claim(store, first) is False
    assert await store.count_copies([replace(copy, article_id="article-third")]) == 1
    es_client.indices.refresh(index=store.index)
    doc = es_client.get(index=store.index, id=first.id)["_source"]
    assert doc["copies"] == 3
    assert doc["sources"] == ["x.example", "copy.example"]
    assert doc["last_seen_at"] == "2026-03-01T10:05:00.000Z"
    env = {**settings_env(settings), "COLUMNS": "300"}
    result = CliRunner().invoke(app, ["alerts", "list"], env=env)
    assert "first at x.example, 3 copies (also copy.example)" in result.stdout


def test_since_accepts_ages_and_iso_dates():
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert parse_since("24h", now=now) == now - timedelta(hours=24)
    assert parse_since("7d", now=now) == now - timedelta(days=7)
    assert parse_since("30m", now=now) == now - timedelta(minutes=30)
    assert parse_since("2026-03-01", now=now) == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_since("2026-03-01T08:00:00+01:00", now=now) == datetime(2026, 3, 1, 7, tzinfo=UTC)
    with pytest.raises(ValueError, match="--since"):
        parse_since("last week", now=now)


@pytest.fixture
async def history(store, es_client):
    for n, (actor, name, at) in enumerate(
        [
            ("nicolas-maduro", "Nicolás Maduro", "2026-03-01T10:00:00.000Z"),
            ("nicolas-maduro", "Nicolás Maduro", "2026-03-05T10:00:00.000Z"),
            ("juan-guaido", "Juan Guaidó", "2026-03-03T10:00:00.000Z"),
        ]
    ):
        assert await claim(store, alert(n, actor, name, at))
    es_client.indices.refresh(index=store.index)
    return store


def test_cli_lists_alerts_newest_first_with_filters(history, settings):
    from newsstream.cli import app

    runner = CliRunner()
    env = settings_env(settings)
    result = runner.invoke(app, ["alerts", "list", "--json"], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["alerted_at"][:10] for a in lines] == ["2026-03-05", "2026-03-03", "2026-03-01"]

    result = runner.invoke(
        app,
        ["alerts", "list", "--json", "--actor", "nicolas-maduro", "--since", "2026-03-02"],
        env=env,
    )
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == ["alert-nicolas-maduro-1"]

    result = runner.invoke(app, ["alerts", "list", "--actor", "Guaidó"], env=env)
    assert result.exit_code == 0
    assert "Juan Guaidó" in result.stdout and "Nicolás Maduro" not in result.stdout


def test_http_api_lists_alerts(history, settings, es_client):
    from search.api import create_api

    client = TestClient(
        base_url="http://localhost", app=create_api(settings, routers=[router], client=es_client)
    )
    body = client.get("/alerts", params={"actor": "juan-guaido"}).json()
    assert body["total"] == 1 and body["alerts"][0]["actor_name"] == "Juan Guaidó"
    body = client.get("/alerts", params={"since": "2026-03-04", "limit": 5}).json()
    assert [a["id"] for a in body["alerts"]] == ["alert-nicolas-maduro-1"]
    assert client.get("/alerts", params={"since": "soon"}).status_code == 422


def test_listing_before_any_alert_exists_is_empty(settings, es_client):
    from newsstream.cli import app

    result = CliRunner().invoke(app, ["alerts", "list"], env=settings_env(settings))
    assert result.exit_code == 0
    assert "no alerts" in result.stdout
