"""``POST /actors/backtest``: a candidate watchlist over the indexed articles, over HTTP.

Mounted by the search API beside ``GET /alerts`` (it reads ``es`` and
``settings`` from ``app.state``). The body is the watchlist itself, as YAML
or JSON (``application/yaml`` or ``application/json``); nothing is raised or
stored. Like search it is capped: the body's size (413), the watchlist's
actors and the articles scanned (400 above the caps), and the time it runs
(the report then says ``timed_out`` and how many articles it read).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

import yaml
from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from contract.errors import ConfigError
from contract.records import Article
from processors.alerts.backtest import backtest, indexed_articles
from processors.enrichment.watchlist import parse_watchlist
from search.alerts.history import parse_since

router = APIRouter(tags=["alerts"])

MAX_BODY_BYTES = 256 * 1024
MAX_ACTORS = 500
MAX_ARTICLES = 20_000
MAX_SECONDS = 30.0

EXAMPLE = (
    "actors:\n  - id: mark-rutte\n    name: Mark Rutte\n    kind: person\n"
    "    aliases: [Mark Rutte]\n    surnames: [Rutte]\n"
)
_BODY = {
    "required": True,
    "description": "The watchlist, as YAML (or JSON)",
    "content": {
        "application/yaml": {"schema": {"type": "string"}, "example": EXAMPLE},
        "application/json": {"schema": {"type": "object"}},
    },
}


async def read_capped(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, or 413 as soon as it is longer than ``limit`` bytes."""
    too_large = HTTPException(status_code=413, detail=f"body over {limit} bytes: send less")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def until(articles: Iterable[Article], deadline: float, stopped: list[bool]) -> Iterator[Article]:
    """``articles`` until ``deadline`` (monotonic); ``stopped`` says if it cut them short."""
    for article in articles:
        if time.monotonic() > deadline:
            stopped.append(True)
            return
        yield article


@router.post(
    "/actors/backtest",
    summary="Alerts a candidate watchlist would have raised",
    openapi_extra={"requestBody": _BODY},
)
async def backtest_watchlist(
    request: Request,
    since: str = Query("30d", description="Articles published after: 30d, 24h or an ISO date"),
    samples: int = Query(3, ge=0, le=20),
    limit: int = Query(
        MAX_ARTICLES, ge=1, description=f"At most this many articles ({MAX_ARTICLES})"
    ),
) -> dict[str, Any]:
    if limit > MAX_ARTICLES:
        raise HTTPException(
            status_code=400, detail=f"limit {limit} is over {MAX_ARTICLES} articles: narrow since"
        )
    body = await read_capped(request)
    try:
        parsed = parse_watchlist(yaml.safe_load(body.decode("utf-8")), origin="request body")
        after = parse_since(since) if since else None
    except (ConfigError, yaml.YAMLError, ValueError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if len(parsed.actors) > MAX_ACTORS:
        raise HTTPException(
            status_code=400,
            detail=f"{len(parsed.actors)} actors, at most {MAX_ACTORS}: backtest them in parts",
        )
    state = request.app.state

    def run() -> dict[str, Any]:
        stopped: list[bool] = []
        articles = indexed_articles(
            state.es, state.settings.index_articles, since=after, limit=limit
        )
        deadline = time.monotonic() + MAX_SECONDS
        report = backtest(parsed, until(articles, deadline, stopped), samples=samples).to_dict()
        return {**report, "timed_out": bool(stopped)}

    return await run_in_threadpool(run)
