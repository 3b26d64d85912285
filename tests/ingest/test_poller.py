"""Poll cycles over the local server, with the publisher replaced by a recorder."""

from __future__ import annotations

import json

import pytest

from ingest.feedlist import Feed
from ingest.metrics import Metrics
from ingest.poller import Poller
from tests.ingest.conftest import FIXTURE_ARTICLES, RecordingPublisher, fixture_feeds
from tests.ingest.test_parse import BILLION_LAUGHS


def make_poller(settings, publisher):
    return Poller(settings, publisher=publisher, metrics=Metrics(), jitter=lambda: 0.5)


def sent_ids(publisher):
    return [item.id for item in publisher.sent]


def metric(poller, name, **labels):
    return poller.metrics.registry.get_sample_value(name, labels or None) or 0


async def test_each_distinct_article_once_then_304s_and_nothing_new(server, fast):
    publisher = RecordingPublisher()
    poller = make_poller(fast, publisher)
    feeds = fixture_feeds(server)
    try:
        first = await poller.run_cycle(feeds)
        second = await poller.run_cycle(feeds)
    finally:
        await poller.aclose()
    ids = sent_ids(publisher)
    assert len(ids) == len(set(ids)) == FIXTURE_ARTICLES
    assert first.results["ok"] == len(feeds) and first.items["duplicate"] == 1
    assert second.not_modified == len(feeds) and second.published == 0
    articles = [json.loads(item.payload) for item in publisher.sent]
    assert {a["language_hint"] for a in articles} == {"nl", "en", "es", "de", "fr"}
    assert metric(poller, "newsstream_ingest_not_modified_total") == len(feeds)
    assert metric(poller, "newsstream_ingest_items_total", disposition="new") == FIXTURE_ARTICLES


async def test_seed_article_arrives_whole(server, fast):
    publisher = RecordingPublisher()
    poller = make_poller(fast, publisher)
    try:
        await poller.run_cycle(fixture_feeds(server, ["dagkoerier.rss"]))
    finally:
        await poller.aclose()
    articles = {a["title"]: a for a in (json.loads(i.payload) for i in publisher.sent)}
    seed = articles["Maduro roept aanhangers op tot 'actief verzet'"]
    assert seed["published"].startswith("2019-03-12") and seed["published_from"] == "feed"
    assert "Juan Guaidó" in seed["text"] and "Caracas" in seed["text"]
    assert "VS trekken resterende diplomaten uit Venezuela terug" in seed["text"]


async def test_validators_and_dedup_survive_a_restart(server, fast):
    feeds = fixture_feeds(server)
    first = RecordingPublisher()
    poller = make_poller(fast, first)
    await poller.run_cycle(feeds)
    await poller.aclose()

    # the server forgets nothing, but the ETags are dropped for half the feeds:
    server.files["dagkoerier.rss"] += b"\n"  # same articles, new ETag
    second = RecordingPublisher()
    poller = make_poller(fast, second)
    try:
        report = await poller.run_cycle(feeds)
    finally:
        await poller.aclose()
    assert report.not_modified == len(feeds) - 1  # validators persisted
    assert report.items["duplicate"] == 3 and second.sent == []  # dedup persisted
    assert server.hits("/feeds/worldwire.rss")[-1].get("If-None-Match")


async def test_bad_feeds_are_reported_and_do_not_stop_the_others(server, fast):
    server.raw["laughs.rss"] = ("application/rss+xml", BILLION_LAUGHS)
    server.raw["garbage"] = ("application/rss+xml", bytes(range(256)) * 20)
    server.raw["latin1.rss"] = (
        "text/xml; charset=utf-8",
        (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Noticias'
            "</title><item><title>Pedro Sánchez en León</title><link>https://x.example/leon</link>"
            "</item></channel></rss>"
        ).encode("latin-1"),
    )
    bad = [
        server.url(p)
        for p in (
            "/status/404",
            "/status/500",
            "/hang",
            "/slow",
            "/endless",
            "/loop",
            "/raw/garbage",
        )
    ]
    good = fixture_feeds(server, ["quotidien.atom"])
    odd = [Feed(url=server.url("/raw/laughs.rss")), Feed(url=server.url("/raw/latin1.rss"))]
    publisher = RecordingPublisher()
    poller = make_poller(fast, publisher)
    try:
        report = await poller.run_cycle([Feed(url=u) for u in bad] + good + odd)
        status = {f.url: f for f in poller.state.feeds()}
    finally:
        await poller.aclose()
    assert report.results["ok"] == 3 and report.errors == len(bad)
    assert report.problems == 2  # entities removed, encoding overridden
    titles = {json.loads(i.payload)["title"] for i in publisher.sent}
    assert "Pedro Sánchez en León" in titles
    assert "Still readable &ext;" in titles  # the external entity is left unexpanded
    assert len(titles) == 5
    kinds = {url.rsplit("/", 1)[1]: status[url].last_result for url in bad}
    assert kinds == {
        "404": "error:http_404",
        "500": "error:http_500",
        "hang": "error:timeout",
        "slow": "error:timeout",
        "endless": "error:too_large",
        "loop": "error:redirects",
        "garbage": "error:parse",
    }
    assert all(status[u].error_streak == 1 and status[u].next_poll for u in bad)
    assert metric(poller, "newsstream_ingest_feed_errors_total", kind="timeout") == 2


