"""Reading the dead-letter topic back: the records behind `newsstream deadletter`
and the web page's Problems view.

Reads from the beginning up to the end offsets taken at the start, so it
returns as soon as it has read everything there was, instead of waiting for
a quiet period; ``wait`` only bounds a slow or unreachable broker.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from contract.settings import Settings


def read_dead_letters(
    settings: Settings,
    *,
    limit: int = 500,
    stage: str | None = None,
    wait: float = 5.0,
) -> list[dict[str, Any]]:
    """The newest ``limit`` records (oldest first), optionally of one ``stage``."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        enable_auto_commit=False,
        group_id=None,
        request_timeout_ms=max(int(wait * 1000), 1000) + 5000,
    )
    records: list[dict[str, Any]] = []
    try:
        partitions = consumer.partitions_for_topic(settings.topic_deadletter) or set()
        assigned = [TopicPartition(settings.topic_deadletter, p) for p in sorted(partitions)]
        if not assigned:
            return []
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = consumer.end_offsets(assigned)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(
            consumer.position(tp) < end for tp, end in ends.items()
        ):
            for batch in consumer.poll(timeout_ms=200, max_records=2000).values():
                for message in batch:
                    record = _decode(message.value)
                    if stage and record.get("stage") != stage:
                        continue
                    records.append(record)
            del records[:-limit]
    finally:
        consumer.close()
    return records


def _decode(value: bytes | None) -> dict[str, Any]:
    try:
        record = json.loads(value or b"")
    except ValueError:
        return {"error": "unreadable dead-letter record", "stage": "?"}
    return record if isinstance(record, dict) else {"error": "not a record", "stage": "?"}


def by_stage_and_reason(records: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(stage, error type, count), the most frequent first."""
    counts = Counter((r.get("stage", "?"), r.get("error_type", "") or "?") for r in records)
    return [(stage, reason, n) for (stage, reason), n in counts.most_common()]
