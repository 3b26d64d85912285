"""How far the pipeline has got, read from the outside: the live status of `newsstream run`.

Every figure comes from where the data lands (the poller's state file,
Kafka's offsets, Elasticsearch's counts), so it is true whatever process
produced it, across restarts and any number of workers.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

from contract.settings import Settings

log = logging.getLogger(__name__)
#: A gap this small between committed and end offsets may be commit markers only.
MARKER_SLACK = 3


@dataclass(frozen=True)
class PipelineStatus:
    feeds_polled: int = 0
    feeds_failing: int = 0
    published: int = 0
    enriched: int = 0  # articles on the enriched topic, a recogniser's second versions aside
    indexed: int = 0
    alerts: int = 0
    lag: int | None = None  # messages on the raw and enriched topics not yet processed
    recognised: int | None = None  # indexed articles with statistical names; None: no recogniser

    def line(self) -> str:
        failing = f" ({self.feeds_failing} failing)" if self.feeds_failing else ""
        lag = "?" if self.lag is None else str(self.lag)
        recognised = "" if self.recognised is None else f" · recognised {self.recognised}"
        return (
            f"feeds polled {self.feeds_polled}{failing} · new articles {self.published} · "
            f"enriched {self.enriched} · indexed {self.indexed}{recognised} · "
            f"alerts {self.alerts} · lag {lag}"
        )


class StatusReader:
    """Holds the clients between readings; :meth:`read` never raises."""

    def __init__(
        self,
        settings: Settings,
        group: str,
        recognise_group: str | None = None,
        recognised_version: str = "",
    ) -> None:
        """``recognise_group`` is the recognisers' consumer group, when they run;
        ``recognised_version`` the key of ``versions`` they stamp on what they read."""
        self.settings = settings
        self.group = group
        self.recognise_group = recognise_group
        self.recognised_version = recognised_version
        self._consumer: Any = None
        self._admin: Any = None
        self._es: Any = None

    def read(self) -> PipelineStatus:
        feeds, failing, published = self._poller()
        enriched, lag = self._kafka()
        recognised = None
        if self.recognise_group is not None:
            recognised = self._count(
                self.settings.index_articles,
                {"exists": {"field": f"versions.{self.recognised_version}"}},
            )
            # A recogniser sends each article it reads back to the enriched topic once:
            # those second versions are not more enriched articles.
            enriched = max(0, enriched - recognised)
        return PipelineStatus(
            feeds_polled=feeds,
            feeds_failing=failing,
            published=published,
            enriched=enriched,
            indexed=self._count(self.settings.index_articles),
            alerts=self._count(self.settings.index_alerts),
            lag=lag,
            recognised=recognised,
        )

    def _poller(self) -> tuple[int, int, int]:
        from ingest.state import State

        path = self.settings.data_path / State.FILENAME
        if not path.exists():
            return 0, 0, 0
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
            try:
                polled, failing = db.execute(
                    "SELECT count(last_poll), coalesce(sum(error_streak > 0), 0) FROM feeds"
                ).fetchone()
                published = db.execute("SELECT count(*) FROM seen").fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:
            return 0, 0, 0
        return int(polled), int(failing), int(published)

    def _kafka(self) -> tuple[int, int | None]:
        from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

        servers = self.settings.kafka_bootstrap_servers.split(",")
        try:
            if self._consumer is None:
                self._consumer = KafkaConsumer(
                    bootstrap_servers=servers,
                    group_id=None,
                    enable_auto_commit=False,
                    isolation_level="read_committed",
                    request_timeout_ms=10_000,
                )
                self._admin = KafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=10_000)

            def partitions(topic: str) -> list[TopicPartition]:
                found = self._consumer.partitions_for_topic(topic) or set()
                return [TopicPartition(topic, p) for p in sorted(found)]

            enriched_parts = partitions(self.settings.topic_enriched)
            raw_parts = partitions(self.settings.topic_raw)
            ends = self._consumer.end_offsets(raw_parts + enriched_parts)
            starts = self._consumer.beginning_offsets(enriched_parts) if enriched_parts else {}
            enriched = sum(ends[tp] - starts[tp] for tp in enriched_parts)

            def behind(group: str, parts: list[TopicPartition]) -> int:
                committed = self._admin.list_group_offsets(group).get(group, {})
                gaps = {}
                for tp in parts:
                    done = committed.get(tp)
                    start = done.offset if done and done.offset >= 0 else starts.get(tp, 0)
                    gaps[tp] = (start, ends[tp])
                return self._records_between(gaps)

            lag = behind(self.group, raw_parts + enriched_parts)
            if self.recognise_group is not None:
                lag += behind(self.recognise_group, enriched_parts)
            return enriched, lag
        except Exception as exc:  # noqa: BLE001 - a status line must not stop the service
            log.debug("status from Kafka: %s", exc)
            self._close_kafka()
            return 0, None

    def _records_between(self, gaps: dict[Any, tuple[int, int]]) -> int:
        """Records in [start, end) per partition. A transaction's commit marker takes an
        offset but is no record, so a small gap is read to tell markers from work."""
        lag, small = 0, {}
        for tp, (start, end) in gaps.items():
            if 0 < end - start <= MARKER_SLACK:
                small[tp] = (start, end)
            else:
                lag += max(0, end - start)
        if small:
            self._consumer.assign(list(small))
            for tp, (start, _) in small.items():
                self._consumer.seek(tp, start)
            for tp, records in self._consumer.poll(timeout_ms=300).items():
                lag += sum(1 for r in records if r.offset < small[tp][1])
            self._consumer.assign([])
        return lag

    def _count(self, index: str, query: dict | None = None) -> int:
        from elasticsearch import ApiError, TransportError

        from search.client import es_client

        if self._es is None:
            self._es = es_client(self.settings, request_timeout=5)
        try:
            return int(
                self._es.count(
                    index=index, query=query, ignore_unavailable=True, allow_no_indices=True
                )["count"]
            )
        except (ApiError, TransportError):
            return 0

    def _close_kafka(self) -> None:
        for client in (self._consumer, self._admin):
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close()
        self._consumer = self._admin = None

    def close(self) -> None:
        self._close_kafka()
        if self._es is not None:
            self._es.close()
            self._es = None


class StatusFeed:
    """Reads the status every ``every`` seconds in a thread of its own, so a server
    that does not answer slows the status line, never the supervision beside it."""

    def __init__(self, reader: StatusReader, every: float) -> None:
        self.reader = reader
        self.every = every
        self.latest: PipelineStatus | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="status", daemon=True)

    def start(self) -> StatusFeed:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.latest = self.reader.read()
            self._stop.wait(self.every)

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.reader.close()
