"""Park what a stage could not process on the dead-letter topic, with why."""

from __future__ import annotations

import logging

import faust

from newsstream.contract.records import dead_letter_for, encode

log = logging.getLogger(__name__)


async def park(
    deadletter: faust.TopicT, event: faust.EventT | None, raw: bytes | None,
    exc: BaseException, *, stage: str,
) -> None:
    """Send the original bytes and the error to the dead-letter topic."""
    message = event.message if event is not None else None
    record = dead_letter_for(
        raw, exc, stage=stage,
        topic=message.topic if message else "",
        partition=message.partition if message else -1,
        offset=message.offset if message else -1,
        key=message.key if message else None,
    )
    log.warning(
        "%s: parked message %s[%s]@%s on dead-letter topic: %s: %s",
        stage, record.topic, record.partition, record.offset, record.error_type, record.error,
    )
    await deadletter.send(key=(record.key or None) and record.key.encode(), value=encode(record))
