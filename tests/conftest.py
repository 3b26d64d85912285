"""Shared fixtures: real servers, isolated names, and the no-skip rule.

Tests that need Kafka or Elasticsearch use the ``kafka_bootstrap`` /
``es_client`` fixtures. A missing server (or tool) fails those tests with the
command that provides it, never skips them: a run that cannot reach the real
servers must not look green. ``deploy/test`` starts the servers first.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from contract.isolated import isolated_settings
from contract.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BASE = Settings.from_env()


def missing(what: str, remedy: str) -> None:
    """Fail the test: something it needs is not there (never a silent skip)."""
    pytest.fail(f"{what}; {remedy}", pytrace=False)


def _unreachable(what: str, detail: str) -> None:
    missing(f"{what} is not reachable ({detail})", "start it with: deploy/stack up")


def _tcp_ok(hostport: str) -> bool:
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """Bootstrap servers of a Kafka that answers metadata requests."""
    servers = BASE.kafka_bootstrap_servers
    first = servers.split(",")[0]
    if not _tcp_ok(first):
        _unreachable("Kafka", servers)
    from kafka import KafkaAdminClient

    try:
        KafkaAdminClient(bootstrap_servers=servers.split(","), request_timeout_ms=10000).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        _unreachable("Kafka", f"{servers}: {exc}")
    return servers


@pytest.fixture(scope="session")
def es_client():
    """An Elasticsearch client for a cluster whose health is yellow or green."""
    from elasticsearch import Elasticsearch

    client = Elasticsearch(BASE.es_url, request_timeout=30)
    try:
        health = client.cluster.health(wait_for_status="yellow", timeout="10s")
    except Exception as exc:  # noqa: BLE001
        _unreachable("Elasticsearch", f"{BASE.es_url}: {exc}")
    if health["status"] not in ("yellow", "green"):
        _unreachable("Elasticsearch", f"cluster health is {health['status']}")
    yield client
    client.close()


@pytest.fixture
def unique() -> str:
    """A short unique token for topic and index names of one test."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def settings(tmp_path: Path, unique: str) -> Settings:
    """Settings with topics, indices and state private to this test."""
    return isolated_settings(
        unique, tmp_path / "data", allow_private_networks=True, bulk_interval=0.2
    )
