"""The Faust application; its topics are in ``processors.topics``, its stages
in feature packages, each run by the harness in ``processors.stage``.

The app is built by a factory from explicit settings, so a test or a second
worker can run with other topic names without touching the environment.
"""

from __future__ import annotations

from pathlib import Path

import faust

from contract.settings import Settings
from processors.groups import DEFAULT_STAGES, STAGES
from processors.topics import ProcessorTopics, create_topics
from processors.transport import use_read_committed


def broker_urls(servers: str) -> list[str]:
    return ["kafka://" + s.strip() for s in servers.split(",") if s.strip()]


def create_app(settings: Settings, *, app_id: str | None = None) -> faust.App:
    """A Faust app for ``settings``; call :func:`register_stages` to add agents."""
    datadir = Path(settings.data_dir) / "faust"
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        app_id or settings.processor_group,
        broker=broker_urls(settings.kafka_bootstrap_servers),
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
        topic_allow_declare=True,
        datadir=str(datadir),
        store="memory://",
        web_enabled=False,
        broker_commit_every=100,
        broker_commit_interval=1.0,
        # A crashed worker's partitions move to the others after this long
        # (Faust's default of 60 s leaves them idle for a minute).
        broker_session_timeout=20.0,
        producer_acks=-1,
        # Batch sends for a few milliseconds: it raises throughput under load
        # markedly (measured 175 -> 236 articles/s at load 6) for <= 10 ms latency.
        producer_linger=0.01,
        producer_max_batch_size=1048576,
        # At shutdown and rebalance, do not wait for every message in flight to be
        # acknowledged: the stage harness leaves a message it could not even park
        # unacknowledged on purpose (it is delivered again), and waiting for it
        # would hang the worker. What is not acknowledged is not committed.
        stream_wait_empty=False,
    )
    use_read_committed(app)  # the poller publishes in transactions
    return app


def register_stages(
    app: faust.App, settings: Settings, stages: tuple[str, ...] = DEFAULT_STAGES
) -> ProcessorTopics:
    """Attach the agents of the chosen stages; each stage scales on its own.

    Stages warm up (models, gazetteers) here, before the worker starts and
    joins its consumer group, so the first batch is not held up by loading.
    """
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s): {', '.join(sorted(unknown))}")
    topics = create_topics(app, settings)
    if "enrich" in stages:
        from processors.enrichment.agents import register as register_enrich

        register_enrich(app, topics, settings)
    if "index" in stages:
        from processors.indexing.agents import register as register_index

        register_index(app, topics, settings)
    if "alerts" in stages:
        from processors.alerts.agents import register as register_alerts

        register_alerts(app, topics, settings)
    if "recognise" in stages:
        from processors.recognition.agents import register as register_recognise

        register_recognise(app, topics, settings)
    return topics
