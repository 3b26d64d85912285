"""The silent-feed rule, case by case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.state import FeedState
from search.feedhealth import FeedArticles, feed_health, silence

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def _feed(total: int, every: timedelta, newest_ago: timedelta) -> FeedArticles:
    newest = NOW - newest_ago
    return FeedArticles(total=total, oldest=newest - every * (total - 1), newest=newest)


@pytest.mark.parametrize(
    ("articles", "silent"),
    [
        (FeedArticles(), False),  # nothing indexed: no rhythm to compare with
        (_feed(1, timedelta(hours=1), timedelta(days=30)), False),  # one article: no rhythm
        (_feed(50, timedelta(hours=1), timedelta(hours=3)), False),  # hourly, 3 h: a quiet spell
        (_feed(50, timedelta(hours=1), timedelta(hours=13)), True),  # hourly, 13 h: silent
        (_feed(50, timedelta(days=1), timedelta(days=3)), False),  # daily, 3 days: within 4 gaps
        (_feed(50, timedelta(days=1), timedelta(days=5)), True),  # daily, 5 days: silent
        (_feed(10, timedelta(days=7), timedelta(days=20)), False),  # weekly, 20 days: fine
    ],
)
def test_silence(articles, silent):
    reason = silence(articles, NOW)
    assert bool(reason) is silent
    if silent:
        assert reason.startswith("no new article for")


def test_rows_cover_listed_and_polled_feeds_trouble_first():
    states = [
        FeedState(url="https://a.test/rss", last_poll=1.0),
        FeedState(url="https://b.test/rss", last_poll=1.0, error_streak=2),
    ]
    rows = feed_health(states, {}, {"https://c.test/rss": "Never polled"}, NOW)
    assert [(r.url, r.status) for r in rows] == [
        ("https://b.test/rss", "failing"),
        ("https://c.test/rss", "waiting"),
        ("https://a.test/rss", "ok"),
    ]
