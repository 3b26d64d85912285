"""``GET /alerts``: the alert history over HTTP, as a router for the search API.

The search API (``search.api.create_api(settings, routers=[router])``) mounts
it and provides the Elasticsearch client and settings on ``app.state``, as
``es`` and ``settings``; any FastAPI app that sets those two can mount it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from search.alerts.history import parse_since, search_alerts

router = APIRouter(tags=["alerts"])


@router.get("/alerts", summary="Alerts on tracked actors, newest first")
def list_alerts(
    request: Request,
    actor: str | None = Query(None, description="Actor id or name, e.g. nicolas-maduro"),
    since: str | None = Query(None, description="ISO date/time, or an age: 30m, 24h, 7d"),
    limit: int = Query(50, ge=1, le=1000),
    saved_search: str | None = Query(None, description="Name of a saved search"),
) -> dict[str, Any]:
    try:
        after = parse_since(since) if since else None
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    state = request.app.state
    total, alerts = search_alerts(
        state.es,
        state.settings.index_alerts,
        actor=actor,
        since=after,
        limit=limit,
        saved_search=saved_search,
    )
    return {"total": total, "alerts": alerts}
