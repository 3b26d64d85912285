"""``GET/POST/DELETE /searches`` and ``POST /searches/backtest`` over HTTP.

Mounted by the search API beside ``GET /alerts`` (it reads ``es`` and
``settings`` from ``app.state``), so the same API keys guard it. Bad input
is a 422 with the reason and nothing stored; a taken name is a 409.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from elasticsearch import Elasticsearch
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from processors.alerts.searches import checked, save, with_recent_matches
from search.query import QueryTooCostly, parse_time
from search.saved_searches import (
    DuplicateName,
    SavedSearch,
    SavedSearchError,
    UnknownSearch,
    backtest,
    remove_search,
    searches_index,
)

router = APIRouter(tags=["saved searches"])


class SearchBody(BaseModel):
    """A search as on the search page, plus a name."""

    name: str = Field("", description="Its alerts carry this name in saved_search")
    q: str = Field("", description='Words, "phrases", -excluded, a OR b, prefix*')
    lang: list[str] = Field(default_factory=list)
    topic: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    entity: list[str] = Field(default_factory=list)
    actor: list[str] = Field(default_factory=list)


def _search_of(body: SearchBody, name: str) -> SavedSearch:
    """The body as a checked saved search (``SavedSearchError`` if it is not one)."""
    return checked(
        name,
        body.q,
        languages=body.lang,
        topics=body.topic,
        sources=body.source,
        entities=body.entity,
        actors=body.actor,
    )


def _checked(body: SearchBody, name: str) -> SavedSearch:
    try:
        return _search_of(body, name)
    except SavedSearchError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def _es(request: Request) -> Elasticsearch:
    return request.app.state.es


@router.get("/searches", summary="Saved searches, with their latest alerts")
def list_searches(
    request: Request, recent: int = Query(5, ge=0, le=50, description="Alerts per search")
) -> dict[str, Any]:
    searches = with_recent_matches(_es(request), request.app.state.settings, recent=recent)
    return {"total": len(searches), "searches": searches}


@router.post("/searches", status_code=201, summary="Save a search that alerts on new stories")
def add_search(request: Request, body: SearchBody) -> dict[str, Any]:
    search = _checked(body, body.name)
    try:
        return save(_es(request), request.app.state.settings, search).to_dict()
    except DuplicateName as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except SavedSearchError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@router.delete("/searches/{name}", summary="Remove a saved search (its alerts stay)")
def delete_search(request: Request, name: str) -> dict[str, Any]:
    settings = request.app.state.settings
    try:
        removed = remove_search(_es(request), searches_index(settings.index_alerts), name)
    except UnknownSearch as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return {"removed": removed.name}


@router.post("/searches/backtest", summary="What a search would have raised; nothing saved")
async def backtest_search(
    request: Request,
    body: SearchBody,
    since: str = Query("7d", description="Articles published after: 7d, 24h or an ISO date"),
    first: int = Query(10, ge=1, le=100),
) -> dict[str, Any]:
    search = _checked(body, body.name or "backtest")
    try:
        after = parse_time(since)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    index = request.app.state.settings.index_articles

    def run() -> dict[str, Any]:
        try:
            return backtest(_es(request), index, search, since=after, first=first)
        except QueryTooCostly as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None

    return await run_in_threadpool(run)


# ---------------------------------------------------------------- the desk's page

web_router = APIRouter(include_in_schema=False)


async def _form(request: Request) -> list[tuple[str, str]]:
    """The urlencoded form body as pairs (a plain HTML form, no script)."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    return [(k, v) for k, v in parse_qsl(raw, keep_blank_values=False)]


def _page_of(request: Request, context: dict[str, Any], status: int = 200) -> Any:
    from search.web.pages import render_page

    searches = with_recent_matches(_es(request), request.app.state.settings, recent=5)
    for s in searches:
        pairs = [("q", s["query"])] + [
            (param, value)
            for param, key in (
                ("lang", "languages"),
                ("topic", "topics"),
                ("source", "sources"),
                ("entity", "entities"),
                ("actor", "actors"),
            )
            for value in s[key]
        ]
        s["search_url"] = "/?" + urlencode([(k, v) for k, v in pairs if v])
    return render_page(
        request, "saved.html", {"nav": "saved", "searches": searches, **context}, status
    )


@web_router.get("/saved", response_class=HTMLResponse)
def saved_page(request: Request, added: str = "", removed: str = "") -> Any:
    return _page_of(request, {"added": added, "removed": removed})


@web_router.post("/saved", response_class=HTMLResponse)
async def save_from_page(request: Request) -> Any:
    """The search page's "Save as alert": its query and filters, under a name."""
    pairs = await _form(request)
    names = ("q", "name", "lang", "topic", "source", "entity", "actor")
    values = {k: [v for key, v in pairs if key == k] for k in names}
    body = SearchBody(
        name=(values["name"] or [""])[0],
        q=(values["q"] or [""])[0],
        lang=values["lang"],
        topic=values["topic"],
        source=values["source"],
        entity=values["entity"],
        actor=values["actor"],
    )

    def run() -> Any:
        try:
            search = _search_of(body, body.name)
            save(_es(request), request.app.state.settings, search)
        except SavedSearchError as exc:
            context = {"error": str(exc), "retry": pairs, "retry_name": body.name}
            return _page_of(request, context, 409 if isinstance(exc, DuplicateName) else 422)
        return RedirectResponse(f"/saved?{urlencode({'added': search.name})}", status_code=303)

    return await run_in_threadpool(run)


@web_router.post("/saved/remove", response_class=HTMLResponse)
async def remove_from_page(request: Request) -> Any:
    name = dict(await _form(request)).get("name", "")
    settings = request.app.state.settings

    def run() -> Any:
        try:
            removed = remove_search(_es(request), searches_index(settings.index_alerts), name)
        except UnknownSearch as exc:
            return _page_of(request, {"error": str(exc)}, 404)
        return RedirectResponse(f"/saved?{urlencode({'removed': removed.name})}", status_code=303)

    return await run_in_threadpool(run)
