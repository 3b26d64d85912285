"""The detector between stream and store: which candidates reach the sinks."""

from __future__ import annotations

from pathlib import Path

from newsstream.contract.errors import RejectedDocument
from newsstream.contract.records import ActorMention, Alert
from processors.alerts.agents import Detector
from processors.enrichment.watchlist import WatchlistSource
from tests.processors.alerts.support import SEED_TEXT, enriched

ROOT = Path(__file__).resolve().parents[3]


class MemoryStore:
    """The alert store's contract in memory: first creation wins."""

    def __init__(self, refuse: str = "") -> None:
        self.docs: dict[str, dict] = {}
        self.refuse = refuse

    async def claim_many(self, alerts):
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

    async def mark_many(self, ids, state_field):
        for i in ids:
            self.docs[i]["state"] = state_field


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
    item.actors = [ActorMention(
        actor_id="someone", name="Some One", kind="person", matched_text="Some",
        field="title", start=0, end=4,
    )]
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
