"""``newsstream process --stage index`` whose batches pause after the bulk, before the ack.

Run as ``python -m tests.search.paused_index_worker`` (``running_worker(module=...)``):
the index handler is wrapped here, in the test's worker only, so a test can
kill the worker in exactly the gap between Elasticsearch's acknowledgement
and Kafka's commit.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from processors.indexing import agents

MARK = "FAULT pause-index-after-bulk"
log = logging.getLogger(__name__)
_handler = agents.index_handler


def pausing_handler(*args: Any, **kwargs: Any) -> Callable[[Sequence[Any]], Awaitable[list]]:
    handle = _handler(*args, **kwargs)

    async def paused(items: Sequence[Any]) -> list:
        outcomes = await handle(items)
        log.warning("%s: %d documents acknowledged, not acking offsets", MARK, len(items))
        await asyncio.sleep(3600)
        return outcomes

    return paused


if __name__ == "__main__":
    agents.index_handler = pausing_handler  # type: ignore[assignment]
    from newsstream.cli import main

    sys.argv = ["newsstream", "process", "--stage", "index", "--loglevel", "info"]
    main()
