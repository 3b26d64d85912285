"""The service as a person uses it: `newsstream run` on the sample feeds, driven in
headless Chromium through search → article → alerts → feeds → problems, then
Ctrl-C (nothing left running) and a restart (nothing published twice).

Screenshots go to the folder printed at the start (kept after the run).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from elasticsearch import ApiError
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from contract.ids import article_id, content_hash, story_id
from contract.isolated import isolated_settings, settings_env
from contract.records import Article, Source, encode, utcnow_iso
from search.index_template import delete_index_layout
from search.layout import IndexLayout
from tests.conftest import ROOT, missing
from tests.workers import process_alive

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
INSTALL = "apt-get install -y chromium chromium-driver"
FIXTURES = ROOT / "seeds" / "feeds" / "fixtures"
SHOTS = Path(tempfile.gettempdir()) / "newsstream-browser-screenshots"
FEED_NAMES = (
    "De Dagkoerier",
    "World Wire Service",
    "The Evening Post",
    "El Diario Continental",
    "Nachrichten am Morgen",
    "Le Quotidien du Matin",
    "Daily Globe",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Service:
    """One `newsstream run` process on isolated topics, indices and state."""

    def __init__(self, settings, feeds: Path, serve_port: int, port: int, log: Path) -> None:
        self.settings, self.feeds, self.serve_port, self.port = settings, feeds, serve_port, port
        self.log = log
        self.url = f"http://localhost:{port}/"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = settings_env(self.settings)
        # Re-poll every few seconds, so a restart would show any duplicate publishing.
        env.update(NEWSSTREAM_MIN_INTERVAL="3", NEWSSTREAM_MAX_INTERVAL="6")
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "newsstream",
                    "run",
                    "--feeds",
                    str(self.feeds),
                    "--serve",
                    str(FIXTURES),
                    "--serve-port",
                    str(self.serve_port),
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait(
            lambda: "newsstream is running" in self.output() or self.proc.poll() is not None,
            180,
            "newsstream run to print its address",
        )
        assert self.proc.poll() is None, self.output()[-3000:]
        assert f"open {self.url}" in self.output()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def descendants(self) -> list[int]:
        assert self.proc is not None
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        out, todo = [], [self.proc.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                out.append(child)
                todo.append(child)
        return out

    def interrupt(self) -> list[int]:
        """Ctrl-C; returns the processes that ran under it."""
        assert self.proc is not None
        before = self.descendants()
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=120)
        return before


def _raw_ids(settings) -> list[str]:
    """The key of every committed record on the raw topic (markers are not records)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    keys: list[str] = []
    try:
        parts = [
            TopicPartition(settings.topic_raw, p)
            for p in consumer.partitions_for_topic(settings.topic_raw) or ()
        ]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            assert time.monotonic() < deadline, "could not read the raw topic"
            for batch in consumer.poll(timeout_ms=500).values():
                keys += [(m.key or b"").decode() for m in batch]
    finally:
        consumer.close()
    return keys


