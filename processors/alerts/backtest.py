"""Backtest a candidate watchlist over articles already indexed, raising nothing.

Each article is enriched again on the fast path with the candidate
watchlist (the same entities and the same matching the live service would
apply), so the counts are the alerts the watchlist would have raised: one
per actor and story, later copies of a story counted on it.
:func:`backtest` is a plain function over articles; :func:`indexed_articles`
reads them from the articles index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError
from elasticsearch.helpers import scan

from contract.records import Article, Source
from processors.alerts.decide import make_snippet, story_of
from processors.enrichment.pipeline import enrich
from processors.enrichment.watchlist import Watchlist

SAMPLES = 3  # sample mentions kept per actor
_FIELDS = [
    "id",
    "url",
    "title",
    "text",
    "@timestamp",
    "story_id",
    "source",
    "language",
    "fetched_at",
]


@dataclass
class Sample:
    """One article that would have alerted, and why."""

    article_id: str
    title: str
    url: str
    source: str
    published: str
    matched_text: str
    snippet: str
    alias: str
    rule: str
    entity: str


@dataclass
class ActorResult:
    """What one actor of the watchlist would have done."""

    actor_id: str
    name: str
    articles: int = 0  # articles that mention the actor
    alerts: int = 0  # stories: what would have been raised, copies counted on them
    samples: list[Sample] = field(default_factory=list)


@dataclass
class BacktestReport:
    articles: int  # articles read
    actors: list[ActorResult]

    def to_dict(self) -> dict[str, Any]:
        from contract.records import plain

        return plain(self)


def backtest(
    watchlist: Watchlist, articles: Iterable[Article], *, samples: int = SAMPLES
) -> BacktestReport:
    """Per actor: articles that would have alerted, alerts (stories), samples."""
    results = {a.id: ActorResult(a.id, a.name) for a in watchlist.actors}
    stories: dict[str, set[str]] = {a.id: set() for a in watchlist.actors}
    read = 0
    for article in articles:
        read += 1
        enriched = enrich(article, watchlist=watchlist)
        for mention in enriched.actors:
            result = results[mention.actor_id]
            result.articles += 1
            stories[mention.actor_id].add(story_of(article))
            if len(result.samples) < samples:
                source_text = article.title if mention.field == "title" else article.text
                result.samples.append(
                    Sample(
                        article.id,
                        article.title,
                        article.url,
                        article.source.name,
                        article.published,
                        mention.matched_text,
                        make_snippet(source_text, mention.start, mention.end, 80),
                        mention.alias,
                        mention.rule,
                        mention.entity,
                    )
                )
    for actor_id, result in results.items():
        result.alerts = len(stories[actor_id])
    ranked = sorted(results.values(), key=lambda r: (-r.articles, r.name))
    return BacktestReport(read, ranked)


def indexed_articles(
    es: Elasticsearch, index: str, *, since: datetime | None = None, limit: int = 0
) -> Iterator[Article]:
    """Articles from the articles index published after ``since`` (all when None)."""
    query: dict[str, Any] = {"match_all": {}}
    if since is not None:
        query = {"range": {"@timestamp": {"gte": since.isoformat()}}}
    try:
        hits = scan(
            es,
            index=index,
            query={"query": query, "_source": _FIELDS},
            size=500,
            preserve_order=False,
        )
        for n, hit in enumerate(hits, start=1):
            yield _article(hit["_source"])
            if limit and n >= limit:
                return
    except NotFoundError:
        return


def _article(doc: dict[str, Any]) -> Article:
    source = doc.get("source") or {}
    language = doc.get("language") or {}
    return Article(
        id=str(doc.get("id", "")),
        url=str(doc.get("url", "")),
        title=str(doc.get("title", "")),
        text=str(doc.get("text", "")),
        published=str(doc.get("@timestamp", "")),
        source=Source(str(source.get("name", "")), str(source.get("feed_url", ""))),
        fetched_at=str(doc.get("fetched_at") or ""),
        story_id=str(doc.get("story_id") or ""),
        language_hint=str(language.get("code", "") if language.get("code") != "und" else ""),
    )
