"""The one retry policy: growing delays, a cap, and jitter that only shortens."""

from __future__ import annotations

import pytest

from contract.retry import RetryPolicy


@pytest.mark.parametrize(
    ("policy", "attempt", "expected"),
    [
        (RetryPolicy(base_delay=0.5, max_delay=30.0), 1, 0.5),
        (RetryPolicy(base_delay=0.5, max_delay=30.0), 3, 2.0),
        (RetryPolicy(base_delay=0.5, max_delay=30.0), 20, 30.0),
        (RetryPolicy(base_delay=1.0, max_delay=5.0, factor=3.0), 2, 3.0),
    ],
)
def test_delay_grows_and_is_capped(policy: RetryPolicy, attempt: int, expected: float) -> None:
    assert policy.delay(attempt) == expected


def test_jitter_shortens_a_delay_by_at_most_its_share() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0, jitter=0.2)
    delays = {policy.delay(3) for _ in range(200)}
    assert all(3.2 <= d <= 4.0 for d in delays)
    assert len(delays) > 1  # the clients retrying one server spread out