async def test_error_streak_grows_and_backs_off_then_resets(server, fast):
    feed = Feed(url=server.url("/feeds/late.rss"))
    poller = make_poller(fast, RecordingPublisher())
    try:
        await poller.run_cycle([feed])
        await poller.run_cycle([feed])
        failing = poller.state.feed(feed.url)
        server.files["late.rss"] = server.files["worldwire.rss"]
        await poller.run_cycle([feed])
        healthy = poller.state.feed(feed.url)
    finally:
        await poller.aclose()
    assert (failing.error_streak, failing.last_status, failing.schedule_reason) == (
        2,
        404,
        "backoff",
    )
    assert failing.interval == 0.75 * 2 * fast.min_interval  # jitter 0.5 -> factor 0.75
    assert (healthy.error_streak, healthy.last_result) == (0, "ok")


async def test_updated_entry_is_republished_with_the_same_key(server, fast):
    feeds = fixture_feeds(server, ["worldwire.rss"])
    publisher = RecordingPublisher()
    poller = make_poller(fast, publisher)
    try:
        await poller.run_cycle(feeds)
        server.files["worldwire.rss"] = server.files["worldwire.rss"].replace(
            b"by 391 votes to 242", b"by 391 votes to 242 (corrected)"
        )
        report = await poller.run_cycle(feeds)
    finally:
        await poller.aclose()
    assert (report.items["updated"], report.items["duplicate"]) == (1, 2)
    first, update = publisher.sent[1], publisher.sent[-1]
    assert update.id == first.id and update.disposition == "updated"
    assert "(corrected)" in json.loads(update.payload)["text"]


