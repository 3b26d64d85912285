"""New, updated or duplicate: the decision table."""

from __future__ import annotations

import pytest

from ingest.dedup import Known, decide

KNOWN = Known(content_hash="h1", feed_url="http://a/feed", text_len=1000)


@pytest.mark.parametrize(
    ("known", "content_hash", "feed_url", "text_len", "expected"),
    [
        (None, "h1", "http://a/feed", 1000, "new"),
        (KNOWN, "h1", "http://a/feed", 1000, "duplicate"),
        (KNOWN, "h1", "http://b/feed", 1000, "duplicate"),  # same URL in another feed
        (KNOWN, "h2", "http://a/feed", 900, "updated"),  # the owning feed changed it
        (KNOWN, "h2", "http://b/feed", 300, "duplicate"),  # another feed's summary
        (KNOWN, "h2", "http://b/feed", 2000, "updated"),  # another feed's fuller copy
    ],
)
def test_decide(known, content_hash, feed_url, text_len, expected):
    assert decide(known, content_hash=content_hash, feed_url=feed_url, text_len=text_len) == (
        expected
    )


WINDOW_START = 1_000_000.0


@pytest.mark.parametrize(
    ("known", "content_hash", "published", "expected"),
    [
        (None, "h1", WINDOW_START - 1, "expired"),  # older than the window: never new again
        (None, "h1", WINDOW_START + 1, "new"),
        (None, "h1", None, "new"),  # undated: dated when fetched
        (KNOWN, "h1", WINDOW_START - 1, "duplicate"),  # still known: a plain duplicate
        (KNOWN, "h2", WINDOW_START - 1, "expired"),  # an edit of an expired article
        (KNOWN, "h2", WINDOW_START + 1, "updated"),
    ],
)
def test_decide_at_the_edge_of_the_window(known, content_hash, published, expected):
    got = decide(
        known,
        content_hash=content_hash,
        feed_url="http://a/feed",
        text_len=1000,
        published=published,
        cutoff=WINDOW_START,
    )
    assert got == expected
