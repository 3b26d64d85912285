"""The detector between stream and store: which candidates reach the sinks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from contract.errors import RejectedDocument
from contract.records import ActorMention, Alert
from processors.alerts.agents import MARK_DELAY, Detector
from processors.enrichment.watchlist import WatchlistSource
from tests.processors.alerts.support import SEED_TEXT, enriched

ROOT = Path(__file__).resolve().parents[3]


class MemoryStore:
    """The alert store's contract in memory: first creation wins."""

    def __init__(self, refuse: str = "") -> None:
        self.docs: dict[str, dict] = {}
        self.refuse = refuse
        self.queued: list[tuple[str, str]] = []
        self.requests = 0

    async def claim_many(self, alerts):
        if not alerts:
            return []
        self.requests += 1
        await self.flush_marks(alone=False)
        out = []
        for a in alerts:
            if a.actor_id == self.refuse:
                out.append(RejectedDocument("refused"))
            elif a.id in self.docs:
                out.append(False)
            else:
                self.docs[a.id] = {"state": "pending"}
                out.append(True)
        return out

    async def count_copies(self, alerts):
        for a in alerts:
            self.docs[a.id].setdefault("copies", []).append(a.article_id)
        return len(alerts)

    def mark_later(self, ids, state_field):
        self.queued += [(i, state_field) for i in ids]

    async def flush_marks(self, alone: bool = True):
        self.requests += alone and bool(self.queued)
        for i, state_field in self.queued:
            self.docs[i]["state"] = state_field
        self.queued = []


class ListSink:
    name = "list"

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    async def deliver(self, alert: Alert) -> None:
        self.alerts.append(alert)


def detector(refuse: str = "") -> tuple[Detector, MemoryStore, ListSink]:
    store, sink = MemoryStore(refuse), ListSink()
    source = WatchlistSource(ROOT / "seeds" / "actors.yaml")
    return Detector(source, store, [sink], clock_ms=lambda: 2_000_000_000_000), store, sink


async def test_copies_of_a_story_in_one_batch_alert_once_and_are_marked_sent():
    d, store, sink = detector()
    copies = [enriched(f"https://f{i}.example/x", "Verzet", SEED_TEXT) for i in range(3)]
    candidates = [a for c in copies for a in d.candidates(c)]
    assert len(candidates) == 12  # four people, three copies
    new, refused = await d.publish(candidates)
    await d.drain()
    # Pending until Kafka has them: a crash now leaves them to be taken over.
    assert {d["state"] for d in store.docs.values()} == {"pending"}
    await d.sent([a.id for a in new])
    await d.drain()
    assert sorted(a.actor_id for a in sink.alerts) == sorted(
        ["nicolas-maduro", "juan-guaido", "donald-trump", "mike-pompeo"]
    )
    assert {a.article_id for a in new} == {copies[0].id}  # the first copy is the one reported
    assert refused == []
    assert {d["state"] for d in store.docs.values()} == {"sent"}
    assert d.outcomes == {"alerted": 4, "duplicate": 8}

    assert await d.process(copies[1]) == []  # a replay later on
    assert len(sink.alerts) == 4


async def test_actor_mentions_from_enrichment_are_used_as_they_are():
    d, _store, sink = detector()
    item = enriched("https://x.example/1", "Madurodam", "Geen namen hier.")
    item.actors = [
        ActorMention(
            actor_id="someone",
            name="Some One",
            kind="person",
            matched_text="Some",
            field="title",
            start=0,
            end=4,
        )
    ]
    [alert] = await d.process(item)
    assert (alert.actor_id, alert.snippet) == ("someone", "Madurodam")


async def test_an_article_the_enrichment_matched_is_not_matched_again():
    d, _store, sink = detector()
    item = enriched("https://x.example/3", "Maduro spreekt", SEED_TEXT)
    item.versions["actors"] = "watchlist/test"  # matched upstream, found nobody
    assert await d.process(item) == []
    assert sink.alerts == []


async def test_alerts_the_store_refuses_are_reported_not_delivered():
    d, _store, sink = detector(refuse="donald-trump")
    new, refused = await d.publish(d.candidates(enriched("https://x.example/2", "T", SEED_TEXT)))
    assert [a.actor_id for a, _ in refused] == ["donald-trump"]
    assert "donald-trump" not in {a.actor_id for a in sink.alerts}
    assert len(new) == 3


async def test_a_delivered_articles_next_version_is_a_duplicate_without_asking_the_store():
    d, store, sink = detector()
    article = enriched("https://x.example/v", "Verzet", SEED_TEXT)
    assert len(await d.process(article)) == 4
    asked = store.requests
    # The same article again (its version with statistical names, or a redelivery).
    assert await d.process(article) == []
    assert store.requests == asked
    assert d.outcomes == {"alerted": 4, "duplicate": 4}
    # Another copy of the story is still the store's to count.
    copy = enriched("https://y.example/v", "Verzet", SEED_TEXT)
    assert await d.process(copy) == []
    assert store.requests == asked + 1


async def test_an_alert_not_yet_on_kafka_is_asked_about_again():
    d, store, sink = detector()
    article = enriched("https://x.example/w", "Verzet", SEED_TEXT)
    new, _ = await d.publish(d.candidates(article))
    assert len(new) == 4
    asked = store.requests
    again, _ = await d.publish(d.candidates(article))  # sent() never came
    assert again == [] and store.requests == asked + 1


async def test_sent_marks_ride_on_the_next_claim_or_go_alone_after_a_while():
    d, store, _sink = detector()
    first = enriched("https://x.example/m1", "Verzet", SEED_TEXT)
    new, _ = await d.publish(d.candidates(first))
    await d.sent([a.id for a in new])
    assert {doc["state"] for doc in store.docs.values()} == {"pending"}  # queued, not sent yet
    asked = store.requests
    other = enriched("https://x.example/m2", "Ander nieuws", "Trump sprak met Pompeo in Caracas.")
    await d.publish(d.candidates(other))
    assert store.requests == asked + 1  # the claim carried the marks
    assert all(store.docs[a.id]["state"] == "sent" for a in new)
    later = [
        a.id
        for a in (
            await d.publish(
                d.candidates(
                    enriched("https://x.example/m3", "Verzet", "Guaidó en Maduro in Caracas.")
                )
            )
        )[0]
    ]
    await d.sent(later)
    await asyncio.sleep(MARK_DELAY + 0.2)  # nothing else came: they went alone
    assert all(store.docs[i]["state"] == "sent" for i in later)


async def test_marks_a_failed_request_carried_are_queued_again():
    from elastic_transport import ConnectionError as TransportConnectionError

    from contract.retry import RetryPolicy
    from processors.alerts.store import AlertStore

    class Down:
        async def bulk(self, operations):
            raise TransportConnectionError("refused")

    store = AlertStore(Down(), "alerts", retry=RetryPolicy(attempts=1))
    store._ready = True  # the index is not what this is about
    store.mark_later(["a", "b"], "sent")
    with pytest.raises(Exception, match="unreachable"):
        await store.flush_marks()
    assert store.marks_queued == 2
