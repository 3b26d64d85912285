"""The topics the stages read and write, declared on a Faust app.

A module of its own so the app (which registers the stages) and the stages
(which send to the topics) both depend on it instead of on each other.
Values travel as raw bytes and are decoded by the stage harness: a message
that does not decode must reach the dead-letter topic, which Faust's own
record decoding (failing before the agent sees the event) would not allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from contract.settings import Settings


@dataclass(frozen=True)
class ProcessorTopics:
    raw: faust.TopicT
    enriched: faust.TopicT
    alerts: faust.TopicT
    deadletter: faust.TopicT


def create_topics(app: faust.App, settings: Settings) -> ProcessorTopics:
    def topic(name: str) -> faust.TopicT:
        return app.topic(name, key_type=bytes, value_type=bytes)

    return ProcessorTopics(
        raw=topic(settings.topic_raw),
        enriched=topic(settings.topic_enriched),
        alerts=topic(settings.topic_alerts),
        deadletter=topic(settings.topic_deadletter),
    )
