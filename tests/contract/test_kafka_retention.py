"""Every topic the service creates has its retention set, from the settings (real Kafka)."""

from __future__ import annotations

import dataclasses

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

from contract.kafka_admin import ensure_topics, ledger_topic, topic_names

pytestmark = pytest.mark.kafka

HOUR_MS = 3600 * 1000


def retention_of(admin: KafkaAdminClient, names: list[str]) -> dict[str, tuple[str, str]]:
    found = admin.describe_configs(
        [
            ConfigResource(
                ConfigResourceType.TOPIC, n, configs={"retention.ms": None, "cleanup.policy": None}
            )
            for n in names
        ],
        config_filter="all",
    )
    return {
        name: (c["retention.ms"]["value"], c["cleanup.policy"]["value"])
        for name, c in found["topic"].items()
    }


@pytest.fixture
def admin(kafka_bootstrap, settings):
    client = KafkaAdminClient(bootstrap_servers=kafka_bootstrap.split(","))
    yield client
    existing = set(client.list_topics())
    client.delete_topics([t for t in topic_names(settings) if t in existing])
    client.close()


def test_created_topics_carry_the_retention_of_the_settings(admin, settings, kafka_bootstrap):
    settings = dataclasses.replace(
        settings,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_retention_hours=48,
        retention_days=7,
    )
    ensure_topics(settings)
    found = retention_of(admin, topic_names(settings))
    week = str(7 * 24 * HOUR_MS)
    assert found == {
        settings.topic_raw: (str(48 * HOUR_MS), "delete"),
        settings.topic_enriched: (str(48 * HOUR_MS), "delete"),
        settings.topic_alerts: (str(48 * HOUR_MS), "delete"),
        settings.topic_deadletter: (week, "delete"),
        ledger_topic(settings): (week, "compact,delete"),
    }


def test_an_existing_topic_is_brought_to_the_configured_retention(admin, settings, kafka_bootstrap):
    settings = dataclasses.replace(
        settings, kafka_bootstrap_servers=kafka_bootstrap, kafka_retention_hours=24
    )
    admin.create_topics([NewTopic(settings.topic_raw, 1, 1)])  # the broker's default retention
    ensure_topics(settings)
    assert retention_of(admin, [settings.topic_raw])[settings.topic_raw] == (
        str(24 * HOUR_MS),
        "delete",
    )
