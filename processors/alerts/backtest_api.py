"""``POST /actors/backtest``: a candidate watchlist over the indexed articles, over HTTP.

Mounted by the search API beside ``GET /alerts`` (it reads ``es`` and
``settings`` from ``app.state``). The body is the watchlist itself, as YAML
or JSON; nothing is raised or stored.
"""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Body, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from contract.errors import ConfigError
from processors.alerts.backtest import backtest, indexed_articles
from processors.enrichment.watchlist import parse_watchlist
from search.alerts.history import parse_since

router = APIRouter(tags=["alerts"])

EXAMPLE = (
    "actors:\n  - id: mark-rutte\n    name: Mark Rutte\n    kind: person\n"
    "    aliases: [Mark Rutte]\n    surnames: [Rutte]\n"
)


@router.post("/actors/backtest", summary="Alerts a candidate watchlist would have raised")
async def backtest_watchlist(
    request: Request,
    watchlist: str = Body(
        ...,
        media_type="text/plain",
        examples=[EXAMPLE],
        description="The watchlist, as YAML (or JSON)",
    ),
    since: str = Query("30d", description="Articles published after: 30d, 24h or an ISO date"),
    samples: int = Query(3, ge=0, le=20),
    limit: int = Query(0, ge=0, description="At most this many articles (0: all)"),
) -> dict[str, Any]:
    try:
        parsed = parse_watchlist(yaml.safe_load(watchlist), origin="request body")
        after = parse_since(since) if since else None
    except (ConfigError, yaml.YAMLError, ValueError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    state = request.app.state

    def run() -> dict[str, Any]:
        articles = indexed_articles(
            state.es, state.settings.index_articles, since=after, limit=limit
        )
        return backtest(parsed, articles, samples=samples).to_dict()

    return await run_in_threadpool(run)
