"""Elasticsearch's exceptions sorted, once, onto the project's error tree.

What may heal (no connection, a timeout, 429 Too Many Requests, a 5xx) is a
:class:`ServiceUnavailable` and retried with backoff; any other 4xx is a
:class:`RefusedRequest` and never retried: a batch is split and the part
refused is parked, a provisioning step stops the worker.
"""

from __future__ import annotations

from elasticsearch import ApiError, TransportError

from contract.errors import RefusedRequest, ServiceUnavailable

#: What the Elasticsearch client raises: the only exceptions :func:`classify` expects.
ES_ERRORS = (ApiError, TransportError)


def is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def classify(exc: Exception, what: str = "Elasticsearch") -> ServiceUnavailable | RefusedRequest:
    """``exc`` as :class:`ServiceUnavailable` (retry) or :class:`RefusedRequest` (do not)."""
    if isinstance(exc, ApiError):
        status = exc.meta.status
        if is_retryable_status(status):
            return ServiceUnavailable(f"{what}: Elasticsearch answered {status}: {exc.message}")
        return RefusedRequest(
            f"{what}: Elasticsearch refused the request (HTTP {status}): {exc.message}",
            status=status,
        )
    return ServiceUnavailable(f"{what}: Elasticsearch unreachable: {type(exc).__name__}: {exc}")
