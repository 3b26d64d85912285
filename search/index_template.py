"""The index template (settings + mappings components) and the read alias.

:func:`ensure_index_layout` is what the indexer calls on start; it is
idempotent: it writes the templates only when their content changed (a
fingerprint in ``_meta``) and creates the current month's index only when it
is missing, so every worker may call it at every start. The same JSON can be
printed for docker-compose or Kibana set-up (``python -m search.provision``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from search.language_copies import add_language_copies
from search.layout import IndexLayout

log = logging.getLogger(__name__)

TEMPLATE_PRIORITY = 200
# An article is searchable within about a second at the steady pace; the
# indexer holds a longer interval only while a backlog drains.
REFRESH_INTERVAL = "1s"
KEYWORD = {"type": "keyword", "ignore_above": 1024}
DATE = {"type": "date"}
# Highlighted text keeps its offsets in the postings, so the highlighter reads
# them instead of re-analysing every hit's text once per language copy.
OFFSETS = {"index_options": "offsets"}


def _keyword_with_text() -> dict[str, Any]:
    """A keyword for filters and facets, plus ``.text`` for partial matches."""
    return {**KEYWORD, "fields": {"text": {"type": "text"}}}


def settings_component() -> dict[str, Any]:
    return {
        "settings": {
            "index": {
                # One shard a month suits news volumes; replicas follow the cluster.
                "number_of_shards": 1,
                "auto_expand_replicas": "0-1",
                "refresh_interval": REFRESH_INTERVAL,
            }
        }
    }


def _analysed_text(search: str, index: str) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "text", "analyzer": index, **OFFSETS}
    if index != search:
        field["search_analyzer"] = search
    return field


def language_fields(
    analyzers: dict[str, str], index_analyzers: dict[str, str] | None = None
) -> dict[str, Any]:
    """``i18n.<key>.title`` and ``.text``, searched with ``analyzers[key]`` and
    indexed with ``index_analyzers[key]`` where given (else the same)."""
    index_analyzers = index_analyzers or {}
    fields = {}
    for key, analyzer in sorted(analyzers.items()):
        text = _analysed_text(analyzer, index_analyzers.get(key, analyzer))
        fields[key] = {"properties": {"title": text, "text": dict(text)}}
    return fields


def mappings_component(
    analyzers: dict[str, str], index_analyzers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Mappings; ``analyzers`` (code -> analyser) adds ``i18n.<code>`` fields.

    ``title`` and ``text`` are the language-neutral fields (``standard``: names,
    numbers and words of every language); the article's own language is
    searched in its ``i18n`` copy, kept out of ``_source``.
    """
    i18n = language_fields(analyzers, index_analyzers)
    return {
        "mappings": {
            # Unknown fields are kept in _source but not indexed: a producer
            # adding a field never breaks indexing.
            "dynamic": False,
            "_source": {"excludes": ["i18n"]},
            "properties": {
                "@timestamp": DATE,
                "id": KEYWORD,
                "url": KEYWORD,
                "title": {
                    "type": "text",
                    **OFFSETS,
                    "fields": {"keyword": {"type": "keyword", "ignore_above": 512}},
                },
                "text": {"type": "text", **OFFSETS},
                "i18n": {"type": "object", "properties": i18n},
                "published_from": KEYWORD,
                "story_id": KEYWORD,
                "content_hash": KEYWORD,
                "guid": KEYWORD,
                "authors": KEYWORD,
                "categories": KEYWORD,
                "language": {
                    "properties": {
                        "code": KEYWORD,
                        "confidence": {"type": "float"},
                        "method": KEYWORD,
                        "hint": KEYWORD,
                    }
                },
                "source": {
                    "properties": {
                        "name": _keyword_with_text(),
                        "domain": KEYWORD,
                        "feed_url": KEYWORD,
                        "feed_id": KEYWORD,
                        "tags": KEYWORD,
                    }
                },
                "topics": {
                    "properties": {
                        "code": KEYWORD,
                        "label": KEYWORD,
                        "score": {"type": "float"},
                        "evidence": KEYWORD,
                        "source": KEYWORD,
                    }
                },
                "actors": {
                    "properties": {
                        "id": KEYWORD,
                        "name": KEYWORD,
                        "kind": KEYWORD,
                        "matched_text": KEYWORD,
                        "folded": {"type": "text"},
                    }
                },
                "entities": {
                    "properties": {
                        "person": KEYWORD,
                        "organisation": KEYWORD,
                        "location": KEYWORD,
                        "misc": KEYWORD,
                        "any": KEYWORD,
                        "ids": KEYWORD,
                        "folded": {"type": "text"},
                    }
                },
                "entity_count": {"type": "integer"},
                "versions": {"type": "flattened"},
                "fetched_at": DATE,
                "raw_at": DATE,
                "enriched_at": DATE,
                "indexed_at": DATE,
                "schema_version": {"type": "integer"},
            },
        }
    }


