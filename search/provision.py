"""Start-up of anything that writes articles: analysers, templates, retention."""

from __future__ import annotations

import logging

from elasticsearch import Elasticsearch

from newsstream.contract.settings import Settings
from search.analysis import detect_language_analysis
from search.bulk_indexer import IndexerConfig
from search.index_template import ensure_index_layout
from search.layout import IndexLayout
from search.retention import apply_retention

log = logging.getLogger(__name__)


def provision(client: Elasticsearch, settings: Settings) -> IndexerConfig:
    """Make the index layout ready and return how to index into it."""
    layout = IndexLayout(settings.index_articles)
    analysis = detect_language_analysis(client)
    report = ensure_index_layout(
        client, layout, analysis.analyzers, index_analyzers=analysis.index_analyzers
    )
    apply_retention(client, layout, retention_days=settings.retention_days)
    log.info(
        "index layout %s ready (templates %s; %s)",
        layout.alias,
        "updated" if report.templates_written else "unchanged",
        analysis.describe(),
    )
    return IndexerConfig(layout=layout, analysed_languages=analysis.keys)
