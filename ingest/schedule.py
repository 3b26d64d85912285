"""When to poll a feed next: the whole interval policy in one pure function.

Read :func:`next_interval` top to bottom; every branch has a test in
``tests/ingest/test_schedule.py``.

* A failing feed backs off exponentially from ``min_interval`` (doubling per
  consecutive failure, capped at ``max_interval``) with "equal jitter" (a
  random factor between 0.5 and 1), so feeds that broke together do not
  retry together. A server's ``Retry-After`` is honoured when it asks for more.
* A healthy feed with a configured interval uses it.
* Otherwise the interval adapts to how often the feed publishes: one day
  divided by its recent items per day (a feed with 48 items a day is polled
  every 30 minutes); a feed with no recent items waits ``max_interval``; one
  whose entries carry no dates gets ``default_interval``.
* The server's wishes then lengthen it: ``Cache-Control: max-age``, RSS
  ``<ttl>`` and ``Retry-After``.
* Everything is clamped to ``[min_interval, max_interval]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from contract.settings import Settings

DAY = 86400.0
DEFAULT_INTERVAL = 3600.0
RECENT = timedelta(days=7)


@dataclass(frozen=True)
class Policy:
    min_interval: float = 300.0
    max_interval: float = DAY
    default_interval: float = DEFAULT_INTERVAL

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(min_interval=settings.min_interval, max_interval=settings.max_interval)


@dataclass(frozen=True)
class Observation:
    """What the last poll told us about the feed."""

    ok: bool
    error_streak: int = 0  # consecutive failures, this one included
    items_per_day: float | None = None
    fixed_interval: float | None = None
    max_age: float | None = None
    ttl_minutes: float | None = None
    retry_after: float | None = None


def next_interval(obs: Observation, policy: Policy, jitter: float = 1.0) -> tuple[float, str]:
    """(seconds until the next poll, the rule that decided it).

    ``jitter`` is a random number in [0, 1) from the caller, so the policy
    itself stays deterministic and testable.
    """
    low, high = policy.min_interval, max(policy.min_interval, policy.max_interval)
    if not obs.ok:
        streak = max(1, obs.error_streak)
        backoff = min(high, low * 2.0 ** min(streak - 1, 30))
        delay, reason = backoff * (0.5 + 0.5 * min(max(jitter, 0.0), 1.0)), "backoff"
        if obs.retry_after is not None and obs.retry_after > delay:
            delay, reason = obs.retry_after, "retry-after"
        return _clamp(delay, reason, low, high)

    if obs.fixed_interval is not None:
        delay, reason = obs.fixed_interval, "configured"
    elif obs.items_per_day is None:
        delay, reason = policy.default_interval, "default"
    elif obs.items_per_day <= 0:
        delay, reason = high, "quiet"
    else:
        delay, reason = DAY / obs.items_per_day, "adaptive"

    hints = (
        (obs.max_age, "cache-control"),
        (obs.ttl_minutes * 60 if obs.ttl_minutes else None, "ttl"),
        (obs.retry_after, "retry-after"),
    )
    for hint, name in hints:
        if hint is not None and hint > delay:
            delay, reason = hint, name
    return _clamp(delay, reason, low, high)


def _clamp(delay: float, reason: str, low: float, high: float) -> tuple[float, str]:
    if delay < low:
        return low, f"{reason}, raised to min_interval"
    if delay > high:
        return high, f"{reason}, capped at max_interval"
    return delay, reason


def items_per_day(published: Iterable[datetime], now: datetime) -> float | None:
    """Recent publishing rate from entry dates; None when the feed gives no dates.

    Counts entries of the last seven days; with none that recent the rate
    is 0 (a quiet feed).
    """
    dates = [d for d in published if d <= now]
    if not dates:
        return None
    recent = sum(1 for d in dates if now - d <= RECENT)
    return recent / RECENT.days if recent else 0.0
