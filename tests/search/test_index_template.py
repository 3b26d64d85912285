"""The index layout on the real Elasticsearch: template, alias, idempotence."""

from __future__ import annotations

from datetime import UTC, datetime

from search.bulk_indexer import BulkIndexer, IndexerConfig
from search.index_template import ensure_index_layout, mappings_component
from tests.search.factories import dutch_seed

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def test_layout_creation_is_idempotent(es_client, clean_layout):
    first = ensure_index_layout(es_client, clean_layout, {}, now=NOW)
    assert first.templates_written
    assert first.index_created == f"{clean_layout.alias}-2026.11"
    BulkIndexer(es_client, IndexerConfig(clean_layout, refresh="wait_for")).index(
        [(0, dutch_seed())]
    )
    template = es_client.indices.get_index_template(name=clean_layout.template)

    second = ensure_index_layout(es_client, clean_layout, {}, now=NOW)

    assert not second.templates_written and second.index_created is None
    assert es_client.indices.get_index_template(name=clean_layout.template) == template
    assert sorted(es_client.indices.get_alias(name=clean_layout.alias)) == [
        f"{clean_layout.alias}-2019.03",
        f"{clean_layout.alias}-2026.11",
    ]
    assert es_client.count(index=clean_layout.alias)["count"] == 1


def test_new_monthly_index_gets_mappings_and_joins_the_alias(es_client, clean_layout):
    ensure_index_layout(es_client, clean_layout, {}, now=NOW)
    BulkIndexer(es_client, IndexerConfig(clean_layout, refresh="wait_for")).index(
        [(0, dutch_seed())]
    )
    index = f"{clean_layout.alias}-2019.03"
    mapping = es_client.indices.get_mapping(index=index)[index]["mappings"]
    assert mapping["properties"]["@timestamp"] == {"type": "date"}
    assert mapping["properties"]["entities"]["properties"]["person"]["type"] == "keyword"
    assert index in es_client.indices.get_alias(name=clean_layout.alias)


def test_language_fields_are_mapped_only_for_available_analysers():
    mapping = mappings_component({"nl": "dutch"})["mappings"]["properties"]["i18n"]
    assert mapping["properties"]["nl"]["properties"]["text"]["analyzer"] == "dutch"
    assert mappings_component({})["mappings"]["properties"]["i18n"]["properties"] == {}
