"""Retention: delete monthly indices that fell out of the retention window.

Retention counts on publication time, the time the indices are cut by, with
a grace for late arrivals: an index is deleted when its whole month lies more
than ``retention_days`` in the past *and* the index itself was created more
than ``retention_days`` ago. The second condition keeps an old month that a
backfill or a feed's archive just re-created from vanishing within the hour;
it is deleted a retention period later. Deleting whole indices is cheap and
needs no delete-by-query (absent from some distributions).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from elasticsearch import Elasticsearch

from search.layout import IndexLayout

log = logging.getLogger(__name__)


def month_end(year: int, month: int) -> datetime:
    """The first instant after the month ``year-month`` (UTC)."""
    if month == 12:
        return datetime(year + 1, 1, 1, tzinfo=UTC)
    return datetime(year, month + 1, 1, tzinfo=UTC)


def expired_indices(
    layout: IndexLayout,
    created: dict[str, datetime],
    *,
    now: datetime,
    retention_days: int,
) -> list[str]:
    """Names among ``created`` (index -> creation time) that retention deletes."""
    if retention_days <= 0:
        return []
    cutoff = now - timedelta(days=retention_days)
    out = []
    for name, created_at in created.items():
        month = layout.month_of(name)
        if month is None:
            continue
        if month_end(*month) <= cutoff and created_at <= cutoff:
            out.append(name)
    return sorted(out)


def apply_retention(
    client: Elasticsearch,
    layout: IndexLayout,
    *,
    retention_days: int,
    now: datetime | None = None,
) -> list[str]:
    """Delete expired monthly indices; returns their names."""
    now = now or datetime.now(UTC)
    found = client.indices.get_settings(
        index=layout.pattern, name="index.creation_date", expand_wildcards="open,closed"
    )
    created = {
        name: datetime.fromtimestamp(int(body["settings"]["index"]["creation_date"]) / 1000, UTC)
        for name, body in found.items()
    }
    expired = expired_indices(layout, created, now=now, retention_days=retention_days)
    for name in expired:
        client.indices.delete(index=name)
        log.info("retention: deleted index %s (older than %d days)", name, retention_days)
    return expired
