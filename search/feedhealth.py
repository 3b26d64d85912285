"""Every feed's health: the poller's view joined with what reached the index.

How the API learns the poller's state: ``ingest.state.read_feed_states``
reads the poller's sqlite file (``ingest.sqlite3`` in ``NEWSSTREAM_DATA_DIR``)
read-only. There is one
poller per installation (workers scale out, the poller does not need to), it
commits every feed's state in short WAL transactions, and WAL lets any number
of readers look at the last committed state without blocking it. So the API
must share the poller's data directory: the same machine (``newsstream run``
does this) or a shared volume (docker-compose). What arrived downstream
(articles, their rhythm, the delay from publication to searchable) comes from
Elasticsearch, grouped by feed.

A feed is *silent* when its newest article is much older than its usual
rhythm: :func:`silence` is the whole rule, a pure function with a table test.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.state import FeedState

#: Silent when the newest article is older than this many usual gaps ...
SILENT_FACTOR = 4.0
#: ... and older than this, so an hourly feed is not flagged after a quiet lunch.
SILENT_MINIMUM = timedelta(hours=12)


@dataclass(frozen=True)
class FeedArticles:
    """What the index holds for one feed."""

    total: int = 0
    last_week: int = 0
    oldest: datetime | None = None
    newest: datetime | None = None
    median_delay_s: float | None = None

    @property
    def usual_gap(self) -> timedelta | None:
        """The average time between two articles of this feed."""
        if self.total < 2 or not self.oldest or not self.newest:
            return None
        return (self.newest - self.oldest) / (self.total - 1)


def silence(
    articles: FeedArticles,
    now: datetime,
    *,
    factor: float = SILENT_FACTOR,
    minimum: timedelta = SILENT_MINIMUM,
) -> str:
    """Why the feed counts as silent, or '' when it does not."""
    gap = articles.usual_gap
    if gap is None or articles.newest is None:
        return ""
    quiet = now - articles.newest
    if quiet <= minimum or quiet <= gap * factor:
        return ""
    return f"no new article for {_span(quiet)}; usually one every {_span(gap)}"


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = round(seconds / size)
            return f"{amount} {unit}{'s' if amount != 1 else ''}"
    return f"{round(seconds)} seconds"


#: The median delay is taken over each feed's latest articles (no scripting needed).
DELAY_SAMPLE = 25


def articles_query() -> dict[str, Any]:
    """One aggregation: per feed URL, counts, first/last publication, latest arrivals."""
    return {
        "size": 0,
        "aggs": {
            "feeds": {
                "terms": {"field": "source.feed_url", "size": 2000},
                "aggs": {
                    "oldest": {"min": {"field": "@timestamp"}},
                    "newest": {"max": {"field": "@timestamp"}},
                    "week": {"filter": {"range": {"@timestamp": {"gte": "now-7d"}}}},
                    "latest": {
                        "top_hits": {
                            "size": DELAY_SAMPLE,
                            "sort": [{"indexed_at": {"order": "desc"}}],
                            "_source": {"includes": ["@timestamp", "indexed_at"]},
                        }
                    },
                },
            }
        },
    }


def _when(millis: float | None) -> datetime | None:
    return None if millis is None else datetime.fromtimestamp(millis / 1000, UTC)


def median_delay(sources: list[dict[str, Any]]) -> float | None:
    """Median seconds from ``@timestamp`` (published) to ``indexed_at``."""
    delays = []
    for src in sources:
        try:
            published = datetime.fromisoformat(src["@timestamp"].replace("Z", "+00:00"))
            indexed = datetime.fromisoformat(src["indexed_at"].replace("Z", "+00:00"))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        delays.append((indexed - published).total_seconds())
    return statistics.median(delays) if delays else None


def parse_articles(response: dict[str, Any]) -> dict[str, FeedArticles]:
    out: dict[str, FeedArticles] = {}
    for bucket in response.get("aggregations", {}).get("feeds", {}).get("buckets", []):
        latest = [h.get("_source", {}) for h in bucket["latest"]["hits"]["hits"]]
        out[bucket["key"]] = FeedArticles(
            total=int(bucket["doc_count"]),
            last_week=int(bucket["week"]["doc_count"]),
            oldest=_when(bucket["oldest"].get("value")),
            newest=_when(bucket["newest"].get("value")),
            median_delay_s=median_delay(latest),
        )
    return out


def indexed_articles(es: Any, index: str) -> dict[str, FeedArticles]:
    response = es.search(
        index=index, ignore_unavailable=True, allow_no_indices=True, **articles_query()
    )
    return parse_articles(getattr(response, "body", response))


@dataclass(frozen=True)
class FeedHealth:
    """One row of the feeds page."""

    url: str
    name: str
    state: FeedState
    articles: FeedArticles
    silent: str  # why it is silent, '' when it is not

    @property
    def status(self) -> str:
        """failing | silent | waiting (never polled) | ok"""
        if self.state.error_streak:
            return "failing"
        if self.silent:
            return "silent"
        if self.state.last_poll is None:
            return "waiting"
        return "ok"


def feed_health(
    states: list[FeedState],
    articles: dict[str, FeedArticles],
    names: dict[str, str],
    now: datetime,
) -> list[FeedHealth]:
    """Rows for every feed the list names or the poller knows, failing ones first."""
    by_url = {s.url: s for s in states}
    urls = list(dict.fromkeys([*names, *by_url]))
    rows = []
    for url in urls:
        state = by_url.get(url) or FeedState(url=url)
        found = articles.get(url, FeedArticles())
        rows.append(
            FeedHealth(
                url=url,
                name=names.get(url) or state.title or url,
                state=state,
                articles=found,
                silent=silence(found, now),
            )
        )
    order = {"failing": 0, "silent": 1, "waiting": 2, "ok": 3}
    return sorted(rows, key=lambda r: (order[r.status], r.name.casefold()))
