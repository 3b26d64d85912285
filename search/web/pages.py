"""Routes of the web pages; each gathers plain data and renders one template."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from elasticsearch import ApiError, NotFoundError
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from search.alerts.history import story_line
from search.query import QueryTooCostly, SearchRequest, parse_time, run_search
from search.web import HERE
from search.web.links import SearchLinks
from search.web.marks import Term, find_marks, render, terms_for

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")
PAGE_SIZE = 20
#: How far back the live stream looks on each poll for alerts stored late.
STREAM_LOOKBACK = timedelta(seconds=60)
STREAM_POLL_SECONDS = 1.0
STREAM_HEARTBEAT_SECONDS = 15.0


def _short_time(value: str | None) -> str:
    """ISO time to '2019-03-12 05:15' (UTC); '' for nothing."""
    if not value:
        return ""
    return value[:16].replace("T", " ")


def _ago(value: str | float | None, now: datetime | None = None) -> str:
    """A past or future time relative to now: '5 min ago', 'in 2 h'."""
    if value in (None, ""):
        return "never"
    when = (
        datetime.fromtimestamp(value, UTC)
        if isinstance(value, int | float)
        else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = f"{seconds / size:.0f} {unit}"
            break
    else:
        amount = f"{seconds:.0f} s"
    return f"in {amount}" if future else f"{amount} ago"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


def _mark(text: str | None, matched: str | None) -> Markup:
    """Escaped ``text`` with ``matched`` wrapped in <mark> (case and accents ignored)."""
    text = text or ""
    if not matched:
        return escape(text)
    term = Term(matched, "match", "actor", matched)
    pieces, at = [], 0
    for found in find_marks(text, [term]):
        pieces += [
            escape(text[at : found.start]),
            Markup("<mark>"),
            escape(text[found.start : found.end]),
            Markup("</mark>"),
        ]
        at = found.end
    pieces.append(escape(text[at:]))
    return Markup("").join(pieces)


_NOT_EM = re.compile(r"<(?!/?em>)")


def _highlight(fragment: str | None) -> Markup:
    """A highlight fragment as HTML with ``<em>`` its only tags.

    The query asks Elasticsearch to escape the text around its ``<em>`` marks
    (``"encoder": "html"``); any other ``<`` is escaped here too, so the page
    stays text-only should the fragment ever come unescaped.
    """
    return Markup(_NOT_EM.sub("&lt;", fragment or ""))


templates.env.filters["mark"] = _mark
templates.env.filters["highlight"] = _highlight
templates.env.filters["short_time"] = _short_time
templates.env.filters["ago"] = _ago
templates.env.filters["duration"] = _duration
templates.env.filters["story"] = story_line


def render_page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Any:
    """A page of the desk from its template (other layers' pages use it too)."""
    return _page(request, name, context, status)


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200):
    context.setdefault("nav", name.removesuffix(".html"))
    return templates.TemplateResponse(request, name, context, status_code=status)


def _state(request: Request) -> Any:
    return request.app.state


# -- search --------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    links = SearchLinks(list(request.query_params.multi_items()))
    cursor = request.query_params.get("cursor", "")
    page_text = request.query_params.get("page", "1")
    page = int(page_text) if cursor and page_text.isdigit() and len(page_text) < 6 else 1
    error, result, status = "", None, 200
    try:
        since, until = links.first("since"), links.first("until")
        search = SearchRequest(
            query=links.first("q"),
            languages=tuple(links.values("lang")),
            sources=tuple(links.values("source")),
            topics=tuple(links.values("topic")),
            entities=tuple(links.values("entity")),
            actors=tuple(links.values("actor")),
            since=parse_time(since) if since else None,
            until=parse_time(until, end_of_day=True) if until else None,
            sort=links.first("sort"),
            limit=PAGE_SIZE,
            cursor=cursor,
            facets=True,
            histogram=True,
            collapse=links.first("copies") != "all",
        )
        result = run_search(_state(request).es, _state(request).settings.index_articles, search)
    except QueryTooCostly as exc:
        error, status = str(exc), 400
    except ValueError as exc:
        error, status = str(exc), 400
    except ApiError as exc:
        if exc.status_code != 400:
            raise
        error, status = f"Elasticsearch refused the query: {exc.message}", 400
    peak = max((b.count for b in result.histogram), default=0) if result else 0
    return _page(
        request,
        "search.html",
        {
            "links": links,
            "result": result,
            "error": error,
            "page": page,
            "peak": peak,
            "next_url": links.url(cursor=result.next_cursor, page=str(page + 1))
            if result and result.next_cursor
            else "",
        },
        status,
    )


# -- one article ---------------------------------------------------------------


