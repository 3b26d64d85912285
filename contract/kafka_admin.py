"""Create the service's Kafka topics before anything produces or consumes.

Faust ignores topics that do not exist when a worker starts, and auto-created
topics get one partition; so every entry point calls :func:`ensure_topics`.
"""

from __future__ import annotations

import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from contract.errors import ServiceUnavailable
from contract.settings import Settings

log = logging.getLogger(__name__)


def ledger_topic(settings: Settings) -> str:
    """The poller's publish ledger: which batches each writer committed to the raw topic."""
    return f"{settings.topic_raw}.ledger"


def topic_names(settings: Settings) -> list[str]:
    return [
        settings.topic_raw,
        settings.topic_enriched,
        settings.topic_alerts,
        settings.topic_deadletter,
        ledger_topic(settings),
    ]


def _new_topic(settings: Settings, name: str) -> NewTopic:
    if name == ledger_topic(settings):
        # One small record per batch, only the last per writer matters.
        return NewTopic(
            name,
            1,
            1,
            topic_configs={
                "cleanup.policy": "compact",
                "segment.ms": str(3600 * 1000),
            },
        )
    partitions = 3 if name == settings.topic_deadletter else settings.topic_partitions
    return NewTopic(name, partitions, 1)


def ensure_topics(settings: Settings, *, timeout_ms: int = 15000) -> list[str]:
    """Create missing topics; return the names that were created."""
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
            client_id="newsstream-admin",
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
        )
    except KafkaError as exc:
        raise ServiceUnavailable(
            f"Kafka at {settings.kafka_bootstrap_servers} is unreachable: {exc}"
        ) from exc
    try:
        existing = set(admin.list_topics())
        wanted = [t for t in topic_names(settings) if t not in existing]
        created: list[str] = []
        for name in wanted:
            try:
                admin.create_topics([_new_topic(settings, name)], timeout_ms=timeout_ms)
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("created Kafka topics %s", ", ".join(created))
        return created
    except KafkaError as exc:
        raise ServiceUnavailable(f"could not create Kafka topics: {exc}") from exc
    finally:
        admin.close()
