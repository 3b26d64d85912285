"""The whole pipeline on the real servers: sample feeds -> Kafka -> Faust -> Elasticsearch.

The offline fixture feeds are served locally, polled once into the raw topic,
enriched, indexed and alerted on by one real worker; then the user-visible
results are checked: search, enrichment of the Dutch seed article, alerts
once per story, and a second poll that publishes nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from pathlib import Path

from contract.kafka_admin import ensure_topics
from ingest import feedlist
from ingest.poller import Poller
from ingest.serve import make_server
from newsstream.workers import running_worker
from search.alerts.history import search_alerts
from search.index_template import delete_index_layout
from search.layout import IndexLayout
from search.provision import provision
from search.query import SearchRequest, run_search

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "seeds" / "feeds" / "fixtures"


def _fixture_feeds(port: int) -> list[feedlist.Feed]:
    feeds = feedlist.load(ROOT / "seeds" / "feeds" / "fixtures.yaml")
    return [
        dataclasses.replace(f, url=f.url.replace("127.0.0.1:8765", f"127.0.0.1:{port}"))
        for f in feeds
    ]


def _poll(settings, feeds):
    async def cycle():
        poller = Poller(settings)
        try:
            return await poller.run_cycle(feeds)
        finally:
            await poller.aclose()

    return asyncio.run(cycle())


def _wait_for(predicate, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return predicate()


def test_sample_feeds_become_enriched_searchable_articles_and_alerts(
    kafka_bootstrap, es_client, settings, tmp_path
):
    ensure_topics(settings)
    client = es_client
    provision(client, settings)
    server = make_server(FIXTURES, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feeds = _fixture_feeds(server.server_port)
    try:
        with running_worker(settings, log_path=tmp_path / "worker.log"):
            first = _poll(settings, feeds)
            assert first.errors == 0 and first.pending == 0
            published = first.published
            assert published >= 15

            def indexed() -> bool:
                client.indices.refresh(index=settings.index_articles)
                return client.count(index=settings.index_articles)["count"] >= published

            assert _wait_for(indexed), "not every published article became searchable"
            assert client.count(index=settings.index_articles)["count"] == published

            result = run_search(
                client,
                settings.index_articles,
                SearchRequest(query="stroompanne", languages=("nl",), limit=5),
            )
            seed = next(h for h in result.hits if "actief verzet" in h.title)
            assert seed.language == "nl"
            people = set(seed.entities["person"])
            assert {"Nicolás Maduro", "Juan Guaidó", "Donald Trump", "Mike Pompeo"} <= people
            assert {"Venezuela", "Caracas"} <= set(seed.entities["location"])
            assert "politics" in seed.topics
            assert "Nicolás Maduro" in seed.actors

            def seed_alerts():
                client.indices.refresh(index=settings.index_alerts)
                _, alerts = search_alerts(client, settings.index_alerts, limit=500)
                return [a for a in alerts if "actief verzet" in a["title"]]

            alerts = _wait_for(lambda: len(seed_alerts()) >= 4 and seed_alerts(), 30)
            assert sorted(a["actor_id"] for a in alerts) == [
                "donald-trump",
                "juan-guaido",
                "mike-pompeo",
                "nicolas-maduro",
            ]

            maduro = run_search(client, settings.index_articles, SearchRequest(query="Maduro"))
            [story] = [h for h in maduro.hits if h.title.startswith("Guaidó rallies supporters")]
            assert story.copies == 3 and maduro.counts == "stories"
            assert {c["source"] for c in story.copy_list} == {
                "World Wire Service",
                "The Evening Post",
                "Daily Globe",
            }
            every_copy = run_search(
                client, settings.index_articles, SearchRequest(query="Maduro", collapse=False)
            )
            assert every_copy.total == maduro.articles > maduro.total
            assert [h.title.startswith("Guaidó rallies") for h in every_copy.hits].count(True) == 3

            _, every_alert = search_alerts(client, settings.index_alerts, limit=500)
            syndicated = [
                a
                for a in every_alert
                if a["title"].startswith("Guaidó rallies supporters")
                and a["actor_id"] == "juan-guaido"
            ]
            assert len(syndicated) == 1, "three copies of one story must alert once"
            assert not any("Madurodam" in a["title"] for a in every_alert)

            second = _poll(settings, feeds)
            assert second.published == 0
            assert second.not_modified == len(feeds)
    finally:
        server.shutdown()
        delete_index_layout(client, IndexLayout(settings.index_articles))
        client.indices.delete(index=settings.index_alerts, ignore_unavailable=True)