@pytest.fixture(scope="module")
def service(kafka_bootstrap, es_client, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    serve_port = _free_port()
    feeds = tmp / "feeds.yaml"
    feeds.write_text(
        (ROOT / "seeds" / "feeds" / "fixtures.yaml")
        .read_text()
        .replace("127.0.0.1:8765", f"127.0.0.1:{serve_port}")
    )
    settings = isolated_settings(
        uuid.uuid4().hex[:10],
        tmp / "data",
        prefix="w",
        allow_private_networks=True,
        bulk_interval=0.2,
    )
    run = Service(settings, feeds, serve_port, _free_port(), tmp / "run.log")
    run.start()
    try:

        def settled() -> bool:
            some = {"ignore_unavailable": True, "allow_no_indices": True}
            try:
                es_client.indices.refresh(index=settings.index_articles, **some)
                indexed = es_client.count(index=settings.index_articles, **some)["count"]
            except ApiError:  # shards of a new index still starting
                return False
            return indexed >= 15 and indexed == len(set(_raw_ids(settings)))

        _wait(settled, 180, "every published sample article to be searchable")
        yield run
    finally:
        if run.proc and run.proc.poll() is None:
            run.interrupt()
        print(f"\n`newsstream run` output:\n{run.output()[-2000:]}")
        delete_index_layout(es_client, IndexLayout(settings.index_articles))
        es_client.indices.delete(index=settings.index_alerts, ignore_unavailable=True)


@pytest.fixture(scope="module")
def browser(request):
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        missing(
            f"Chromium ({CHROMIUM}) and its driver ({CHROMEDRIVER}) are needed",
            f"install them with: {INSTALL}",
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    profile = tempfile.mkdtemp(prefix="newsstream-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:  # shown even when output is captured
        reporter.write_line(f"browser screenshots: {SHOTS}")
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _shot(driver, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def _all(driver, css: str):  # noqa: ANN202
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def _one(driver, css: str):  # noqa: ANN202
    found = _all(driver, css)
    assert found, f"nothing matches {css} on {driver.current_url}"
    return found[0]


def test_search_for_maduro_shows_four_languages_with_highlights(service, browser):
    browser.get(service.url)
    box = _one(browser, "input[name=q]")
    box.send_keys("Maduro")
    _one(browser, "form.search button[type=submit]").click()
    _wait(lambda: "q=Maduro" in browser.current_url, 10, "the search to be submitted")
    languages = {e.text.lower() for e in _all(browser, ".hit .lang")}
    assert {"nl", "es", "en", "de"} <= languages
    marked = [e.text for e in _all(browser, ".hit em")]
    assert marked and all(m.lower() == "maduro" for m in marked)
    assert re.match(r"\d+ stories \(\d+ articles\)", _one(browser, "#summary").text)
    story = [e for e in _all(browser, ".hit") if "Guaidó rallies" in _one(e, "h2").text]
    assert len(story) == 1, "the syndicated blackout story shows once"
    names = _one(story[0], "details.copies summary").text
    assert names.startswith("3 copies:")
    assert all(n in names for n in ("World Wire Service", "The Evening Post", "Daily Globe"))
    facet = {e.text for e in _all(browser, '[data-facet="language"] li a')}
    assert {"nl", "es", "en", "de"} <= facet
    _shot(browser, "1-search")
    browser.set_window_size(390, 844)
    _shot(browser, "1-search-phone")
    browser.set_window_size(1280, 1000)


def test_an_article_shows_its_entities_linked_to_searches(service, browser):
    browser.get(service.url + "?q=Maduro&lang=nl")
    _one(browser, ".hit h2 a").click()
    _wait(lambda: "/article/" in browser.current_url, 10, "the article page")
    assert "Maduro" in _one(browser, "article h1").text
    people = {e.text for e in _all(browser, '.entities[data-kind="person"] a')}
    assert "Nicolás Maduro" in people
    in_text = [e.text for e in _all(browser, ".text a.mark")]
    assert "Maduro" in in_text
    for label in ("published", "fetched", "indexed", "language"):
        assert label in _one(browser, "dl.facts").text
    _shot(browser, "2-article")
    _one(browser, '.entities[data-kind="location"] a').click()
    _wait(lambda: "entity=" in browser.current_url, 10, "a search on the entity")
    assert _all(browser, ".chip") and _all(browser, ".hit")


def test_alerts_arrive_live_with_the_matched_snippet(service, browser):
    browser.get(service.url + "watch")
    assert _all(browser, "#alerts li.alert"), "the history shows the sample feeds' alerts"
    _wait(
        lambda: _one(browser, "#live").get_attribute("data-state") == "live",
        15,
        "the live stream to connect",
    )
    url = f"https://breaking.example/{time.time_ns()}"
    title = "Guaidó calls for new protests in Caracas"
    text = (
        f"Opposition leader Juan Guaidó called on Venezuelans to march again. "
        f"Reporting {time.time_ns()}."
    )
    article = Article(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        published=utcnow_iso(),
        source=Source(name="Breaking Wire", feed_url="https://breaking.example/rss"),
        fetched_at=utcnow_iso(),
        story_id=story_id(title, text),
        content_hash=content_hash(title, text),
    )
    producer = KafkaProducer(bootstrap_servers=service.settings.kafka_bootstrap_servers)
    producer.send(service.settings.topic_raw, key=article.id.encode(), value=encode(article))
    producer.send(service.settings.topic_raw, key=b"poison", value=b"this is not json")
    producer.flush(30)
    producer.close()
    arrived = _wait(
        lambda: [e for e in _all(browser, "#alerts li.alert.new") if title in e.text],
        60,
        "the new alert on the page",
    )
    item = arrived[0]
    assert "Juan Guaidó" in item.text
    assert "matched “Juan Guaidó”" in _one(item, ".why").text
    assert _one(item, ".snippet mark").text
    assert int(_one(browser, "#arrived").text) >= 1
    _shot(browser, "3-alerts")


def test_save_as_alert_from_the_search_page_then_its_matches_listed(service, browser):
    browser.get(service.url + "?q=stroompannes+OR+apagones&lang=es")
    name = _one(browser, "form.save-alert input[name=name]")
    name.clear()
    name.send_keys("Apagones")
    _one(browser, "form.save-alert button[type=submit]").click()
    _wait(lambda: "/saved" in browser.current_url, 10, "the saved searches page")
    assert "Saved “Apagones”" in _one(browser, ".notice").text
    saved = _one(browser, '.saved-search[data-name="Apagones"]')
    assert "stroompannes OR apagones" in saved.text and "languages: es" in saved.text
    assert "No matches yet" in saved.text
    browser.get(service.url + "watch")
    _wait(
        lambda: _one(browser, "#live").get_attribute("data-state") == "live",
        15,
        "the live stream to connect",
    )
    url = f"https://diario.example/{time.time_ns()}"
    title, text = (
        "Nuevo apagón en Maracaibo",
        f"Otro apagón dejó sin luz a Zulia ({time.time_ns()}).",
    )
    article = Article(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        published=utcnow_iso(),
        source=Source(name="Diario Breve", feed_url="https://diario.example/rss"),
        fetched_at=utcnow_iso(),
        story_id=story_id(title, text),
        content_hash=content_hash(title, text),
        language_hint="es",
    )
    producer = KafkaProducer(bootstrap_servers=service.settings.kafka_bootstrap_servers)
    producer.send(service.settings.topic_raw, key=article.id.encode(), value=encode(article))
    producer.flush(30)
    producer.close()

    live = _wait(
        lambda: [e for e in _all(browser, "#alerts li.alert.new") if title in e.text],
        60,
        "the saved search's alert arriving live",
    )
    assert "saved search “Apagones”" in _one(live[0], '[data-f="actor"]').text
    assert "matched “apagón”" in _one(live[0], ".why").text

    def listed() -> bool:
        browser.get(service.url + "saved")
        items = _all(browser, '.saved-search[data-name="Apagones"] li.alert')
        return any(title in item.text for item in items)

    _wait(listed, 30, "the new story among the saved search's matches")
    item = _one(browser, '.saved-search[data-name="Apagones"] li.alert')
    assert "matched “apagón”" in _one(item, ".why").text
    _shot(browser, "6-saved-searches")
    bad = service.url + "?q=%22unclosed"
    browser.get(bad)
    _one(browser, "form.save-alert button[type=submit]").click()
    # the refusal is a new page: wait for it rather than read the old one
    errors = _wait(lambda: _all(browser, ".error"), 10, "the refusal's message")
    assert "quote is not closed" in errors[0].text


def test_feeds_page_shows_every_sample_feed_with_its_health(service, browser):
    browser.get(service.url + "feeds")
    rows = _all(browser, "tr.feed")
    names = {_one(r, "th a").text for r in rows}
    assert set(FEED_NAMES) <= names
    for row in rows:
        if _one(row, "th a").text in FEED_NAMES:
            assert _one(row, ".badge").text in {"ok", "silent"}
            assert "ago" in _one(row, '[data-label="last poll"]').text
    assert any("no new article for" in r.text for r in rows)
    _shot(browser, "4-feeds")
    browser.set_window_size(390, 844)
    assert _one(browser, "tr.feed .badge").is_displayed()
    _shot(browser, "4-feeds-phone")
    browser.set_window_size(1280, 1000)


def test_problems_page_shows_dead_letters_by_stage_and_reason(service, browser):
    def parked() -> bool:
        browser.get(service.url + "problems")
        return any("enrich" in r.text for r in _all(browser, "table.groups tbody tr"))

    _wait(parked, 60, "the poison record on the problems page")
    assert _all(browser, "li.problem")
    _shot(browser, "5-problems")


def test_the_status_lines_follow_the_pipeline_to_no_lag(service):
    pattern = (
        r"feeds polled 7 · new articles (\d+) · enriched (\d+) · indexed (\d+) · "
        r"recognised (\d+) · alerts (\d+) · lag 0"
    )

    def settled() -> list[tuple[int, ...]]:
        # Once the recognised versions are indexed too, the recogniser's second
        # version of an article is not counted as one more enriched article.
        return [
            counts
            for found in re.findall(pattern, service.output())
            if (counts := tuple(map(int, found)))[3] > 0 and counts[1] == counts[2]
        ]

    published, enriched, indexed, recognised, alerts = _wait(
        settled, 60, "a status line without lag, as many enriched as indexed, some recognised"
    )[-1]
    assert published >= 15 and enriched >= published and alerts > 0
    assert recognised <= indexed


def test_articles_in_a_language_with_a_model_get_the_statistical_names(service, es_client):
    settings = service.settings

    def recognised() -> list[dict]:
        es_client.indices.refresh(index=settings.index_articles)
        hits = es_client.search(
            index=settings.index_articles,
            size=50,
            query={"exists": {"field": "versions.recognition"}},
        )
        return [h["_source"] for h in hits["hits"]["hits"]]

    docs = _wait(
        lambda: [d for d in recognised() if d["language"]["code"] in ("en", "nl", "de", "fr")],
        60,
        "an en/nl/de/fr article read by the recogniser",
    )
    assert all(d["versions"]["recognition"] == f"crf/{d['language']['code']}-1.0.0" for d in docs)
    assert any(d["entity_count"] for d in docs)
    assert "started the poller" in service.output() and "1 recogniser" in service.output()
    recognisers = []
    for pid in service.descendants():
        try:
            if b"recognise" in Path(f"/proc/{pid}/cmdline").read_bytes():
                recognisers.append(pid)
        except OSError:
            continue
    # It runs below the fast path's priority: searchable first, statistical names after.
    assert recognisers and all(os.getpriority(os.PRIO_PROCESS, p) == 10 for p in recognisers)


def test_ctrl_c_stops_everything_and_a_restart_publishes_nothing_twice(service):
    published = _raw_ids(service.settings)
    assert len(published) == len(set(published)), "each article once on the raw topic"
    ran = service.interrupt()
    assert len(ran) >= 3, "the poller, a worker and the API ran under `newsstream run`"
    assert service.proc.returncode == 0, service.output()[-2000:]
    time.sleep(0.5)
    assert [pid for pid in ran if process_alive(pid)] == []
    assert "stopped; nothing left running" in service.output()

    service.start()
    time.sleep(15)  # several poll rounds over the same feeds
    again = service.interrupt()
    assert [pid for pid in again if process_alive(pid)] == []
    assert _raw_ids(service.settings) == published