def index_template(layout: IndexLayout) -> dict[str, Any]:
    return {
        "index_patterns": [layout.pattern],
        "composed_of": [layout.settings_component, layout.mappings_component],
        "priority": TEMPLATE_PRIORITY,
        "template": {"aliases": {layout.alias: {}}},
    }


def _fingerprint(*parts: dict[str, Any]) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LayoutReport:
    templates_written: bool
    index_created: str | None


def ensure_index_layout(
    client: Elasticsearch,
    layout: IndexLayout,
    analyzers: dict[str, str],
    *,
    index_analyzers: dict[str, str] | None = None,
    now: datetime | None = None,
) -> LayoutReport:
    """Create or update the templates and make the alias exist; safe to repeat.

    When the templates change, indices made from an earlier version get the
    language fields they lack (see :mod:`search.language_copies`).
    """
    settings_body = settings_component()
    mappings_body = mappings_component(analyzers, index_analyzers)
    template_body = index_template(layout)
    fingerprint = _fingerprint(settings_body, mappings_body, template_body)
    meta = {
        "managed_by": "newsstream",
        "description": "News articles, one index per month of publication",
        "fingerprint": fingerprint,
    }
    written = _current_fingerprint(client, layout) != fingerprint
    if written:
        client.cluster.put_component_template(
            name=layout.settings_component, template=settings_body, meta=meta
        )
        client.cluster.put_component_template(
            name=layout.mappings_component, template=mappings_body, meta=meta
        )
        client.indices.put_index_template(name=layout.template, meta=meta, **template_body)
        log.info("wrote index template %s (fingerprint %s)", layout.template, fingerprint)
        add_language_copies(client, layout, language_fields(analyzers, index_analyzers))
    # The alias exists once any monthly index does; create this month's so
    # that search works on an empty installation.
    created = None
    if not client.indices.exists_alias(name=layout.alias):
        created = layout.index_for_month(now or datetime.now(UTC))
        try:
            client.indices.create(index=created)
            log.info("created index %s behind alias %s", created, layout.alias)
        except ApiError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
            created = None
    return LayoutReport(templates_written=written, index_created=created)


def _current_fingerprint(client: Elasticsearch, layout: IndexLayout) -> str | None:
    try:
        found = client.indices.get_index_template(name=layout.template)
    except ApiError as exc:
        if exc.status_code == 404:
            return None
        raise
    for item in found.get("index_templates", []):
        meta = item["index_template"].get("_meta") or {}
        return meta.get("fingerprint")
    return None


def delete_index_layout(client: Elasticsearch, layout: IndexLayout) -> list[str]:
    """Remove the indices and templates of ``layout`` (tests, benchmarks)."""
    names = sorted(client.indices.get(index=layout.pattern, expand_wildcards="all"))
    for chunk in range(0, len(names), 50):
        client.indices.delete(index=",".join(names[chunk : chunk + 50]))
    for delete, name in (
        (client.indices.delete_index_template, layout.template),
        (client.cluster.delete_component_template, layout.settings_component),
        (client.cluster.delete_component_template, layout.mappings_component),
    ):
        try:
            delete(name=name)
        except ApiError as exc:
            if exc.status_code != 404:
                raise
    return names
