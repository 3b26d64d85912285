"""A minimal Faust worker: consume the raw topic, index each value into ES.

It proves the foundation (kafka-python -> Faust -> Elasticsearch) without the
enrichment code, so a failure here points at the servers or the clients.
"""

from __future__ import annotations

import json

from elasticsearch import AsyncElasticsearch
from faust.worker import Worker

from contract.kafka_admin import ensure_topics
from contract.settings import Settings
from processors.app import create_app
from processors.topics import create_topics


def main() -> None:
    settings = Settings.from_env()
    ensure_topics(settings)
    app = create_app(settings)
    topics = create_topics(app, settings)
    es = AsyncElasticsearch(settings.es_url)

    @app.agent(topics.raw)
    async def relay(stream):  # noqa: ANN001 - Faust's stream type
        async for value in stream:
            doc = json.loads(value)
            await es.index(index=settings.index_articles, id=doc["id"], document=doc)

    Worker(app, loglevel="info", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
