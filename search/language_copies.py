"""Bring indices made from an earlier template up to the current language fields.

Monthly indices are created from the template, so a template with new
language fields (an analyser became available, say the analysis plugin was
installed) reaches only the months created after it. Older months would
silently drop the new ``i18n`` copies (the mapping is not dynamic) and their
articles would stay unanalysed. So when the template changes, each existing
index gets the ``i18n`` fields it lacks (adding fields is allowed on a live
index), and its articles in those languages are written again with their
copies, built from ``_source``. A field that exists with another analyser
is left as it is: Elasticsearch cannot change it in place, and that month
keeps its earlier analysis until it ages out.

Rewrites are conditional on the sequence number read, so an article the
indexer writes meanwhile is never overwritten with an older version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from elasticsearch import ApiError, Elasticsearch
from elasticsearch.helpers import scan, streaming_bulk

from search.analysis import OTHER
from search.documents import language_copy_key
from search.layout import IndexLayout

log = logging.getLogger(__name__)


def add_language_copies(client: Elasticsearch, layout: IndexLayout, fields: dict[str, Any]) -> None:
    """Add the ``i18n`` ``fields`` (key -> mapping) that existing indices lack."""
    try:
        mappings = client.indices.get_mapping(index=layout.pattern, allow_no_indices=True)
    except ApiError as exc:
        if exc.status_code == 404:
            return
        raise
    keys = frozenset(fields)
    for index, body in sorted(getattr(mappings, "body", mappings).items()):
        present = body["mappings"].get("properties", {}).get("i18n", {}).get("properties", {})
        missing = sorted(k for k in fields if k not in present)
        kept = sorted(k for k in fields if k in present and present[k] != fields[k])
        if kept:
            log.info("index %s keeps its earlier analysis for %s", index, ", ".join(kept))
        if not missing:
            continue
        try:
            client.indices.put_mapping(
                index=index, properties={"i18n": {"properties": {k: fields[k] for k in missing}}}
            )
        except ApiError as exc:
            log.warning("index %s: could not add language fields %s: %s", index, missing, exc)
            continue
        done, failed = _rewrite(client, index, keys, frozenset(missing))
        log.info(
            "index %s: added language fields %s; %d articles re-analysed, %d skipped",
            index,
            ", ".join(missing),
            done,
            failed,
        )


def _rewrite(
    client: Elasticsearch, index: str, keys: frozenset[str], added: frozenset[str]
) -> tuple[int, int]:
    done = failed = 0
    for ok, _ in streaming_bulk(
        client,
        _actions(client, index, keys, added),
        raise_on_error=False,
        raise_on_exception=False,
        max_retries=2,
    ):
        done, failed = (done + 1, failed) if ok else (done, failed + 1)
    return done, failed


def _actions(
    client: Elasticsearch, index: str, keys: frozenset[str], added: frozenset[str]
) -> Iterator[dict[str, Any]]:
    for hit in scan(
        client, index=index, query={"query": _needing(keys, added)}, seq_no_primary_term=True
    ):
        source = hit["_source"]
        key = language_copy_key((source.get("language") or {}).get("code", ""), keys)
        if key not in added:
            continue
        source["i18n"] = {key: {"title": source.get("title", ""), "text": source.get("text", "")}}
        yield {
            "_op_type": "index",
            "_index": index,
            "_id": hit["_id"],
            "_source": source,
            "if_seq_no": hit["_seq_no"],
            "if_primary_term": hit["_primary_term"],
        }


def _needing(keys: frozenset[str], added: frozenset[str]) -> dict[str, Any]:
    """Articles whose copy goes to one of the ``added`` keys."""
    shoulds: list[dict[str, Any]] = []
    codes = sorted(added - {OTHER})
    if codes:
        shoulds.append({"terms": {"language.code": codes}})
    if OTHER in added:
        shoulds.append({"bool": {"must_not": {"terms": {"language.code": sorted(keys - {OTHER})}}}})
    return {"bool": {"should": shoulds, "minimum_should_match": 1}}
