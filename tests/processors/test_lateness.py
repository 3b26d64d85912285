"""A backlog is told by the age of the article a stage reads."""

from __future__ import annotations

import json

from processors.lateness import late_after
from processors.stage import Message


def test_an_article_is_late_when_it_entered_kafka_long_ago():
    late = late_after(3.0, clock=lambda: 1_000.0)

    def article(raw_ms: int | None) -> Message:
        body = {"article": {"id": "a"}} | ({} if raw_ms is None else {"raw_timestamp_ms": raw_ms})
        return Message(value=json.dumps(body).encode())

    assert late(article(996_000))  # 4 s ago: a backlog drains
    assert not late(article(998_000))  # 2 s ago: a stream kept up with
    assert not late(article(None))  # no time given: nothing to go by
    assert not late(Message(value=b"not json"))  # the stage reports it, not this
