"""Settings private to one run, and the environment that carries them to a subprocess.

Tests and benchmarks share one Kafka and one Elasticsearch with the service:
each run names its own topics, consumer group, indices and state directory,
and hands them to the workers it starts as ``NEWSSTREAM_*`` variables.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

from contract.redact import Secret
from contract.settings import PREFIX, Settings


def isolated_settings(
    unique: str, data_dir: Path | str, *, prefix: str = "t", **overrides: object
) -> Settings:
    """Settings whose topics, group, indices and state belong to ``unique`` alone."""
    tag = prefix + unique
    values: dict[str, object] = dict(
        topic_raw=f"{tag}.news.articles.raw",
        topic_enriched=f"{tag}.news.articles.enriched",
        topic_alerts=f"{tag}.news.alerts",
        topic_deadletter=f"{tag}.news.deadletter",
        topic_partitions=2,
        processor_group=f"{tag}-processors",
        index_articles=f"{tag}-news-articles",
        index_alerts=f"{tag}-news-alerts",
        data_dir=str(data_dir),
    )
    values.update(overrides)
    return Settings.from_env(None, **values)


def settings_env(settings: Settings) -> dict[str, str]:
    """This process's environment with ``settings`` as ``NEWSSTREAM_*`` variables,
    so a subprocess reads the same settings."""
    env = dict(os.environ)
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, Secret):
            value = value.reveal()
        env[PREFIX + f.name.upper()] = str(value)
    return env
