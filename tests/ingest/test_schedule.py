"""The polling policy, one case per rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.schedule import DAY, Observation, Policy, items_per_day, next_interval

POLICY = Policy(min_interval=300, max_interval=DAY, default_interval=3600)


def test_busy_feed_is_polled_more_often_than_a_slow_one():
    busy, _ = next_interval(Observation(ok=True, items_per_day=48), POLICY)
    slow, _ = next_interval(Observation(ok=True, items_per_day=2), POLICY)
    assert (busy, slow) == (1800, 43200)


def test_feed_without_dates_gets_the_default():
    assert next_interval(Observation(ok=True), POLICY) == (3600, "default")


def test_quiet_feed_waits_the_maximum():
    assert next_interval(Observation(ok=True, items_per_day=0), POLICY) == (DAY, "quiet")


def test_very_busy_feed_is_not_polled_below_the_minimum():
    delay, reason = next_interval(Observation(ok=True, items_per_day=5000), POLICY)
    assert delay == 300 and "min_interval" in reason


def test_configured_interval_wins_over_adaptation():
    obs = Observation(ok=True, items_per_day=48, fixed_interval=7200)
    assert next_interval(obs, POLICY) == (7200, "configured")


def test_configured_interval_is_still_clamped():
    delay, _ = next_interval(Observation(ok=True, fixed_interval=10), POLICY)
    assert delay == 300


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        (Observation(ok=True, items_per_day=48, max_age=5400), (5400, "cache-control")),
        (Observation(ok=True, items_per_day=48, ttl_minutes=120), (7200, "ttl")),
        (Observation(ok=True, items_per_day=48, retry_after=4000), (4000, "retry-after")),
        # hints only ever lengthen the interval
        (Observation(ok=True, items_per_day=2, max_age=60, ttl_minutes=5), (43200, "adaptive")),
    ],
)
def test_server_hints_lengthen_the_interval(obs, expected):
    assert next_interval(obs, POLICY) == expected


def test_server_hint_beyond_the_maximum_is_capped():
    delay, reason = next_interval(Observation(ok=True, max_age=10 * DAY), POLICY)
    assert delay == DAY and reason.startswith("cache-control")


def test_errors_back_off_exponentially():
    delays = [
        next_interval(Observation(ok=False, error_streak=n), POLICY, jitter=1.0)[0]
        for n in range(1, 6)
    ]
    assert delays == [300, 600, 1200, 2400, 4800]


def test_backoff_jitter_spreads_retries_between_half_and_full():
    low, _ = next_interval(Observation(ok=False, error_streak=4), POLICY, jitter=0.0)
    high, _ = next_interval(Observation(ok=False, error_streak=4), POLICY, jitter=0.999)
    assert low == 1200 and 2390 < high <= 2400


def test_backoff_is_capped_at_the_maximum():
    delay, _ = next_interval(Observation(ok=False, error_streak=40), POLICY, jitter=1.0)
    assert delay == DAY


def test_retry_after_on_an_error_is_honoured_when_longer():
    obs = Observation(ok=False, error_streak=1, retry_after=3600)
    assert next_interval(obs, POLICY, jitter=1.0) == (3600, "retry-after")


def test_items_per_day_counts_the_last_week():
    now = datetime(2026, 1, 8, tzinfo=UTC)
    dates = [now - timedelta(hours=h) for h in range(0, 14 * 24, 12)]  # 2 a day for 2 weeks
    assert items_per_day(dates, now) == pytest.approx(2.0, abs=0.15)


def test_items_per_day_is_unknown_without_dates_and_zero_when_old():
    now = datetime(2026, 1, 8, tzinfo=UTC)
    assert items_per_day([], now) is None
    assert items_per_day([now - timedelta(days=400)], now) == 0.0
