"""The alerts index: the history of alerts, and the judge of "first time".

An alert is created with ``op_type=create`` under its deterministic id, so
of all the copies and replays of a story only one creation succeeds; the
others get a 409 conflict and raise nothing. A later copy of the story from
another article (a syndicated copy on another site) is counted on the alert
instead (``copies``, ``sources``, ``last_seen_at``), once per article, so
replays still change nothing.

Each alert also records its delivery ``state`` and which worker claimed it.
A worker that dies between creating an alert and publishing it leaves it
``pending``; when it restarts it re-reads the same message (its offset was
not committed), meets its predecessor's pending claim, waits for the lease
to run out, and takes the alert over. A pending claim of a live worker turns
``sent`` within milliseconds, so waiting costs nothing in the normal case,
and a crash cannot lose an alert.

The index is bounded: :meth:`AlertStore.prune` deletes the alerts whose
story was last seen before the retention window (a copy arriving later is a
new story then), and an alert keeps the ids of its first and newest
``COPY_ARTICLES_KEPT`` copies and its first ``SOURCES_KEPT`` sources, while
``copies`` counts them all. A replay of a copy that fell out of the list is
counted again; replays come within minutes, the list spans far more.

The client is Elasticsearch's asyncio one (``search.client.async_es_client``), so the
stream processor's event loop never waits on a blocking call.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, ConflictError, NotFoundError

from contract.clock import window_start
from contract.errors import RejectedDocument, ServiceUnavailable
from contract.records import Alert
from contract.retry import STORE_RETRY, RetryPolicy, retrying

log = logging.getLogger(__name__)

LEASE_SECONDS = 15.0  # a pending claim older than this is presumed orphaned
POLL_SECONDS = 0.2  # how often to look at someone else's pending claim

# No explicit refresh interval: Elasticsearch's default (1 s) then skips the
# refreshes of a shard nobody has searched for 30 s ("search idle"), and the
# next search refreshes first. Alerts are delivered through Kafka and decided
# by real-time gets, so the history needs no refresh until someone reads it;
# an explicit "1s" refreshed (and merged) the index every second regardless.
ALERTS_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "auto_expand_replicas": "0-1",
}
OLD_REFRESH = "1s"  # what earlier versions set explicitly
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
        "alias": {"type": "keyword"},
        "rule": {"type": "keyword"},
        "entity": {"type": "keyword"},
        "saved_search": {"type": "keyword"},
        "highlights": {"type": "keyword"},
        "state": {"type": "keyword"},  # pending | sent
        "claimed_at": {"type": "date"},
        "claimed_by": {"type": "keyword"},
        "sent_at": {"type": "date"},
        "webhooks_at": {"type": "date"},
        # Syndication: later copies of the story are counted here, not alerted.
        "copies": {"type": "integer"},
        "sources": {"type": "keyword"},
        "copy_articles": {"type": "keyword"},
        "last_seen_at": {"type": "date"},
    },
}
_COPY_FIELDS = ("alias", "rule", "entity", "copies", "sources", "copy_articles", "last_seen_at")
_NEWER_FIELDS = (*_COPY_FIELDS, "saved_search", "highlights")

COPY_ATTEMPTS = 5  # optimistic updates of one alert by racing workers
COPY_ARTICLES_KEPT = 100  # article ids kept on an alert to tell replays from new copies
SOURCES_KEPT = 50  # sources listed on an alert (``copies`` counts every copy)
PRUNE_BATCH = 5000  # alerts deleted per bulk request


def _with_copies(source: dict[str, Any], copies: list[Alert]) -> tuple[dict[str, Any], int]:
    """The alert's copy fields with ``copies`` added, and how many were new."""
    articles = list(source.get("copy_articles") or [source.get("article_id", "")])
    sources = list(source.get("sources") or [source.get("source", "")])
    last_seen = source.get("last_seen_at") or source.get("alerted_at", "")
    counted = int(source.get("copies") or len(articles))
    new = 0
    for alert in copies:
        if alert.article_id in articles:
            continue
        new += 1
        articles.append(alert.article_id)
        if alert.source not in sources and len(sources) < SOURCES_KEPT:
            sources.append(alert.source)
        last_seen = max(last_seen, alert.alerted_at)
    if len(articles) > COPY_ARTICLES_KEPT:  # the first copy, and the newest ones
        articles = articles[:1] + articles[1 - COPY_ARTICLES_KEPT :]
    change = {
        "copy_articles": articles,
        "sources": sources,
        "copies": counted + new,
        "last_seen_at": last_seen,
    }
    return change, new


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
        self,
        es: AsyncElasticsearch,
        index: str,
        *,
        retry: RetryPolicy = STORE_RETRY,
        lease: float = LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        owner: str = "",
    ) -> None:
        self.es = es
        self.index = index
        self.retry = retry
        self.lease = lease
        self.clock = clock
        self.sleep = sleep
        self.owner = owner or uuid.uuid4().hex  # this worker, for as long as it runs
        self._ready = False
        self._marks: list[dict[str, Any]] = []  # bulk update operations not sent yet

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
                # An index made by an older version: add the newer fields, and
                # drop the refresh interval it set (a user's own value stays).
                await self.es.indices.put_mapping(
                    index=self.index,
                    properties={f: ALERTS_MAPPING["properties"][f] for f in _NEWER_FIELDS},
                )
                found = await self.es.indices.get_settings(
                    index=self.index, name="index.refresh_interval"
                )
                if any(
                    v["settings"].get("index", {}).get("refresh_interval") == OLD_REFRESH
                    for v in found.values()
                ):
                    await self.es.indices.put_settings(
                        index=self.index, settings={"index": {"refresh_interval": None}}
                    )
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

    async def claim_many(self, alerts: Sequence[Alert]) -> list[bool | RejectedDocument]:
        """For each alert: True (first time: deliver it), False (seen before), or the
        :class:`RejectedDocument` error when Elasticsearch refuses the document.

        One bulk request creates them all; items that fail for a transient
        reason (429, 5xx) are retried with backoff, never dropped.
        """
        if not alerts:
            return []
        await self.ensure_index()
        claimed_at = _iso(self.clock())
        outcome: list[bool | RejectedDocument | None] = [None] * len(alerts)
        todo, attempt = list(range(len(alerts))), 0
        marks, self._marks = self._marks, []  # queued marks ride on the first request
        while todo:
            ops: list[dict[str, Any]] = list(marks)
            for i in todo:
                doc = self._claim_doc(alerts[i], claimed_at)
                ops += [{"create": {"_index": self.index, "_id": alerts[i].id}}, doc]
            items = await self._send_with_marks(f"create {len(todo)} alerts", ops, marks)
            marks = []
            again = []
            for i, item in zip(todo, items, strict=True):
                status = item["create"]["status"]
                if status < 300:
                    outcome[i] = True
                elif status == 409:
                    outcome[i] = False
                elif status == 429 or status >= 500:
                    again.append(i)
                else:
                    outcome[i] = RejectedDocument(
                        f"alert {alerts[i].id}: Elasticsearch refused ({status}): "
                        f"{item['create'].get('error')}"
                    )
            todo, attempt = again, attempt + 1
            if todo:
                delay = self.retry.delay(attempt)
                log.warning("%d alerts not stored (busy); retrying in %.1fs", len(todo), delay)
                await self.sleep(delay)
        conflicted = [i for i, o in enumerate(outcome) if o is False]
        if conflicted:
            await self.count_copies([alerts[i] for i in conflicted])
            await self._take_over_orphans(
                [alerts[i] for i in conflicted], claimed_at, outcome, conflicted
            )
        return outcome  # type: ignore[return-value]

    def _claim_doc(self, alert: Alert, claimed_at: str) -> dict[str, Any]:
        return {
            **alert.to_dict(),
            "state": "pending",
            "claimed_at": claimed_at,
            "claimed_by": self.owner,
            "copies": 1,
            "sources": [alert.source],
            "copy_articles": [alert.article_id],
            "last_seen_at": alert.alerted_at,
        }

    async def count_copies(self, copies: Sequence[Alert]) -> int:
        """Count each candidate on the alert of its story (a syndicated copy);
        how many were new copies. An article already counted (a replay, or the
        first copy itself) is not counted again. Updates are conditional on
        the version read, so racing workers retry instead of losing a count."""
        if not copies:
            return 0
        await self.ensure_index()
        pending, counted = list(copies), 0
        for _attempt in range(COPY_ATTEMPTS):
            groups: dict[str, list[Alert]] = {}
            for alert in pending:
                groups.setdefault(alert.id, []).append(alert)
            found = await self._call(
                "read alerts for copies",
                partial(self.es.mget, index=self.index, ids=list(groups)),
            )
            ops: list[dict[str, Any]] = []
            sent: list[tuple[str, int]] = []
            for doc in found["docs"]:
                if not doc.get("found"):
                    continue
                change, new = _with_copies(doc["_source"], groups[doc["_id"]])
                if not new:
                    continue
                ops += [
                    {
                        "update": {
                            "_index": self.index,
                            "_id": doc["_id"],
                            "if_seq_no": doc["_seq_no"],
                            "if_primary_term": doc["_primary_term"],
                        }
                    },
                    {"doc": change},
                ]
                sent.append((doc["_id"], new))
            if not ops:
                break
            result = await self._call(
                f"count copies on {len(sent)} alerts", partial(self.es.bulk, operations=ops)
            )
            pending = []
            for (alert_id, new), item in zip(sent, result["items"], strict=True):
                status = item["update"]["status"]
                if status < 300:
                    counted += new
                elif status == 409:
                    pending += groups[alert_id]  # another worker counted meanwhile: re-read
                else:
                    log.warning("could not count copies on %s: %s", alert_id, item["update"])
            if not pending:
                break
        return counted

    async def _take_over_orphans(
        self, alerts: list[Alert], claimed_at: str, outcome: list, positions: list[int]
    ) -> None:
        """Settle conflicts with pending claims of other workers: wait until such a
        claim is sent (a duplicate after all) or its lease runs out (take it over)."""
        waiting = dict(zip(positions, alerts, strict=True))
        while waiting:
            found = await self._call(
                "look up conflicting alerts",
                lambda: self.es.mget(index=self.index, ids=[a.id for a in waiting.values()]),
            )
            for pos, doc in zip(list(waiting), found["docs"], strict=True):
                source = doc.get("_source") or {}
                if (
                    not doc.get("found")
                    or source.get("state") != "pending"
                    or source.get("claimed_by") == self.owner  # ours: sent in an earlier batch
                ):
                    del waiting[pos]
                elif self._lease_expired(source):
                    outcome[pos] = await self._take_over(waiting.pop(pos), doc, claimed_at)
            if waiting:
                log.info("%d alerts pending with another worker; waiting", len(waiting))
                await self.sleep(POLL_SECONDS)

    async def _take_over(self, alert: Alert, doc: dict[str, Any], claimed_at: str) -> bool:
        log.warning("alert %s was left pending by a stopped worker; taking it over", alert.id)
        try:
            await self._call(
                f"take over alert {alert.id}",
                lambda: self.es.index(
                    index=self.index,
                    id=alert.id,
                    document=self._claim_doc(alert, claimed_at),
                    if_seq_no=doc["_seq_no"],
                    if_primary_term=doc["_primary_term"],
                ),
            )
            return True
        except ConflictError:
            return False  # another worker took it over first

    async def mark(self, alert_id: str, state_field: str) -> None:
        """Record a delivery step: ``sent`` (Kafka and log) or ``webhooks``."""
        await self.mark_many([alert_id], state_field)

    async def mark_many(self, alert_ids: Sequence[str], state_field: str) -> None:
        """Record a delivery step of several alerts now (with any queued marks)."""
        self.mark_later(alert_ids, state_field)
        await self.flush_marks()

    def mark_later(self, alert_ids: Sequence[str], state_field: str) -> None:
        """Queue a delivery step to ride on the next request to the store (the next
        :meth:`claim_many` or :meth:`flush_marks`): every request costs Elasticsearch
        milliseconds of CPU whatever it carries, so marks should not travel alone."""
        doc: dict[str, Any] = {f"{state_field}_at": _iso(self.clock())}
        if state_field == "sent":
            doc["state"] = "sent"
        for alert_id in alert_ids:
            self._marks += [{"update": {"_index": self.index, "_id": alert_id}}, {"doc": doc}]

    @property
    def marks_queued(self) -> int:
        return len(self._marks) // 2

    async def flush_marks(self) -> None:
        """Send the queued marks on their own (nothing to send: no request)."""
        marks, self._marks = self._marks, []
        if marks:
            await self._send_with_marks(f"mark {len(marks) // 2} alerts", marks, marks)

    async def _send_with_marks(
        self, what: str, ops: list[dict[str, Any]], marks: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """One bulk request whose first operations are ``marks``; the result
        items of the operations after them. Failed marks are logged; when the
        request itself fails, the marks are queued again."""
        try:
            result = await self._call(what, lambda: self.es.bulk(operations=ops))
        except BaseException:
            self._marks[:0] = marks
            raise
        failed = [
            item["update"]
            for item in result["items"][: len(marks) // 2]
            if item["update"]["status"] >= 300
        ]
        if failed:
            log.warning("could not mark %d alerts: %s", len(failed), failed[:3])
        return result["items"][len(marks) // 2 :]

    async def prune(self, retention_days: int) -> int:
        """Delete the alerts whose story was last seen before the retention
        window (by the store's clock); how many. Nothing when it is 0."""
        cutoff = window_start(self.clock(), retention_days)
        if cutoff is None:
            return 0
        await self.ensure_index()
        before = _iso(cutoff)
        query = {
            "bool": {
                "minimum_should_match": 1,
                "should": [
                    {"range": {"last_seen_at": {"lt": before}}},
                    {
                        "bool": {
                            "must_not": [{"exists": {"field": "last_seen_at"}}],
                            "filter": [{"range": {"alerted_at": {"lt": before}}}],
                        }
                    },
                ],
            }
        }
        deleted = 0
        while True:
            await self._call("refresh alerts", lambda: self.es.indices.refresh(index=self.index))
            found = await self._call(
                "find expired alerts",
                lambda: self.es.search(
                    index=self.index, query=query, size=PRUNE_BATCH, source=False
                ),
            )
            ids = [hit["_id"] for hit in found["hits"]["hits"]]
            if not ids:
                break
            ops: list[dict[str, Any]] = [{"delete": {"_index": self.index, "_id": i}} for i in ids]

            def delete(ops: list[dict[str, Any]] = ops) -> Any:
                return self.es.bulk(operations=ops)

            await self._call(f"delete {len(ids)} expired alerts", delete)
            deleted += len(ids)
            if len(ids) < PRUNE_BATCH:
                break
        if deleted:
            log.info("alerts: deleted %d older than %d days", deleted, retention_days)
        return deleted

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
