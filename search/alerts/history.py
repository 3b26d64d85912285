"""Reading the alert history back: the query behind ``alerts list`` and ``GET /alerts``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """``24h``, ``7d``, ``30m``, ``2w`` ago, or an ISO date/datetime (UTC if naive)."""
    now = now or datetime.now(UTC)
    relative = _RELATIVE.match(value)
    if relative:
        amount, unit = float(relative.group(1)), relative.group(2).lower()
        try:
            return now - timedelta(**{_UNITS[unit]: amount})
        except OverflowError:
            raise ValueError(f"--since: out of range: {value!r}") from None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since: expected an ISO date (2026-03-01) or an age such as 24h, 7d; got {value!r}"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def alerts_query(
    actor: str | None = None, since: datetime | None = None, saved_search: str | None = None
) -> dict[str, Any]:
    """Alerts for an actor (id or name words), or a saved search, raised after ``since``."""
    filters: list[dict[str, Any]] = []
    if saved_search:
        filters.append({"term": {"saved_search": saved_search}})
    if actor:
        filters.append(
            {
                "bool": {
                    "minimum_should_match": 1,
                    "should": [
                        {"term": {"actor_id": actor}},
                        {"match": {"actor_name": {"query": actor, "operator": "and"}}},
                    ],
                }
            }
        )
    if since:
        filters.append({"range": {"alerted_at": {"gte": since.isoformat()}}})
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}


def search_alerts(
    es: Elasticsearch,
    index: str,
    *,
    actor: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    saved_search: str | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """(total, newest ``limit`` alerts); an index that does not exist yet holds none."""
    try:
        found = es.search(
            index=index,
            query=alerts_query(actor, since, saved_search),
            size=limit,
            sort=[{"alerted_at": {"order": "desc"}}],
            track_total_hits=True,
        )
    except NotFoundError:
        return 0, []
    hits = found["hits"]
    return hits["total"]["value"], [h["_source"] for h in hits["hits"]]


def story_line(alert: dict[str, Any]) -> str:
    """Where the story was first seen and how many copies there were since."""
    copies = int(alert.get("copies") or 1)
    line = f"first at {alert.get('source', '')}, {copies} {'copy' if copies == 1 else 'copies'}"
    others = [s for s in alert.get("sources") or [] if s != alert.get("source")]
    return line + (f" (also {', '.join(others)})" if others else "")
