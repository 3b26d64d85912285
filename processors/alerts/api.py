"""``GET /alerts``: the alert history over HTTP, as a router the search API mounts.

    from processors.alerts.api import create_router
    app.include_router(create_router(settings))            # or pass client=es
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch
from fastapi import APIRouter, HTTPException, Query

from newsstream.contract.settings import Settings
from processors.alerts.history import parse_since, search_alerts


def create_router(settings: Settings, client: Elasticsearch | None = None) -> APIRouter:
    """A router whose Elasticsearch client is built on first use, not at import."""
    router = APIRouter(tags=["alerts"])
    holder: dict[str, Elasticsearch] = {"es": client} if client is not None else {}

    def es() -> Elasticsearch:
        if "es" not in holder:
            from search.client import es_client

            holder["es"] = es_client(settings)
        return holder["es"]

    @router.get("/alerts", summary="Alerts on tracked actors, newest first")
    def list_alerts(
        actor: str | None = Query(None, description="Actor id or name, e.g. nicolas-maduro"),
        since: str | None = Query(None, description="ISO date/time or an age: 24h, 7d"),
        limit: int = Query(50, ge=1, le=1000),
    ) -> dict[str, Any]:
        try:
            after = parse_since(since) if since else None
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        total, alerts = search_alerts(
            es(), settings.index_alerts, actor=actor, since=after, limit=limit
        )
        return {"total": total, "alerts": alerts}

    return router
