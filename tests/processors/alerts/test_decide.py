"""Candidate alerts: deterministic ids per actor and story, snippet, latency."""

from __future__ import annotations

from contract.ids import alert_id, article_id, story_id
from contract.records import (
    ActorMention,
    Article,
    EnrichedArticle,
    Language,
    Source,
)
from processors.alerts.decide import decide, make_snippet

TEXT = (
    "De regering van president Nicolas Maduro houdt de VS daarvoor verantwoordelijk en zegt "
    "dat het om een cyberaanval gaat. Maduro verbrak in januari de diplomatieke betrekkingen."
)


def enriched(url: str, *, raw_ms: int = 1_000_000, title: str = "Stroompanne") -> EnrichedArticle:
    article = Article(
        id=article_id(url),
        url=url,
        title=title,
        text=TEXT,
        published="2019-03-11T10:00:00Z",
        source=Source(name="Feed " + url[-1], feed_url=url + "/rss"),
        fetched_at="2019-03-11T10:00:05Z",
        story_id=story_id(title, TEXT),
    )
    return EnrichedArticle(
        article=article,
        language=Language("nl", 0.99),
        entities=[],
        topics=[],
        versions={},
        enriched_at="2019-03-11T10:00:06Z",
        raw_timestamp_ms=raw_ms,
    )


MADURO = ActorMention(
    actor_id="nicolas-maduro",
    name="Nicolás Maduro",
    kind="person",
    matched_text="Nicolas Maduro",
    field="text",
    start=26,
    end=40,
    count=2,
)


def test_alert_carries_article_and_actor():
    item = enriched("https://a.example/1")
    [alert] = decide(item, [MADURO], now_ms=1_000_450)
    assert alert.id == alert_id("nicolas-maduro", item.article.story_id)
    assert (alert.actor_id, alert.actor_name, alert.actor_kind) == (
        "nicolas-maduro",
        "Nicolás Maduro",
        "person",
    )
    assert (alert.article_id, alert.title, alert.url) == (
        item.article.id,
        "Stroompanne",
        "https://a.example/1",
    )
    assert (alert.source, alert.language, alert.published) == (
        "Feed 1",
        "nl",
        "2019-03-11T10:00:00Z",
    )
    assert alert.matched_text == "Nicolas Maduro"
    assert "president Nicolas Maduro houdt" in alert.snippet
    assert alert.latency_ms == 450
    assert alert.alerted_at == "1970-01-01T00:16:40.450Z"


def test_syndicated_copies_and_replays_share_the_alert_id():
    copies = [enriched(f"https://feed{i}.example/x{i}") for i in range(3)]
    ids = {decide(c, [MADURO], now_ms=2_000_000)[0].id for c in copies}
    ids.add(decide(copies[0], [MADURO], now_ms=9_000_000)[0].id)  # a replay, much later
    assert len(ids) == 1
    other_story = enriched("https://feed1.example/y", title="Andere kop")
    assert decide(other_story, [MADURO], now_ms=1)[0].id not in ids


def test_story_id_is_computed_when_missing():
    item = enriched("https://a.example/1")
    expected = decide(item, [MADURO], now_ms=1)[0].id
    item.article.story_id = ""
    assert decide(item, [MADURO], now_ms=1)[0].id == expected


def test_latency_falls_back_to_the_enriched_timestamp():
    item = enriched("https://a.example/1", raw_ms=0)
    [alert] = decide(item, [MADURO], now_ms=5_000, fallback_timestamp_ms=4_000)
    assert (alert.raw_timestamp_ms, alert.latency_ms) == (4_000, 1_000)
    [alert] = decide(item, [MADURO], now_ms=5_000)
    assert alert.latency_ms == -1  # unknown, not zero


def test_no_mentions_no_alerts():
    assert decide(enriched("https://a.example/1"), [], now_ms=1) == []


def test_snippet_cuts_at_spaces_with_ellipses():
    text = "word " * 60 + "Maduro" + " tail" * 60
    start = text.index("Maduro")
    snippet = make_snippet(text, start, start + 6, context=20)
    assert snippet.startswith("…word") and snippet.endswith("tail…")
    assert "Maduro" in snippet and len(snippet) <= 60
    assert make_snippet("Maduro zei", 0, 6) == "Maduro zei"
