"""``GET/POST/DELETE /searches`` and ``POST /searches/backtest`` over HTTP.

Mounted by the search API beside ``GET /alerts`` (it reads ``es`` and
``settings`` from ``app.state``), so the same API keys guard it. Bad input
is a 422 with the reason and nothing stored; a taken name is a 409.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from processors.alerts.searches import checked, save, with_recent_matches
from search.query import QueryTooCostly, parse_time
from search.saved_searches import (
    DuplicateName,
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


def _checked(body: SearchBody, name: str) -> Any:
    try:
        return checked(
            name,
            body.q,
            languages=body.lang,
            topics=body.topic,
            sources=body.source,
            entities=body.entity,
            actors=body.actor,
        )
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
