"""The alerts index: the history of alerts, and the judge of "first time".

An alert is created with ``op_type=create`` under its deterministic id, so
of all the copies and replays of a story only one creation succeeds; the
others get a 409 conflict and are dropped as duplicates. Each alert records
its delivery ``state``: a worker that dies between creating an alert and
publishing it leaves it ``pending``, and the next copy or replay that finds
a pending alert older than the lease takes it over, so a crash cannot lose
an alert either.

The client is Elasticsearch's asyncio one, so the stream processor's event
loop never waits on a blocking call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, ConflictError, NotFoundError

from newsstream.contract.errors import RejectedDocument, ServiceUnavailable
from newsstream.contract.records import Alert
from newsstream.contract.settings import Settings
from processors.alerts.retry import STORE_RETRY, RetryPolicy, retrying

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0  # a pending alert older than this is presumed orphaned

ALERTS_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "auto_expand_replicas": "0-1",
    "refresh_interval": "1s",
}
ALERTS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "id": {"type": "keyword"},
        "actor_id": {"type": "keyword"},
        "actor_name": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "actor_kind": {"type": "keyword"},
        "article_id": {"type": "keyword"},
        "story_id": {"type": "keyword"},
        "title": {"type": "text"},
        "url": {"type": "keyword", "index": False},
        "source": {"type": "keyword"},
        "language": {"type": "keyword"},
        "published": {"type": "date", "ignore_malformed": True},
        "matched_text": {"type": "text"},
        "snippet": {"type": "text"},
        "raw_timestamp_ms": {"type": "long"},
        "alerted_at": {"type": "date"},
        "latency_ms": {"type": "long"},
        "state": {"type": "keyword"},  # pending | sent
        "claimed_at": {"type": "date"},
        "sent_at": {"type": "date"},
        "webhooks_at": {"type": "date"},
    },
}


def async_es_client(settings: Settings, *, request_timeout: float = 10.0) -> AsyncElasticsearch:
    """The asyncio twin of ``search.client.es_client``, for code on an event loop."""
    kwargs: dict[str, object] = {
        "request_timeout": request_timeout,
        "retry_on_timeout": True,
        "max_retries": 2,
    }
    if settings.es_api_key:
        kwargs["api_key"] = settings.es_api_key
    elif settings.es_username:
        kwargs["basic_auth"] = (settings.es_username, settings.es_password)
    if settings.es_url.startswith("https"):
        kwargs["verify_certs"] = settings.es_verify_certs
    return AsyncElasticsearch(settings.es_url, **kwargs)  # type: ignore[arg-type]


def _iso(epoch_s: float) -> str:
    when = datetime.fromtimestamp(epoch_s, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _translate(exc: Exception, what: str) -> Exception:
    """Elasticsearch errors mapped onto retry (5xx, 429, network) or give up (4xx)."""
    if isinstance(exc, ApiError):
        status = exc.meta.status
        if status >= 500 or status == 429:
            return ServiceUnavailable(f"{what}: Elasticsearch answered {status}: {exc}")
        return RejectedDocument(f"{what}: Elasticsearch refused ({status}): {exc}")
    return ServiceUnavailable(f"{what}: Elasticsearch unreachable: {exc}")


class AlertStore:
    """Create-if-absent for alerts, with delivery state, on one index."""

    def __init__(
        self, es: AsyncElasticsearch, index: str, *, retry: RetryPolicy = STORE_RETRY,
        lease: float = LEASE_SECONDS, clock: Callable[[], float] = time.time,
    ) -> None:
        self.es = es
        self.index = index
        self.retry = retry
        self.lease = lease
        self.clock = clock
        self._ready = False

    async def _call(self, what: str, make: Callable[[], Any]) -> Any:
        async def attempt() -> Any:
            try:
                return await make()
            except (ConflictError, NotFoundError):
                raise
            except (ApiError, TransportConnectionError, TransportError) as exc:
                raise _translate(exc, what) from exc

        return await retrying(attempt, self.retry, what)

    async def ensure_index(self) -> None:
        """Create the index with its mapping unless it exists (safe to race)."""
        if self._ready:
            return

        async def create() -> None:
            if await self.es.indices.exists(index=self.index):
                return
            try:
                await self.es.indices.create(
                    index=self.index, settings=ALERTS_SETTINGS, mappings=ALERTS_MAPPING
                )
                log.info("created alerts index %s", self.index)
            except ApiError as exc:
                if "resource_already_exists" not in str(exc):
                    raise

        await self._call(f"create index {self.index}", create)
        self._ready = True

    async def claim(self, alert: Alert) -> bool:
        """True when this is the first time for ``alert.id`` (deliver it), else False."""
        await self.ensure_index()
        doc = {**alert.to_dict(), "state": "pending", "claimed_at": _iso(self.clock())}
        try:
            await self._call(
                f"create alert {alert.id}",
                lambda: self.es.create(index=self.index, id=alert.id, document=doc),
            )
            return True
        except ConflictError:
            pass
        try:
            existing = await self._call(
                f"get alert {alert.id}", lambda: self.es.get(index=self.index, id=alert.id)
            )
        except NotFoundError:
            return False
        source = existing["_source"]
        if source.get("state") != "pending" or not self._lease_expired(source):
            return False
        log.warning("alert %s was left pending by a stopped worker; taking it over", alert.id)
        try:
            await self._call(
                f"take over alert {alert.id}",
                lambda: self.es.index(
                    index=self.index, id=alert.id, document=doc,
                    if_seq_no=existing["_seq_no"], if_primary_term=existing["_primary_term"],
                ),
            )
            return True
        except ConflictError:
            return False

    async def mark(self, alert_id: str, state_field: str) -> None:
        """Record a delivery step: ``sent`` (Kafka and log) or ``webhooks``."""
        now = _iso(self.clock())
        doc: dict[str, Any] = {f"{state_field}_at": now}
        if state_field == "sent":
            doc["state"] = "sent"
        try:
            await self._call(
                f"mark alert {alert_id} {state_field}",
                lambda: self.es.update(index=self.index, id=alert_id, doc=doc),
            )
        except (NotFoundError, ConflictError) as exc:
            log.warning("could not mark alert %s %s: %s", alert_id, state_field, exc)

    async def get(self, alert_id: str) -> dict[str, Any] | None:
        try:
            found = await self._call(
                f"get alert {alert_id}", lambda: self.es.get(index=self.index, id=alert_id)
            )
        except NotFoundError:
            return None
        return found["_source"]

    def _lease_expired(self, source: dict[str, Any]) -> bool:
        try:
            claimed = datetime.fromisoformat(str(source["claimed_at"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return True
        return self.clock() - claimed.timestamp() > self.lease

    async def close(self) -> None:
        await self.es.close()
