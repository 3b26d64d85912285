"""Read a whole topic as a read_committed consumer sees it, to its current end.

"Exactly once" is then counted, not waited for: reading stops when every
partition's position reaches its high watermark (transaction markers
included), so an aborted or duplicated record cannot hide behind a timeout.
"""

from __future__ import annotations

import time
from typing import Any


def read_committed(
    bootstrap: str, topic: str, *, timeout: float = 30.0, isolation: str = "read_committed"
) -> list[Any]:
    """Every committed record of ``topic``, in partition order (with
    ``isolation="read_uncommitted"``: aborted ones too)."""
    from kafka import KafkaConsumer, TopicPartition

    servers = bootstrap.split(",")
    probe = KafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    consumer = KafkaConsumer(
        bootstrap_servers=servers, enable_auto_commit=False, isolation_level=isolation
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(probe.partitions_for_topic(topic) or ())
        ]
        ends = probe.end_offsets(partitions)  # high watermarks
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(p) < ends[p] for p in partitions):
            if time.monotonic() > deadline:
                behind = {p.partition: (consumer.position(p), ends[p]) for p in partitions}
                raise TimeoutError(f"{topic}: not read to its end in {timeout}s: {behind}")
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()
        probe.close()
