"""Start-up of anything that writes articles: analysers, templates, retention."""

from __future__ import annotations

import argparse
import json
import logging

from elasticsearch import Elasticsearch

from contract.settings import Settings
from search.analysis import detect_language_analysis
from search.bulk_indexer import IndexerConfig
from search.client import es_client
from search.index_template import (
    ensure_index_layout,
    index_template,
    mappings_component,
    settings_component,
)
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


def main(argv: list[str] | None = None) -> None:
    """Print the template JSON, or ``--apply`` it the way the indexer does on start.

    ``python -m search.provision --apply`` suits a one-shot set-up container
    in docker-compose; without ``--apply`` it prints the bodies (standard analysers).
    """

    parser = argparse.ArgumentParser(prog="python -m search.provision")
    parser.add_argument(
        "--apply",
        action="store_true",
        help="create/update templates and alias on NEWSSTREAM_ES_URL",
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.apply:
        logging.basicConfig(level=logging.INFO)
        provision(es_client(settings), settings)
        return
    layout = IndexLayout(settings.index_articles)
    print(
        json.dumps(
            {
                f"_component_template/{layout.settings_component}": {
                    "template": settings_component()
                },
                f"_component_template/{layout.mappings_component}": {
                    "template": mappings_component({})
                },
                f"_index_template/{layout.template}": index_template(layout),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
