"""Bulk-index a batch of enriched articles, retrying what may heal.

Input is what a consumer holds: ``(meta, EnrichedArticle)`` pairs, decoded
by the caller (the stage harness decodes and parks what does not decode),
where ``meta`` is anything the caller needs back (a message, an offset).
The outcome sorts every input into exactly one of three lists:

- ``indexed``: Elasticsearch acknowledged the document, or already holds a
  later version of it (see below);
- ``rejected``: Elasticsearch refused it (mapping conflict, bad value: a 4xx
  for that item) -- :class:`RejectedDocument`, to be dead-lettered;
- ``invalid``: no search document can be built from the record (values of
  the wrong kind) -- :class:`InvalidMessage`.

Which version of an article the index keeps is decided by the contract's
:func:`contract.records.revision` (the raw message's time, then the pass:
the recogniser's version with statistical names beats the fast path's), sent
as the document's external version (``version_type=external_gte``):
Elasticsearch keeps the highest whatever order versions arrive in, and
answers a lower one with a version conflict, which means the article is
indexed already in a later version. In one batch only each document's
winning version is sent.

Whole-request failures that may heal (connection refused, timeouts, HTTP
429/5xx) and per-item 429/5xx are retried with exponential backoff
(:mod:`contract.retry`); the documents already acknowledged are not sent
again. After ``max_attempts`` (``None``: never give up) a
:class:`ServiceUnavailable` is raised and the caller must not commit. A
whole request Elasticsearch refuses (any other 4xx: 413 for a batch too
large, 400, 401, 403) raises :class:`RefusedRequest` at once: retrying
cannot help, and the stage harness splits the batch until the refused part
stands alone and is parked.
The article id is the ``_id`` and the index follows from the published date
(:mod:`search.layout`), so repeating a batch is harmless.

The batch logic is plain (:class:`BulkRun`); :class:`BulkIndexer` and
:class:`AsyncBulkIndexer` only add the client call and the retry policy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import orjson
from elasticsearch import AsyncElasticsearch, Elasticsearch

from contract.errors import (
    InvalidMessage,
    PermanentError,
    RefusedRequest,
    RejectedDocument,
    ServiceUnavailable,
)
from contract.records import EnrichedArticle, revision, utcnow_iso
from contract.retry import RetryPolicy, async_attempts, attempts
from search.documents import to_document
from search.errors import ES_ERRORS, classify, is_retryable_status
from search.layout import IndexLayout

log = logging.getLogger(__name__)

M = TypeVar("M")


DEFAULT_BACKOFF = RetryPolicy(attempts=None, base_delay=0.5, max_delay=30.0, jitter=0.2)


@dataclass
class Failure(Generic[M]):
    """An input that will never index, with why."""

    meta: M
    error: PermanentError


@dataclass
class BulkOutcome(Generic[M]):
    indexed: list[tuple[M, str]] = field(default_factory=list)
    rejected: list[Failure[M]] = field(default_factory=list)
    invalid: list[Failure[M]] = field(default_factory=list)
    attempts: int = 0


@dataclass
class _Pending(Generic[M]):
    meta: M
    revision: int
    doc_id: str
    index: str
    header: bytes
    body: bytes


def _dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (orjson: a bulk line costs a fraction of ``json.dumps``)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def is_superseded(status: int, error: Any) -> bool:
    """Elasticsearch holds a higher revision of the document (external versioning)."""
    return (
        status == 409
        and isinstance(error, dict)
        and error.get("type") == "version_conflict_engine_exception"
    )


def _reason(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    cause = error.get("caused_by")
    if isinstance(cause, dict):
        text += f" (caused by {cause.get('type', '')}: {cause.get('reason', '')})"
    return text


class BulkRun(Generic[M]):
    """One batch on its way into Elasticsearch: what is left, what is done."""

    def __init__(
        self,
        batch: Sequence[tuple[M, EnrichedArticle]],
        layout: IndexLayout,
        analysed_languages: frozenset[str] = frozenset(),
    ) -> None:
        self.outcome: BulkOutcome[M] = BulkOutcome()
        self.pending: list[_Pending[M]] = []
        # Losing versions of a document the batch writes more than once, by
        # (index, id), lowest revision first.
        self.superseded: dict[tuple[str, str], list[_Pending[M]]] = {}
        indexed_at = utcnow_iso()
        for meta, enriched in batch:
            try:
                index = layout.index_for(enriched.article.published)
                doc = to_document(
                    enriched, analysed_languages=analysed_languages, indexed_at=indexed_at
                )
                version = revision(enriched)
                header = _dumps(
                    {
                        "index": {
                            "_index": index,
                            "_id": enriched.id,
                            "version": version,
                            "version_type": "external_gte",
                        }
                    }
                )
                body = _dumps(doc)
            except InvalidMessage as exc:
                self.outcome.invalid.append(Failure(meta, exc))
                continue
            except (TypeError, ValueError, AttributeError, KeyError) as exc:
                # Decoded, but with values of the wrong kind (the decoder is lenient).
                error = InvalidMessage(f"cannot build a search document: {exc!r}")
                self.outcome.invalid.append(Failure(meta, error))
                continue
            self.pending.append(_Pending(meta, version, enriched.id, index, header, body))
        self.pending = self._winning_versions(self.pending)

    def _winning_versions(self, pending: list[_Pending[M]]) -> list[_Pending[M]]:
        """One operation per document: the batch's winning version of it.

        An article written twice in one batch (the fast path's version and
        the statistical one) would cost Elasticsearch two index operations
        for one document; the highest revision wins (of equal ones the last,
        as Elasticsearch would keep it), the others are counted as indexed
        when it is, and the best of them is sent on its own only if it is
        refused.
        """
        winners: dict[tuple[str, str], _Pending[M]] = {}
        for item in pending:
            key = (item.index, item.doc_id)
            held = winners.get(key)
            if held is not None and item.revision < held.revision:
                self.superseded.setdefault(key, []).append(item)
                continue
            if held is not None:
                self.superseded.setdefault(key, []).append(held)
            winners[key] = item
        for losers in self.superseded.values():
            losers.sort(key=lambda item: item.revision)
        return list(winners.values())

    @property
    def done(self) -> bool:
        return not self.pending

    def operations(self) -> list[bytes]:
        lines: list[bytes] = []
        for item in self.pending:
            lines.append(item.header)
            lines.append(item.body)
        return lines

    def absorb(self, response: Any) -> str | None:
        """Take a bulk response; keep the items worth retrying. Returns why, if any."""
        self.outcome.attempts += 1
        items = getattr(response, "body", response).get("items", [])
        if len(items) != len(self.pending):
            return f"bulk response has {len(items)} items for {len(self.pending)} documents"
        retry: list[_Pending[M]] = []
        last_error = ""
        for item, result in zip(self.pending, items, strict=True):
            result = next(iter(result.values()))
            status = int(result.get("status", 500))
            key = (item.index, item.doc_id)
            earlier = self.superseded.pop(key, [])
            if status < 300 or is_superseded(status, result.get("error")):
                self.outcome.indexed.extend((e.meta, e.doc_id) for e in earlier)
                self.outcome.indexed.append((item.meta, item.doc_id))
            elif is_retryable_status(status):
                if earlier:
                    self.superseded[key] = earlier
                retry.append(item)
                last_error = _reason(result.get("error"))
            else:
                error = RejectedDocument(
                    f"{item.index}/{item.doc_id}: HTTP {status}: {_reason(result.get('error'))}"
                )
                self.outcome.rejected.append(Failure(item.meta, error))
                retry.extend(earlier[-1:])  # the version before it may still index
                if len(earlier) > 1:
                    self.superseded[key] = earlier[:-1]
        self.pending = retry
        if retry:
            return f"{len(retry)} documents refused for now: {last_error}"
        return None

    def failed(self, exc: Exception) -> RefusedRequest | ServiceUnavailable:
        """A whole-request failure, classified once: what may heal is retried."""
        self.outcome.attempts += 1
        return classify(exc, f"bulk of {len(self.pending)} documents")

    @staticmethod
    def check(why: str | None) -> None:
        """After a bulk response: what is left pending is retried."""
        if why is not None:
            raise ServiceUnavailable(why)


@dataclass
class IndexerConfig:
    """What both indexers share: where documents go and how hard to retry."""

    layout: IndexLayout
    analysed_languages: frozenset[str] = frozenset()
    backoff: RetryPolicy = DEFAULT_BACKOFF
    max_attempts: int | None = 8
    refresh: bool | str = False

    @property
    def policy(self) -> RetryPolicy:
        return replace(self.backoff, attempts=self.max_attempts)


def _gave_up(run: BulkRun[Any], exc: ServiceUnavailable) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"Elasticsearch did not accept {len(run.pending)} documents "
        f"after {run.outcome.attempts} attempts: {exc}"
    )


class BulkIndexer:
    """Synchronous bulk indexing (CLI, benchmarks, scripts)."""

    def __init__(
        self,
        client: Elasticsearch,
        config: IndexerConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.config = config
        self._sleep = sleep

    def index(self, batch: Sequence[tuple[M, EnrichedArticle]]) -> BulkOutcome[M]:
        cfg = self.config
        run: BulkRun[M] = BulkRun(batch, cfg.layout, cfg.analysed_languages)
        try:
            for attempt in attempts(cfg.policy, "bulk", sleep=self._sleep):
                with attempt:
                    if run.done:
                        break
                    try:
                        response = self.client.bulk(operations=_lines(run), refresh=cfg.refresh)
                    except ES_ERRORS as exc:
                        raise run.failed(exc) from exc
                    run.check(run.absorb(response))
        except ServiceUnavailable as exc:
            raise _gave_up(run, exc) from exc
        return run.outcome


def _lines(run: BulkRun[Any]) -> Any:
    """The run's NDJSON lines for the client's ``operations``: its annotation names only
    dicts, but it sends lines already encoded as they are (no second serialisation)."""
    return run.operations()


class AsyncBulkIndexer:
    """The same on an ``AsyncElasticsearch`` client: for the Faust agent's event loop."""

    def __init__(
        self,
        client: AsyncElasticsearch,
        config: IndexerConfig,
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.config = config
        self._sleep = sleep

    async def index(self, batch: Sequence[tuple[M, EnrichedArticle]]) -> BulkOutcome[M]:
        cfg = self.config
        run: BulkRun[M] = BulkRun(batch, cfg.layout, cfg.analysed_languages)
        try:
            async for attempt in async_attempts(cfg.policy, "bulk", sleep=self._sleep):
                with attempt:
                    if run.done:
                        break
                    try:
                        response = await self.client.bulk(
                            operations=_lines(run), refresh=cfg.refresh
                        )
                    except ES_ERRORS as exc:
                        raise run.failed(exc) from exc
                    run.check(run.absorb(response))
        except ServiceUnavailable as exc:
            raise _gave_up(run, exc) from exc
        return run.outcome
