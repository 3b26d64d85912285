"""Container health checks for the service images (exit 0 healthy, 1 not).

    healthcheck.py http URL     the URL answers 2xx (API /health, poller /metrics)
    healthcheck.py processors [STAGE ...]
                                the consumer group of workers running STAGE (default:
                                enrich, index and alerts) has live members

The processors have no HTTP endpoint, so their check asks Kafka whether the
worker's consumer group is joined: that is what "processing" means.
"""

from __future__ import annotations

import sys
import urllib.request

LIVE_GROUP_STATES = {"Stable", "PreparingRebalance", "CompletingRebalance"}


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


def processors_joined(stages: tuple[str, ...] = ()) -> bool:
    from kafka.admin import KafkaAdminClient

    from contract.settings import Settings
    from processors.groups import DEFAULT_STAGES, app_id_for

    settings = Settings.from_env()
    group = app_id_for(settings, stages or DEFAULT_STAGES)
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        client_id="newsstream-healthcheck",
        request_timeout_ms=5000,
    )
    try:
        groups = admin.list_groups()
    finally:
        admin.close()
    return any(
        g.get("group_id") == group and g.get("group_state") in LIVE_GROUP_STATES for g in groups
    )


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "http":
        return 0 if http_ok(argv[1]) else 1
    if argv[:1] == ["processors"]:
        try:
            return 0 if processors_joined(tuple(argv[1:])) else 1
        except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy"
            print(f"unhealthy: {exc}", file=sys.stderr)
            return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
