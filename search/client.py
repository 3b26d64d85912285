"""The one place that builds Elasticsearch clients from settings."""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch, Elasticsearch

from contract.settings import Settings


def client_options(settings: Settings, *, request_timeout: float = 30.0) -> dict[str, Any]:
    """Connection options shared by the sync and async clients (auth, TLS, retries)."""
    options: dict[str, Any] = {
        "request_timeout": request_timeout,
        "retry_on_timeout": True,
        "max_retries": 3,
    }
    if settings.es_api_key:
        options["api_key"] = settings.es_api_key.reveal()
    elif settings.es_username:
        options["basic_auth"] = (settings.es_username, settings.es_password.reveal())
    if settings.es_url.startswith("https"):
        options["verify_certs"] = settings.es_verify_certs
    return options


def es_client(settings: Settings, *, request_timeout: float = 30.0) -> Elasticsearch:
    options = client_options(settings, request_timeout=request_timeout)
    return Elasticsearch(settings.es_url, **options)


def async_es_client(
    settings: Settings, *, request_timeout: float = 30.0, fast_json: bool = False
) -> AsyncElasticsearch:
    """For code on an event loop (Faust agents), which must never block on HTTP.

    ``fast_json`` reads answers with orjson: for large ones (term vectors of a
    batch of articles) the standard library's decoder costs more than the request.
    """
    options = client_options(settings, request_timeout=request_timeout)
    if fast_json:
        from elasticsearch.serializer import OrjsonSerializer

        options["serializer"] = OrjsonSerializer()
    return AsyncElasticsearch(settings.es_url, **options)
