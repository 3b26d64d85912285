"""Prometheus metrics of the poller, on a registry of its own.

Each :class:`Metrics` owns a ``CollectorRegistry`` (tests and the benchmark
create several pollers in one process); :func:`serve` exposes one on
``settings.metrics_port`` when that is above 0.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.feeds_polled = Counter(
            "newsstream_ingest_feeds_polled_total",
            "Feed polls by result",
            ["result"],
            registry=r,
        )
        self.not_modified = Counter(
            "newsstream_ingest_not_modified_total",
            "Polls answered 304 Not Modified",
            registry=r,
        )
        self.errors = Counter(
            "newsstream_ingest_feed_errors_total",
            "Failed polls by kind",
            ["kind"],
            registry=r,
        )
        self.feed_problems = Counter(
            "newsstream_ingest_feed_problems_total",
            "Feeds that parsed with problems (malformed XML, bad encoding, entities removed)",
            registry=r,
        )
        self.items = Counter(
            "newsstream_ingest_items_total",
            "Entries seen, by disposition (new, updated, duplicate, unreadable)",
            ["disposition"],
            registry=r,
        )
        self.published = Counter(
            "newsstream_ingest_articles_published_total",
            "Articles acknowledged by Kafka",
            registry=r,
        )
        self.publish_failures = Counter(
            "newsstream_ingest_publish_failures_total",
            "Publish attempts that left articles pending",
            registry=r,
        )
        self.pending = Gauge(
            "newsstream_ingest_pending_articles",
            "Articles waiting for a Kafka ack",
            registry=r,
        )
        self.fetch_seconds = Histogram(
            "newsstream_ingest_fetch_seconds",
            "Time to fetch one feed",
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.publish_latency = Histogram(
            "newsstream_ingest_publish_latency_seconds",
            "Time from send to Kafka acknowledgement, per article",
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


def serve(metrics: Metrics, port: int) -> Any:
    """Expose ``/metrics`` on ``port``; returns the server (None for port 0)."""
    if port <= 0:
        return None
    server, _thread = start_http_server(port, registry=metrics.registry)
    return server
