"""Saved searches end to end: feeds polled into Kafka, a real worker, real Elasticsearch.

Four feeds carry one story each about Venezuela's power cut, in Dutch,
Spanish, German and English, and a fifth carries the English one again;
each feed also has an unrelated article. Searches saved with the CLI before
the poll raise one alert per story, the English one with its copy counted;
a second poll, a worker restart and a replay of every article raise nothing
new.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest
from typer.testing import CliRunner

from contract.isolated import isolated_settings, settings_env
from contract.kafka_admin import ensure_topics
from ingest.feedlist import Feed
from ingest.poller import Poller
from ingest.serve import make_server
from newsstream.cli import app
from newsstream.workers import running_worker
from search.index_template import delete_index_layout
from search.layout import IndexLayout
from search.provision import provision
from search.saved_searches import searches_index
from tests.processors.alerts.support import TopicReader

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]

runner = CliRunner()

STORIES = {
    "nl": (
        "Stroompanne legt Venezuela plat",
        "Een grote stroompanne heeft het grootste deel van Venezuela zonder elektriciteit "
        "gelaten. Ziekenhuizen in Caracas werken op noodaggregaten.",
    ),
    "es": (
        "Un apagón deja a oscuras a Venezuela",
        "Un apagón masivo dejó sin electricidad a gran parte de Venezuela. El presidente "
        "Nicolás Maduro culpó a un sabotaje desde Washington.",
    ),
    "de": (
        "Stromausfall legt Venezuela lahm",
        "Ein massiver Stromausfall hat große Teile Venezuelas lahmgelegt. In Caracas "
        "fielen Krankenhäuser und die U-Bahn aus.",
    ),
    "en": (
        "Venezuela blackout leaves millions without power",
        "A nationwide blackout has left most of Venezuela without electricity. President "
        "Nicolás Maduro blamed sabotage for the failure of the grid.",
    ),
}
UNRELATED = {
    "nl": ("Ajax wint opnieuw in Amsterdam", "De Amsterdamse club won zondag met 3-0."),
    "es": ("El Real Madrid gana la liga", "El equipo celebró el título en la capital."),
    "de": ("Bundestag berät über Haushalt", "Die Abgeordneten debattierten am Mittwoch."),
    "en": ("Bank of England holds interest rates", "The central bank kept rates unchanged."),
}
FEEDS = {  # file -> (name, language, the power-cut story's URL)
    "nl.rss": ("Het Dagblad", "nl", "https://dagblad.example/stroompanne"),
    "es.rss": ("El Diario", "es", "https://eldiario.example/apagon"),
    "de.rss": ("Die Zeitung", "de", "https://zeitung.example/stromausfall"),
    "en1.rss": ("The Courier", "en", "https://courier.example/blackout"),
    "en2.rss": ("The Herald", "en", "https://herald.example/world/blackout"),
}


def _rss(name: str, language: str, url: str, extra: list[tuple[str, str, str]]) -> str:
    story = (*STORIES[language], url)
    other = (*UNRELATED[language], url.rsplit("/", 1)[0] + "/other-" + name.split()[-1].lower())
    items = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Tue, 12 Mar 2019 14:0{i}:00 +0000</pubDate>"
        f"<description>{text}</description></item>"
        for i, (title, text, link) in enumerate([story, other, *extra])
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>https://example.org/</link>"
        f"<description>{name}</description><language>{language}</language>"
        f"{items}</channel></rss>"
    )


def _poll(settings, feeds):
    async def cycle():
        poller = Poller(settings)
        try:
            return await poller.run_cycle(feeds)
        finally:
            await poller.aclose()

    return asyncio.run(cycle())


def _cli(settings, *args: str) -> str:
    result = runner.invoke(app, list(args), env=settings_env(settings))
    assert result.exit_code == 0, result.output
    return result.stdout


def _saved(records, name):
    return [r for r in records if r.get("saved_search") == name]


def test_saved_searches_alert_once_per_story_in_every_language(
    kafka_bootstrap, es_client, unique, tmp_path
):
    settings = isolated_settings(
        unique, tmp_path / "data", allow_private_networks=True, bulk_interval=0.2
    )
    ensure_topics(settings)
    provision(es_client, settings)
    served = tmp_path / "feeds"
    served.mkdir()
    for file, (name, language, url) in FEEDS.items():
        (served / file).write_text(_rss(name, language, url, []), encoding="utf-8")
    server = make_server(served, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    feeds = [
        Feed(url=f"{base}/{file}", name=name, language=language)
        for file, (name, language, _) in FEEDS.items()
    ]
    alerts = TopicReader(kafka_bootstrap, settings.topic_alerts)
    power = "power cuts"
    try:
        _cli(
            settings,
            "searches",
            "add",
            power,
            "stroompannes OR apagones OR Stromausfälle OR blackouts",
        )
        _cli(settings, "searches", "add", "maduro in spanish", "Maduro", "--lang", "es")
        with running_worker(settings, log_path=tmp_path / "worker.log"):
            first = _poll(settings, feeds)
            assert first.errors == 0 and first.published == 10

            records = alerts.wait_for(
                lambda rs: len(_saved(rs, power)) >= 4 and _saved(rs, "maduro in spanish"),
                what="saved-search alerts",
            )

            def english_copies() -> int:
                es_client.indices.refresh(index=settings.index_alerts)
                found = es_client.search(
                    index=settings.index_alerts,
                    query={"term": {"saved_search": power}},
                    size=20,
                )
                by_language = {
                    h["_source"]["language"]: h["_source"] for h in found["hits"]["hits"]
                }
                return int(by_language.get("en", {}).get("copies") or 1)

            deadline = time.monotonic() + 30
            while english_copies() < 2 and time.monotonic() < deadline:
                time.sleep(0.3)
            assert english_copies() == 2

            second = _poll(settings, feeds)
            assert second.published == 0

        # A restart, then every article again (a fresh poller state replays them all),
        # then a new Dutch story: its alert is the only new one.
        replay = isolated_settings(
            unique, tmp_path / "replay", allow_private_networks=True, bulk_interval=0.2
        )
        (served / "nl.rss").write_text(
            _rss(
                *FEEDS["nl.rss"],
                [
                    (
                        "Opnieuw stroompannes in Zulia",
                        "Zulia zit weer zonder stroom.",
                        "https://dagblad.example/zulia",
                    )
                ],
            ),
            encoding="utf-8",
        )
        with running_worker(settings, log_path=tmp_path / "worker2.log"):
            assert _poll(replay, feeds).published == 11
            alerts.wait_for(
                lambda rs: any("Zulia" in r["title"] for r in _saved(rs, power)),
                what="the new story's alert",
            )
            time.sleep(3)  # the replayed articles were polled before it; let stragglers show
        records = alerts.snapshot()
    finally:
        server.shutdown()
        alerts.close()
        delete_index_layout(es_client, IndexLayout(settings.index_articles))
        for index in (settings.index_alerts, searches_index(settings.index_alerts)):
            es_client.indices.delete(index=index, ignore_unavailable=True)

    power_alerts = _saved(records, power)
    assert Counter(r["id"] for r in records).most_common(1)[0][1] == 1, "an alert went out twice"
    assert sorted(r["language"] for r in power_alerts) == ["de", "en", "es", "nl", "nl"]
    assert {r["title"] for r in power_alerts} == {
        *(title for title, _ in STORIES.values()),
        "Opnieuw stroompannes in Zulia",
    }
    words = {r["language"]: r["highlights"] for r in power_alerts if "Zulia" not in r["title"]}
    assert "apagón" in words["es"] and "Stromausfall" in words["de"]
    assert "Stroompanne" in words["nl"] and "blackout" in words["en"]
    [maduro] = _saved(records, "maduro in spanish")
    assert maduro["language"] == "es" and maduro["highlights"] == ["Maduro"]
