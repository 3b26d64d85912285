"""The one source of "now" for the components that take the time.

The poller, its state, retention and the alerts store receive a ``Clock``
(a function returning epoch seconds) when they are built, so a test or a
benchmark can pass a :class:`ManualClock` and let months pass in minutes;
production passes nothing and gets the system clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]

DAY = 86400.0


def system_clock() -> float:
    return time.time()


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def window_start(now: float, retention_days: int) -> float | None:
    """The oldest instant still inside the retention window; None: keep everything."""
    if retention_days <= 0:
        return None
    return now - retention_days * DAY
