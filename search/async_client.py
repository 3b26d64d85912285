"""An ``AsyncElasticsearch`` built from settings, for code on an event loop.

Mirrors :func:`search.client.es_client` so the Faust indexing agent never
blocks its loop on a synchronous HTTP call.
"""

from __future__ import annotations

from elasticsearch import AsyncElasticsearch

from newsstream.contract.settings import Settings


def async_es_client(settings: Settings, *, request_timeout: float = 30.0) -> AsyncElasticsearch:
    kwargs: dict[str, object] = {
        "request_timeout": request_timeout,
        "retry_on_timeout": True,
        "max_retries": 3,
    }
    if settings.es_api_key:
        kwargs["api_key"] = settings.es_api_key
    elif settings.es_username:
        kwargs["basic_auth"] = (settings.es_username, settings.es_password)
    if settings.es_url.startswith("https"):
        kwargs["verify_certs"] = settings.es_verify_certs
    return AsyncElasticsearch(settings.es_url, **kwargs)  # type: ignore[arg-type]
