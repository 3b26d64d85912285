"""Feed entries become clean articles with stable ids and UTC times."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser

from contract import ids
from ingest.feedlist import Feed
from ingest.normalise import html_to_text, normalise

FETCHED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FEED = Feed(
    url="https://news.example/feed.xml", name="Example News", language="nl-NL", tags=("nl",)
)


def entry(item_xml: str):
    doc = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>'
        f"<link>https://news.example/</link>{item_xml}</channel></rss>"
    )
    return feedparser.parse(doc.encode("utf-8")).entries[0]


def test_html_becomes_readable_text():
    html = (
        "<div><h2>Kop</h2><p>Caf&eacute; &amp; bar   in\n Den Haag.</p>"
        "<script>alert(1)</script><style>p{}</style><p>Tweede<br>regel &#8364;5</p></div>"
    )
    assert html_to_text(html) == "Kop\n\nCafé & bar in Den Haag.\n\nTweede\n\nregel €5"


def test_fullest_content_wins_and_metadata_is_kept():
    a = normalise(
        entry(
            "<item><title>Guaid&#243; &lt;b&gt;spreekt&lt;/b&gt;</title>"
            "<link>https://www.news.example/a/1?utm_source=rss&amp;id=7#top</link>"
            "<guid>g-1</guid><pubDate>Tue, 12 Mar 2019 06:15:00 +0100</pubDate>"
            "<author>jan@news.example (Jan Jansen)</author><category>Buitenland</category>"
            "<description>Kort.</description>"
            "<content:encoded><![CDATA[<p>Lange tekst over Caracas.</p><p>Meer.</p>]]>"
            "</content:encoded></item>"
        ),
        feed=FEED,
        fetched=FETCHED,
    )
    assert a.title == "Guaidó spreekt"
    assert a.text == "Lange tekst over Caracas.\n\nMeer."
    assert a.id == ids.article_id("https://news.example/a/1?id=7")
    assert a.published == "2019-03-12T05:15:00Z" and a.published_from == "feed"
    assert a.categories == ["Buitenland"] and a.authors
    assert a.language_hint == "nl"
    assert (a.source.name, a.source.feed_url, a.source.tags) == ("Example News", FEED.url, ["nl"])
    assert a.content_hash == ids.content_hash(a.title, a.text)
    assert a.story_id == ids.story_id(a.title, a.text)
    assert a.fetched_at == "2026-03-01T12:00:00Z"


def test_tracking_parameters_do_not_change_the_id():
    a = normalise(
        entry("<item><title>x</title><link>https://news.example/s?utm_medium=x</link></item>"),
        feed=FEED,
        fetched=FETCHED,
    )
    b = normalise(
        entry("<item><title>x</title><link>http://www.news.example/s</link></item>"),
        feed=FEED,
        fetched=FETCHED,
    )
    assert a.id == b.id


def test_missing_or_bad_date_falls_back_to_fetch_time_and_says_so():
    for item in (
        "<item><title>a</title><link>https://news.example/1</link></item>",
        "<item><title>a</title><link>https://news.example/1</link>"
        "<pubDate>not a date at all</pubDate></item>",
        "<item><title>a</title><link>https://news.example/1</link>"
        "<pubDate>Sun, 01 Jan 2090 00:00:00 GMT</pubDate></item>",  # far future
    ):
        a = normalise(entry(item), feed=FEED, fetched=FETCHED)
        assert (a.published, a.published_from) == ("2026-03-01T12:00:00Z", "fetched")


def test_entry_without_link_uses_guid_scoped_by_feed():
    item = '<item><title>a</title><guid isPermaLink="false">abc</guid></item>'
    a = normalise(entry(item), feed=FEED, fetched=FETCHED)
    b = normalise(entry(item), feed=Feed(url="https://other.example/rss"), fetched=FETCHED)
    assert a.url == "" and a.id == ids.article_id(None, "abc", FEED.url) and a.id != b.id


def test_entry_without_link_or_guid_still_gets_a_stable_id():
    item = "<item><title>Alleen een titel</title><description>En tekst.</description></item>"
    first = normalise(entry(item), feed=FEED, fetched=FETCHED)
    again = normalise(entry(item), feed=FEED, fetched=datetime(2026, 3, 2, tzinfo=UTC))
    assert first.id == again.id


def test_entry_without_anything_is_refused():
    try:
        normalise(
            entry("<item><link>https://news.example/x</link></item>"), feed=FEED, fetched=FETCHED
        )
    except ValueError:
        return
    raise AssertionError("an empty entry must not become an article")


def test_story_id_of_a_long_article_is_the_story_id_of_its_text():
    from ingest.normalise import story_prefix

    text = " ".join(f"Wört{i}, é" for i in range(3000))
    assert len(story_prefix(text)) < len(text)
    assert ids.story_id("T", story_prefix(text)) == ids.story_id("T", text)
    assert story_prefix("short text") == "short text"


def test_fast_article_encoding_matches_the_dataclass_encoding():
    import json
    from dataclasses import asdict

    from contract.records import decode_article, encode

    a = normalise(
        entry(
            "<item><title>Caf&#233;</title><link>https://news.example/c</link>"
            "<category>x</category></item>"
        ),
        feed=FEED,
        fetched=FETCHED,
    )
    slow = json.dumps(asdict(a), ensure_ascii=False, separators=(",", ":")).encode()
    assert encode(a) == slow
    assert decode_article(encode(a)) == a
