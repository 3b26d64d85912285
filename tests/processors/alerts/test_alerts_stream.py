"""Alerts end to end on real Kafka and Elasticsearch, through a real worker.

One worker (stage ``alerts``) serves the whole module; each test sends its
own stories. To know that a message has been processed without sleeping, a
test follows it with a *marker* article on the same key (so the same
partition, processed after it) that alerts for someone else: once the
marker's alert is out, the message before it has been handled.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from contract.ids import alert_id
from contract.isolated import isolated_settings
from contract.kafka_admin import ensure_topics
from contract.settings import Settings
from newsstream.workers import running_worker
from tests.processors.alerts.support import (
    ROOT,
    SEED_TEXT,
    Sender,
    TopicReader,
    WebhookReceiver,
    enriched,
)

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

PEOPLE_IN_SEED = {"nicolas-maduro", "juan-guaido", "donald-trump", "mike-pompeo"}


@dataclass
class Stack:
    settings: Settings
    watchlist: Path
    log_path: Path
    alerts: TopicReader
    deadletter: TopicReader
    sender: Sender
    webhook: WebhookReceiver
    es: object

    def processed(self, *keys: str) -> None:
        """Return once every message sent so far on ``keys`` has been processed."""
        markers = {self.sender.marker(k) for k in keys}
        self.alerts.wait_for(
            lambda rs: markers <= {r["article_id"] for r in rs}, what="marker alerts"
        )

    def wait_for_actors(self, actors: set[str], *, story: str = "", article: str = "") -> None:
        """Wait until alerts for ``actors`` are out for the story (or article)."""
        self.alerts.wait_for(
            lambda rs: (
                actors <= {a["actor_id"] for a in self.alerts_for(story=story, article=article)}
            ),
            what=f"alerts for {sorted(actors)}",
        )

    def stored(self, alert_id: str) -> dict:
        """The alert as the alerts index holds it now."""
        self.es.indices.refresh(index=self.settings.index_alerts)
        return self.es.get(index=self.settings.index_alerts, id=alert_id)["_source"]

    def alerts_for(self, *, story: str = "", article: str = "") -> list[dict]:
        return [
            r
            for r in self.alerts.snapshot()
            if (story and r["story_id"] == story) or (article and r["article_id"] == article)
        ]


@pytest.fixture(scope="module")
def stack(kafka_bootstrap, es_client, tmp_path_factory):
    unique = uuid.uuid4().hex[:10]
    tmp = tmp_path_factory.mktemp("alerts")
    watchlist = tmp / "actors.yaml"
    shutil.copy(ROOT / "seeds" / "actors.yaml", watchlist)
    webhook = WebhookReceiver(failures=2)
    settings = isolated_settings(
        unique,
        tmp / "data",
        actors=str(watchlist),
        webhook_urls=f"{webhook.url}/hook,{webhook.url}/reject",
    )
    ensure_topics(settings)
    alerts = TopicReader(kafka_bootstrap, settings.topic_alerts)
    deadletter = TopicReader(kafka_bootstrap, settings.topic_deadletter)
    sender = Sender(kafka_bootstrap, settings.topic_enriched)
    log_path = tmp / "worker.log"
    try:
        with running_worker(settings, ("alerts",), log_path=log_path):
            yield Stack(
                settings, watchlist, log_path, alerts, deadletter, sender, webhook, es_client
            )
    finally:
        sender.close()
        alerts.close()
        deadletter.close()
        webhook.close()
        es_client.indices.delete(index=settings.index_alerts, ignore_unavailable=True)


def test_seed_article_alerts_once_for_each_tracked_person(stack):
    item = enriched(
        "https://nieuws.example/venezuela/verzet",
        "Venezuela: 'Het uur van actief verzet'",
        SEED_TEXT,
    )
    stack.sender.send(item)
    stack.wait_for_actors(PEOPLE_IN_SEED, article=item.id)
    stack.processed(item.id)

    found = stack.alerts_for(article=item.id)
    assert Counter(a["actor_id"] for a in found) == Counter(PEOPLE_IN_SEED)
    by_actor = {a["actor_id"]: a for a in found}
    maduro = by_actor["nicolas-maduro"]
    assert maduro["id"] == alert_id("nicolas-maduro", item.article.story_id)
    assert maduro["title"] == item.article.title
    assert (maduro["url"], maduro["source"], maduro["language"]) == (
        item.article.url,
        "feed.example",
        "nl",
    )
    assert maduro["published"] == "2019-03-11T09:30:00Z"
    assert maduro["matched_text"] == "Maduro"
    assert "benadrukte Maduro" in maduro["snippet"]
    assert by_actor["juan-guaido"]["matched_text"] == "Juan Guaidó"
    assert all(a["latency_ms"] >= 0 for a in found)

    stack.es.indices.refresh(index=stack.settings.index_alerts)
    history = stack.es.search(
        index=stack.settings.index_alerts,
        query={"term": {"story_id": item.article.story_id}},
        size=20,
    )
    assert {h["_source"]["actor_id"] for h in history["hits"]["hits"]} == PEOPLE_IN_SEED
    assert {h["_source"]["state"] for h in history["hits"]["hits"]} == {"sent"}


def test_same_story_in_three_feeds_alerts_once_per_actor(stack):
    title = "Maduro roept op tot actief verzet"
    copies = [
        enriched(
            f"https://site{i}.example/a/{i}",
            title,
            SEED_TEXT,
            feed=f"https://site{i}.example/rss",
        )
        for i in range(3)
    ]
    assert len({c.id for c in copies}) == 3
    for copy in copies:
        stack.sender.send(copy)
    stack.wait_for_actors(PEOPLE_IN_SEED, story=copies[0].article.story_id)
    stack.processed(*(c.id for c in copies))

    found = stack.alerts_for(story=copies[0].article.story_id)
    assert Counter(a["actor_id"] for a in found) == Counter(PEOPLE_IN_SEED)
    assert {a["article_id"] for a in found} <= {c.id for c in copies}

    # The later copies are counted on the story's alert, not raised again ...
    maduro = alert_id("nicolas-maduro", copies[0].article.story_id)
    stored = stack.stored(maduro)
    assert stored["copies"] == 3
    assert sorted(stored["sources"]) == ["site0.example", "site1.example", "site2.example"]
    assert stored["last_seen_at"] >= stored["alerted_at"]
    # ... and a replayed copy is not counted twice.
    stack.sender.send(copies[1])
    stack.processed(copies[1].id)
    assert stack.stored(maduro)["copies"] == 3
    assert len(stack.alerts_for(story=copies[0].article.story_id)) == len(PEOPLE_IN_SEED)


def test_a_replay_alerts_zero_times(stack):
    item = enriched(
        "https://nieuws.example/vs-diplomaten",
        "VS trekken diplomaten terug",
        "Buitenlandminister Mike Pompeo zegt dat de VS hun diplomaten terugtrekken uit "
        "Venezuela. President Maduro verbrak de betrekkingen.",
    )
    stack.sender.send(item)
    stack.wait_for_actors({"mike-pompeo", "nicolas-maduro"}, story=item.article.story_id)
    stack.processed(item.id)
    first = stack.alerts_for(story=item.article.story_id)
    assert {a["actor_id"] for a in first} == {"mike-pompeo", "nicolas-maduro"}

    for _ in range(2):  # the topic replayed, twice
        stack.sender.send(item)
    stack.processed(item.id)
    assert len(stack.alerts_for(story=item.article.story_id)) == 2


def test_an_article_about_madurodam_alerts_for_nobody(stack):
    item = enriched(
        "https://nieuws.example/madurodam",
        "Madurodam trekt recordaantal bezoekers",
        "Het miniatuurpark Madurodam in Den Haag ontving dit jaar meer bezoekers dan ooit. "
        "Madurodams directeur is tevreden; de Madurodam-winkel ook.",
    )
    stack.sender.send(item)
    stack.processed(item.id)
    assert stack.alerts_for(article=item.id) == []


def test_a_webhook_that_fails_twice_then_succeeds_receives_exactly_one_delivery(stack):
    item = enriched(
        "https://nieuws.example/rutte",
        "Rutte in Brussel",
        "Premier Mark Rutte sprak in Brussel met collega's over de begroting.",
    )
    stack.sender.send(item)
    stack.alerts.wait_for(
        lambda rs: any(r["article_id"] == item.id for r in rs), what="the Rutte alert"
    )
    [alert] = stack.alerts_for(article=item.id)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # its receiver's queue delivers it on the third try
        if any(d["id"] == alert["id"] for d in stack.webhook.delivered):
            break
        time.sleep(0.2)
    assert stack.webhook.attempts[alert["id"]] == 3  # 503, 503, 200
    delivered = [d for d in stack.webhook.delivered if d["id"] == alert["id"]]
    assert len(delivered) == 1
    assert delivered[0]["actor_id"] == "mark-rutte"
    assert delivered[0]["url"] == item.article.url

    # The receiver that refuses (400) gets one try and a dead-letter record.
    assert stack.webhook.rejected.count(alert["id"]) == 1
    parked = stack.deadletter.wait_for(
        lambda rs: any(r["key"] == alert["id"] for r in rs), what="the webhook dead letter"
    )
    [record] = [r for r in parked if r["key"] == alert["id"]]
    assert (record["stage"], record["error_type"]) == ("alerts-webhook", "DeliveryRejected")
    assert alert["id"] in record["original"]


def test_watchlist_changes_take_effect_without_restart(stack):
    def kallas_article(n: int):
        return enriched(
            f"https://nieuws.example/kallas/{n}",
            f"Kallas in Kyiv ({n})",
            f"Buitenlandchef Kaja Kallas bezocht vandaag Kyiv, bericht {n}.",
        )

    before = kallas_article(0)
    stack.sender.send(before)
    stack.processed(before.id)
    assert [a for a in stack.alerts.snapshot() if a["actor_id"] == "kaja-kallas"] == []

    with stack.watchlist.open("a", encoding="utf-8") as fh:
        fh.write(
            "\n  - id: kaja-kallas\n    name: Kaja Kallas\n    kind: person\n"
            "    aliases: [Kaja Kallas, Кая Каллас]\n    surnames: [Kallas]\n"
        )
    deadline, n = time.monotonic() + 30, 0
    while time.monotonic() < deadline:  # the worker looks at the file about once a second
        n += 1
        stack.sender.send(kallas_article(n))
        time.sleep(0.5)
        if any(a["actor_id"] == "kaja-kallas" for a in stack.alerts.snapshot()):
            break
    assert any(a["actor_id"] == "kaja-kallas" for a in stack.alerts.snapshot())
    assert "reloaded watchlist" in stack.log_path.read_text(errors="replace")


def test_an_undecodable_message_goes_to_the_dead_letter_topic(stack):
    stack.sender.send_raw(b"broken-1", b'{"not": "an article"')
    parked = stack.deadletter.wait_for(
        lambda rs: any(r["key"] == "broken-1" for r in rs), what="the dead letter"
    )
    [record] = [r for r in parked if r["key"] == "broken-1"]
    assert (record["stage"], record["error_type"]) == ("alerts", "InvalidMessage")
    assert record["original"] == '{"not": "an article"'
