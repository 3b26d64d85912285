"""Retry with exponential backoff, driven by the project's exception tree.

A :class:`RetryableError` is tried again after a growing delay; anything
else (a :class:`PermanentError` in particular) is raised at once, because
waiting cannot fix it. One policy object for everything that retries (the
poller's publishing, the stage harness, the bulk indexers, the alert store,
webhooks), so backoff is read and tested in one place.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

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


async def retrying(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    what: str,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Run ``call`` until it succeeds, fails permanently, or attempts run out."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except RetryableError as exc:
            if policy.attempts is not None and attempt >= policy.attempts:
                log.warning("%s: giving up after %d attempts: %s", what, attempt, exc)
                raise
            delay = policy.delay(attempt)
            log.warning("%s: attempt %d failed (%s); retrying in %.1fs", what, attempt, exc, delay)
            await sleep(delay)
