"""Re-topic indexed articles in place: scan the index, classify again, partial updates.

Articles indexed before a topic model or keyword change keep their old topics
until they are enriched again; re-polling is not needed: the title, text,
language and entities in the index are all the topic step reads. Documents
whose ``versions.topics`` is already current are skipped, so an interrupted
run resumes where it stopped. Elasticsearch's update-by-query needs a script
language, so this uses a scroll (``helpers.scan``) and bulk partial updates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from contract.records import Topic
from processors.enrichment import gazetteer, topics

READ_FIELDS = ["title", "text", "language.code", "entities.ids"]
Classify = Callable[..., list[Topic]]


@dataclass
class Progress:
    seen: int = 0
    updated: int = 0
    failed: int = 0


def stale_query(version: str) -> dict[str, Any]:
    """Documents whose topics were not made by ``version`` of the topic step."""
    return {"bool": {"must_not": [{"term": {"versions.topics": version}}]}}


def topic_fields(found: list[Topic]) -> list[dict[str, Any]]:
    """The index's form of ``found`` (as ``search.documents`` writes it)."""
    return [
        {
            "code": t.code,
            "label": t.label,
            "score": t.score,
            "evidence": list(t.evidence),
            "source": t.source,
        }
        for t in found
    ]


def update_actions(
    hits: Iterable[dict[str, Any]],
    version: str,
    *,
    classify: Classify = topics.classify_topics,
    progress: Progress | None = None,
) -> Iterator[dict[str, Any]]:
    """A bulk partial update per scanned hit: new topics and the topic step's version."""
    known = gazetteer.default_gazetteer()
    for hit in hits:
        src = hit.get("_source", {})
        ids = (src.get("entities") or {}).get("ids") or []
        fields = [f for f in (known.field_of(i) for i in ids) if f]
        found = classify(
            src.get("title") or "",
            src.get("text") or "",
            language=(src.get("language") or {}).get("code") or "",
            entity_fields=fields,
        )
        if progress is not None:
            progress.seen += 1
        yield {
            "_op_type": "update",
            "_index": hit["_index"],
            "_id": hit["_id"],
            "doc": {"topics": topic_fields(found), "versions": {"topics": version}},
        }


def retopic(
    client: Any,
    index: str,
    *,
    version: str | None = None,
    every: bool = False,
    chunk_size: int = 500,
    on_progress: Callable[[Progress], None] | None = None,
) -> Progress:
    """Re-topic the stale documents of ``index`` (all of them with ``every``)."""
    from elasticsearch import helpers

    version = version or topics.version()
    query = {"match_all": {}} if every else stale_query(version)
    hits = helpers.scan(
        client, index=index, query={"query": query}, _source=READ_FIELDS, size=chunk_size
    )
    progress = Progress()
    actions = update_actions(hits, version, progress=progress)
    for ok, _ in helpers.streaming_bulk(
        client, actions, chunk_size=chunk_size, raise_on_error=False, max_retries=3
    ):
        if ok:
            progress.updated += 1
        else:
            progress.failed += 1
        if on_progress is not None and (progress.updated + progress.failed) % chunk_size == 0:
            on_progress(progress)
    client.indices.refresh(index=index)
    if on_progress is not None:
        on_progress(progress)
    return progress


def count_stale(client: Any, index: str, version: str, every: bool = False) -> int:
    query = {"match_all": {}} if every else stale_query(version)
    return int(client.count(index=index, query=query)["count"])