@router.get("/article/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str) -> HTMLResponse:
    state = _state(request)
    response = state.es.search(
        index=state.settings.index_articles,
        query={"ids": {"values": [article_id[:200]]}},
        size=1,
        ignore_unavailable=True,
        allow_no_indices=True,
        source_excludes=["i18n"],
    )
    hits = response["hits"]["hits"]
    if not hits:
        return _page(request, "missing.html", {"what": f"no article with id {article_id}"}, 404)
    doc = hits[0]["_source"]
    terms = terms_for(doc)
    body = render(doc.get("text", ""), find_marks(doc.get("text", ""), terms))
    title = render(doc.get("title", ""), find_marks(doc.get("title", ""), terms))
    return _page(
        request, "article.html", {"doc": doc, "body": body, "title": title, "nav": "search"}
    )


# -- alerts ----------------------------------------------------------------------


def _alerts(state: Any, actor: str | None, since: datetime | None, limit: int):
    from search.alerts.history import search_alerts

    return search_alerts(
        state.es, state.settings.index_alerts, actor=actor, since=since, limit=limit
    )


@router.get("/watch", response_class=HTMLResponse)
def alerts_page(request: Request) -> HTMLResponse:
    actor = request.query_params.get("actor", "").strip() or None
    since_text = request.query_params.get("since", "").strip()
    error, total, alerts, status = "", 0, [], 200
    try:
        since = parse_time(since_text) if since_text else None
        total, alerts = _alerts(_state(request), actor, since, 100)
    except ValueError as exc:
        error, status = str(exc), 400
    return _page(
        request,
        "alerts.html",
        {
            "alerts": alerts,
            "total": total,
            "actor": actor or "",
            "since": since_text,
            "error": error,
            "nav": "alerts",
        },
        status,
    )


@router.get("/watch/stream")
async def alerts_stream(request: Request) -> StreamingResponse:
    """Server-sent events: one ``alert`` event per new alert, as it is stored."""
    state = _state(request)
    actor = request.query_params.get("actor", "").strip() or None

    async def recent() -> list[dict[str, Any]]:
        since = datetime.now(UTC) - STREAM_LOOKBACK
        try:
            _, found = await asyncio.to_thread(_alerts, state, actor, since, 500)
        except (ApiError, NotFoundError) as exc:
            log.warning("alert stream: %s", exc)
            return []
        return sorted(found, key=lambda a: a.get("alerted_at", ""))

    async def events() -> AsyncIterator[str]:
        seen = {a.get("id") for a in await recent()}
        yield "retry: 2000\n: connected\n\n"
        quiet_since = time.monotonic()
        while not await request.is_disconnected():
            for alert in await recent():
                if alert.get("id") in seen:
                    continue
                seen.add(alert.get("id"))
                quiet_since = time.monotonic()
                data = json.dumps(alert, ensure_ascii=False)
                yield f"id: {alert.get('id', '')}\nevent: alert\ndata: {data}\n\n"
            if time.monotonic() - quiet_since > STREAM_HEARTBEAT_SECONDS:
                quiet_since = time.monotonic()
                yield ": still here\n\n"
            await asyncio.sleep(STREAM_POLL_SECONDS)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        },
    )


# -- feeds and problems ------------------------------------------------------------


def _feed_names(settings: Any) -> dict[str, str]:
    if not settings.feeds or not Path(settings.feeds).exists():
        return {}
    from ingest import feedlist

    try:
        return {f.url: f.name for f in feedlist.load(Path(settings.feeds))}
    except Exception as exc:  # noqa: BLE001 - a broken list must not break the page
        log.warning("feed list %s: %s", settings.feeds, exc)
        return {}


@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(request: Request) -> HTMLResponse:
    from ingest.state import read_feed_states
    from search.feedhealth import feed_health, indexed_articles

    state = _state(request)
    settings = state.settings
    rows = feed_health(
        read_feed_states(settings.data_path),
        indexed_articles(state.es, settings.index_articles),
        _feed_names(settings),
        datetime.now(UTC),
    )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return _page(request, "feeds.html", {"rows": rows, "counts": counts})


@router.get("/problems", response_class=HTMLResponse)
def problems_page(request: Request) -> HTMLResponse:
    from search.deadletters import by_stage_and_reason, read_dead_letters

    settings = _state(request).settings
    stage = request.query_params.get("stage", "").strip() or None
    error = ""
    try:
        records = read_dead_letters(settings, limit=1000, wait=5.0)
    except Exception as exc:  # noqa: BLE001 - Kafka's errors have no common base worth naming
        log.warning("dead letters: %s", exc)
        records, error = [], f"could not read {settings.topic_deadletter}: {exc}"
    groups = by_stage_and_reason(records)
    shown = [r for r in records if not stage or r.get("stage") == stage][-100:][::-1]
    return _page(
        request,
        "problems.html",
        {
            "groups": groups,
            "records": shown,
            "total": len(records),
            "stage": stage or "",
            "topic": settings.topic_deadletter,
            "error": error,
        },
    )
