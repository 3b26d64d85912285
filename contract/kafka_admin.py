"""Create the service's Kafka topics before anything produces or consumes.

Faust ignores topics that do not exist when a worker starts, and auto-created
topics get one partition; so every entry point calls :func:`ensure_topics`.

Every topic's retention is set explicitly, never left to the broker's
default: the stream topics keep ``kafka_retention_hours``, the dead letters
and the publish ledger ``retention_days`` (0: for ever). Segments roll daily
so that retention, which deletes whole segments, frees space on time. A
topic that exists with another retention is brought to these values.
"""

from __future__ import annotations

import logging

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
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


HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


def _days_ms(days: int) -> str:
    return str(days * DAY_MS) if days > 0 else "-1"


def topic_configs(settings: Settings, name: str) -> dict[str, str]:
    """The configuration the service sets on topic ``name``."""
    if name == ledger_topic(settings):
        # One small record per batch, only the last per writer matters; a writer
        # silent for the whole window (a state file deleted) is forgotten.
        return {
            "cleanup.policy": "compact,delete",
            "segment.ms": str(HOUR_MS),
            "retention.ms": _days_ms(settings.retention_days),
        }
    if name == settings.topic_deadletter:
        retention = _days_ms(settings.retention_days)
    else:
        retention = str(settings.kafka_retention_hours * HOUR_MS)
    segment = min(DAY_MS, int(retention)) if int(retention) > 0 else DAY_MS
    return {"cleanup.policy": "delete", "retention.ms": retention, "segment.ms": str(segment)}


def _new_topic(settings: Settings, name: str) -> NewTopic:
    if name == ledger_topic(settings):
        partitions = 1
    elif name == settings.topic_deadletter:
        partitions = 3
    else:
        partitions = settings.topic_partitions
    return NewTopic(name, partitions, 1, topic_configs=topic_configs(settings, name))


def _align(admin: KafkaAdminClient, settings: Settings, names: list[str]) -> list[str]:
    """Set the service's configuration on existing topics where it differs."""
    if not names:
        return []
    wanted = {n: topic_configs(settings, n) for n in names}
    found = admin.describe_configs(
        [
            ConfigResource(ConfigResourceType.TOPIC, n, configs=dict.fromkeys(wanted[n]))
            for n in names
        ],
        config_filter="all",
    )
    current = {
        name: {key: str(entry.get("value")) for key, entry in configs.items()}
        for name, configs in found.get("topic", {}).items()
    }
    changes = [
        ConfigResource(ConfigResourceType.TOPIC, n, configs=diff)
        for n in names
        if (diff := {k: v for k, v in wanted[n].items() if current.get(n, {}).get(k) != v})
    ]
    if changes:
        admin.alter_configs(changes, incremental=True)
    return [c.name for c in changes]


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
        try:
            aligned = _align(admin, settings, [t for t in topic_names(settings) if t in existing])
        except KafkaError as exc:  # the topics work; their retention is fixed next start
            log.warning("could not check the Kafka topics' retention: %s", exc)
        else:
            if aligned:
                log.info("set the retention of Kafka topics %s", ", ".join(aligned))
        return created
    except KafkaError as exc:
        raise ServiceUnavailable(f"could not create Kafka topics: {exc}") from exc
    finally:
        admin.close()