SUMMARY_COPY = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Briefs</title><id>urn:briefs</id>
<updated>2019-03-13T00:00:00Z</updated><entry>
<title>MPs reject Theresa May's Brexit deal for a second time</title>
<link href="https://worldwire.example/europe/2019/03/12/brexit-deal-defeated-again?utm_source=x"/>
<id>urn:briefs:1</id><updated>2019-03-12T20:00:00Z</updated>
<summary>The House of Commons has rejected the deal again.</summary></entry></feed>"""


@pytest.mark.parametrize("summary_first", [True, False])
async def test_same_url_in_two_feeds_ends_with_the_fuller_text(server, fast, summary_first):
    server.files["briefs.atom"] = SUMMARY_COPY
    order = ["briefs.atom", "worldwire.rss"] if summary_first else ["worldwire.rss", "briefs.atom"]
    publisher = RecordingPublisher()
    poller = make_poller(fast, publisher)
    try:
        for _ in range(2):  # the second round with new ETags: no flip-flopping
            for name in order:
                server.files[name] += b" "
                await poller.run_cycle(fixture_feeds(server, [name]))
    finally:
        await poller.aclose()
    brexit = [
        json.loads(i.payload)
        for i in publisher.sent
        if "Brexit deal" in json.loads(i.payload)["title"]
    ]
    assert len({b["id"] for b in brexit}) == 1
    assert len(brexit) == (2 if summary_first else 1)
    assert "Geoffrey Cox" in brexit[-1]["text"]


async def test_kafka_down_keeps_articles_pending_until_it_returns(server, fast):
    feeds = fixture_feeds(server)
    publisher = RecordingPublisher()
    publisher.down = True
    poller = make_poller(fast, publisher)
    try:
        down = await poller.run_cycle(feeds)
        assert down.pending == FIXTURE_ARTICLES and down.published == 0
        assert poller.state.seen_count() == 0
    finally:
        await poller.aclose()

    # a restart with Kafka back: the feeds answer 304, the outbox still publishes everything
    publisher.down = False
    poller = make_poller(fast, publisher)
    try:
        up = await poller.run_cycle(feeds)
        assert poller.state.seen_count() == FIXTURE_ARTICLES
    finally:
        await poller.aclose()
    assert up.not_modified == len(feeds)
    assert up.published == FIXTURE_ARTICLES and up.pending == 0
    ids = sent_ids(publisher)
    assert len(ids) == len(set(ids)) == FIXTURE_ARTICLES


async def test_a_commit_whose_answer_was_lost_is_settled_not_sent_again(server, fast):
    feeds = fixture_feeds(server)
    publisher = RecordingPublisher()
    publisher.lose_answer = True  # Kafka commits the first batch; the poller hears an error
    poller = make_poller(fast, publisher)
    try:
        first = await poller.run_cycle(feeds)
        assert poller.state.open_batch() is None and poller.state.seen_count() == FIXTURE_ARTICLES
    finally:
        await poller.aclose()
    assert first.published == FIXTURE_ARTICLES and first.pending == 0
    ids = sent_ids(publisher)
    assert len(ids) == len(set(ids)) == FIXTURE_ARTICLES


async def test_schedule_is_stored_before_the_fetch(server, fast):
    feed = Feed(url=server.url("/hang"))
    poller = make_poller(fast, RecordingPublisher())
    seen_next_poll = []
    original = poller.fetcher.fetch

    async def spy(url, **kw):
        seen_next_poll.append(poller.state.feed(url).next_poll)
        return await original(url, **kw)

    poller.fetcher.fetch = spy
    try:
        await poller.run_cycle([feed])
    finally:
        await poller.aclose()
    assert seen_next_poll[0] is not None


@pytest.mark.parametrize("due_only", [True, False])
async def test_due_only_skips_feeds_not_yet_due(server, fast, due_only):
    feeds = fixture_feeds(server, ["quotidien.atom"])
    poller = make_poller(fast, RecordingPublisher())
    try:
        await poller.run_cycle(feeds)
        report = await poller.run_cycle(feeds, due_only=due_only)
    finally:
        await poller.aclose()
    assert report.feeds == (0 if due_only else 1)


async def test_run_forever_polls_due_feeds_until_stopped(server, fast):
    import asyncio

    feeds = fixture_feeds(server, ["quotidien.atom", "worldwire.rss"])
    publisher = RecordingPublisher()
    poller = make_poller(fast, publisher)
    stop = asyncio.Event()
    loop = asyncio.create_task(poller.run_forever(feeds, stop, tick=0.05))
    try:
        for _ in range(200):  # wait (at most 10 s) for both feeds to be polled and published
            if len(publisher.sent) == 6:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await loop
        states = poller.state.feeds()
        await poller.aclose()
    assert len(publisher.sent) == 6
    # polled once each: the next poll is scheduled minutes away, not re-polled every tick
    assert len(server.hits("/feeds/quotidien.atom")) == 1
    assert all(s.next_poll - s.last_poll >= fast.min_interval for s in states)


def test_metrics_are_served_over_http(fast):
    import socket
    import urllib.request

    from ingest.metrics import Metrics, serve

    metrics = Metrics()
    metrics.feeds_polled.labels("ok").inc(3)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve(metrics, port)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        body = urllib.request.urlopen(url, timeout=5).read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'newsstream_ingest_feeds_polled_total{result="ok"} 3.0' in body
    assert "newsstream_ingest_publish_latency_seconds_bucket" in body


async def test_rss_ttl_is_remembered_for_304_answers(server, fast):
    import dataclasses

    relaxed = dataclasses.replace(fast, min_interval=60)
    feeds = fixture_feeds(server, ["worldwire.rss"])  # <ttl>30</ttl>, entries from 2019
    poller = make_poller(relaxed, RecordingPublisher())
    try:
        await poller.run_cycle(feeds)
        after_200 = poller.state.feed(feeds[0].url)
        await poller.run_cycle(feeds)
        after_304 = poller.state.feed(feeds[0].url)
    finally:
        await poller.aclose()
    assert after_200.ttl_minutes == after_304.ttl_minutes == 30
    assert after_304.last_result == "not_modified"


async def test_an_unexpected_error_in_one_feed_does_not_stop_the_cycle(server, fast, monkeypatch):
    import ingest.poller as poller_module

    real = poller_module.parse_feed

    def flaky(body, *, url, content_type=""):
        if "worldwire" in url:
            raise RuntimeError("boom")
        return real(body, url=url, content_type=content_type)

    monkeypatch.setattr(poller_module, "parse_feed", flaky)
    poller = make_poller(fast, RecordingPublisher())
    try:
        report = await poller.run_cycle(fixture_feeds(server, ["worldwire.rss", "quotidien.atom"]))
    finally:
        await poller.aclose()
    assert report.results == {"ok": 1, "error:internal": 1}
