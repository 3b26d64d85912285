"""Retry with exponential backoff, driven by the project's exception tree.

A :class:`RetryableError` is tried again after a growing delay; anything
else (a :class:`PermanentError` in particular) is raised at once, because
waiting cannot fix it. Errors are classified once, where they enter (the
Elasticsearch client's in :mod:`search.errors`, a webhook's in its sink), so
this is the one retry policy for everything that retries (the poller's
publishing, the stage harness, the bulk indexers, the alert store,
webhooks), built on tenacity and read and tested in one place:
:func:`retrying` runs a call, :func:`attempts` / :func:`async_attempts` run
a block (``for attempt in attempts(...): with attempt: ...``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_never,
)

from contract.errors import RetryableError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry; ``attempts=None`` retries forever.

    ``jitter`` shortens each delay by a random share up to that fraction, so
    many clients retrying one server do not all come back at once.
    """

    attempts: int | None = 5
    base_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.max_delay, self.base_delay * self.factor ** max(0, attempt - 1))
        return base * (1 - self.jitter * random.random()) if self.jitter else base


# A server a stage depends on is down (Kafka for a dead letter, Elasticsearch for
# a batch): wait for it as long as it takes, 1 s up to 30 s, jittered so that
# many workers do not all come back at the same moment.
SERVER_RETRY = RetryPolicy(attempts=None, base_delay=1.0, max_delay=30.0, jitter=0.2)
# The alert store must not lose an alert: wait for Elasticsearch to come back.
STORE_RETRY = RetryPolicy(attempts=None, base_delay=0.2, max_delay=30.0)
# The poller keeps its articles pending and tries Kafka again, forever, from 2 s up to a minute.
PUBLISH_RETRY = RetryPolicy(attempts=None, base_delay=2.0, max_delay=60.0)
# `newsstream run` starts a crashed poller, worker or API again after 1 s, 2 s, 4 s ... 1 min.
RESTART_RETRY = RetryPolicy(attempts=None, base_delay=1.0, max_delay=60.0)
# A webhook gets a handful of tries over about 15 s, then a dead-letter record.
WEBHOOK_RETRY = RetryPolicy(attempts=5, base_delay=0.5, max_delay=8.0)


def _tenacity(policy: RetryPolicy, what: str) -> dict[str, Any]:
    """The keyword arguments that make tenacity follow ``policy``."""

    def wait(state: RetryCallState) -> float:
        return policy.delay(state.attempt_number)

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = state.upcoming_sleep
        log.warning(
            "%s: attempt %d failed (%s); retrying in %.1fs", what, state.attempt_number, exc, delay
        )

    def give_up(state: RetryCallState) -> Any:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("%s: giving up after %d attempts: %s", what, state.attempt_number, exc)
        assert exc is not None
        raise exc

    return {
        "retry": retry_if_exception_type(RetryableError),
        "stop": stop_never if policy.attempts is None else stop_after_attempt(policy.attempts),
        "wait": wait,
        "before_sleep": before_sleep,
        "retry_error_callback": give_up,
        "reraise": True,
    }


def attempts(
    policy: RetryPolicy, what: str, *, sleep: Callable[[float], None] = time.sleep
) -> Retrying:
    """Attempts at a block of synchronous code, each ``with attempt:``."""
    return Retrying(sleep=sleep, **_tenacity(policy, what))


def async_attempts(
    policy: RetryPolicy,
    what: str,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> AsyncRetrying:
    """Attempts at a block of asynchronous code, each ``with attempt:``."""
    return AsyncRetrying(sleep=sleep, **_tenacity(policy, what))  # type: ignore[arg-type]


async def retrying(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    what: str,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Run ``call`` until it succeeds, fails permanently, or attempts run out."""
    async for attempt in async_attempts(policy, what, sleep=sleep):
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover
