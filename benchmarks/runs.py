"""Removing what a benchmark run left on the shared servers: its topics, Faust's
own topics and groups named after the run's group, its indices and templates."""

from __future__ import annotations

import sys

from contract.settings import Settings


def drop_run(settings: Settings) -> None:
    """Delete the run's Kafka topics and groups and its Elasticsearch indices and
    templates; a failure is printed, never raised (leftovers carry the run's tag)."""
    from elasticsearch import Elasticsearch
    from kafka import KafkaAdminClient

    from contract.kafka_admin import topic_names
    from search.layout import IndexLayout

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
    try:
        mine = set(topic_names(settings))
        admin.delete_topics(
            [
                t
                for t in admin.list_topics()
                if t in mine or t.startswith(settings.processor_group + "-")
            ]
        )
        groups = [g["group_id"] for g in admin.list_groups()]
        ours = [g for g in groups if g.startswith(settings.processor_group)]
        if ours:
            admin.delete_groups(ours)
    except Exception as exc:  # noqa: BLE001
        print(f"cleanup (Kafka): {exc}", file=sys.stderr)
    finally:
        admin.close()
    es = Elasticsearch(settings.es_url, request_timeout=60)
    try:
        for pattern in (f"{settings.index_articles}*", f"{settings.index_alerts}*"):
            for name in es.indices.get(index=pattern, expand_wildcards="all"):
                es.indices.delete(index=name)
        layout = IndexLayout(settings.index_articles)
        quiet = es.options(ignore_status=404)
        quiet.indices.delete_index_template(name=layout.template)
        for name in (layout.settings_component, layout.mappings_component):
            quiet.cluster.delete_component_template(name=name)
    except Exception as exc:  # noqa: BLE001
        print(f"cleanup (Elasticsearch): {exc}", file=sys.stderr)
    finally:
        es.close()
