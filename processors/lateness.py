"""Whether a stage is draining a backlog: how long ago its article entered Kafka.

Stages that batch for Elasticsearch (indexing, alerts) gather bigger batches,
and the indexer refreshes less, while what they read is seconds old already:
the steady pace keeps its latency, a backlog costs fewer requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from contract.errors import InvalidMessage
from contract.records import decode_json
from processors.stage import Message


def late_after(seconds: float, clock: Callable[[], float] = time.time) -> Callable[[Message], bool]:
    """Whether an enriched article entered Kafka (as a raw article) more than
    ``seconds`` ago: told of a batch's newest, a backlog is draining."""

    def late(message: Message) -> bool:
        try:
            raw_ms = int(decode_json(message.value).get("raw_timestamp_ms") or 0)
        except (InvalidMessage, ValueError, TypeError):
            return False  # the stage itself reports what does not decode
        return raw_ms > 0 and clock() - raw_ms / 1000 > seconds

    return late
