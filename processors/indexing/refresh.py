"""Refreshes at the pace of ingest: fewer while a backlog drains.

Every refresh writes a new segment that later merges cost again. At the
steady pace an article must be searchable within about a second, so the
articles' indices refresh every second. While a backlog drains, its articles
are seconds late already, and a refresh a second makes many small segments
out of what Elasticsearch could write as a few: the indexer then holds a
longer interval, and puts the usual one back (with one refresh, so the tail
of the backlog is searchable at once) when its batches are on time again or
none has been late for a while.

The longer interval is bounded, never ``-1``: a worker that dies while
holding it leaves search at most that much behind, and a starting indexer
puts the usual interval back. Each worker decides for itself: one whose
batches are on time puts 1 s back while another may still drain, which
then only refreshes more often than it needs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class BacklogRefresh:
    """Whether the articles' indices hold the draining interval, and when to change."""

    normal: str
    draining: str
    quiet_after: float  # seconds with no late batch before the usual interval returns
    set_interval: Callable[[str], Awaitable[None]]
    refresh_now: Callable[[], Awaitable[None]]
    clock: Callable[[], float] = time.monotonic
    holding: bool = field(default=False, init=False)
    last_late: float = field(default=0.0, init=False)

    async def after_batch(self, late: bool) -> None:
        """Told of each bulk: whether its newest article was late."""
        if late:
            self.last_late = self.clock()
            if not self.holding and self.draining != self.normal:
                log.info("index: a backlog is draining; refresh every %s", self.draining)
                self.holding = await self._tell(self.set_interval(self.draining))
        elif self.holding:
            await self.restore("batches are on time")

    async def tick(self) -> None:
        """Called every so often: a backlog that stopped arriving is drained."""
        if self.holding and self.clock() - self.last_late > self.quiet_after:
            await self.restore(f"no late batch for {self.quiet_after:g}s")

    async def restore(self, why: str) -> None:
        """The usual interval back; until Elasticsearch takes it, the next tick asks again."""
        log.info("index: %s; refresh every %s again", why, self.normal)
        if await self._tell(self.set_interval(self.normal)):
            self.holding = False
            await self._tell(self.refresh_now())

    @staticmethod
    async def _tell(call: Awaitable[None]) -> bool:
        """A refresh setting that fails is logged, never a failed bulk: the
        articles are indexed either way."""
        try:
            await call
        except Exception as exc:  # noqa: BLE001 - any failure: try again later
            log.warning("index: could not change the refresh interval: %s", exc)
            return False
        return True
