"""The HTTP API: search with facets, a date histogram and cursor paging.

``create_api(settings, routers=...)`` builds the FastAPI app; other features
add their endpoints by passing an ``APIRouter`` (the alerts history adds
``/alerts`` that way) and reach the shared client and settings through
:func:`get_es` and :func:`get_settings`. Endpoints are plain ``def``s: FastAPI
runs them in its thread pool, so the synchronous client blocks no loop.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from contract.settings import Settings
from search.client import es_client
from search.guard import Guard, GuardConfig
from search.query import (
    INTERVALS,
    MAX_LIMIT,
    SORTS,
    QueryTooCostly,
    SearchRequest,
    parse_time,
    run_search,
)

log = logging.getLogger(__name__)


def get_es(request: Request) -> Elasticsearch:
    return request.app.state.es


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def _bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def _split(values: list[str] | None) -> tuple[str, ...]:
    """Repeated parameters and comma-separated lists both work: lang=nl,en."""
    return tuple(p.strip() for v in values or [] for p in v.split(",") if p.strip())


def _search_request(
    q: str,
    lang: list[str] | None,
    source: list[str] | None,
    topic: list[str] | None,
    entity: list[str] | None,
    actor: list[str] | None,
    since: str | None,
    until: str | None,
    sort: str | None,
    limit: int,
    cursor: str | None,
    facets: bool,
    histogram: bool,
    interval: str,
    collapse: bool = True,
) -> SearchRequest:
    try:
        return SearchRequest(
            query=q,
            languages=_split(lang),
            sources=tuple(source or ()),
            topics=tuple(topic or ()),
            entities=tuple(entity or ()),
            actors=tuple(actor or ()),
            since=parse_time(since) if since else None,
            until=parse_time(until, end_of_day=True) if until else None,
            sort=sort or "",
            limit=limit,
            cursor=cursor or "",
            facets=facets,
            histogram=histogram,
            interval=interval,
            collapse=collapse,
        )
    except ValueError as exc:
        raise _bad_request(str(exc)) from None


search_router = APIRouter()


@search_router.get("/search", summary="Full-text search with filters, facets and paging")
def search(
    request: Request,
    q: str = Query("", description='Simple query string: words, "phrases", -not, a|b, pref*'),
    lang: list[str] | None = Query(None, description="Language code(s), e.g. nl"),
    source: list[str] | None = Query(None, description="Source name, domain or feed id"),
    topic: list[str] | None = Query(None, description="Topic label or IPTC code"),
    entity: list[str] | None = Query(None, description="Entity name (words match) or id"),
    actor: list[str] | None = Query(None, description="Tracked actor id or name"),
    since: str | None = Query(None, description="2019-03-12, 2019-03-12T08:00:00Z or 24h/7d"),
    until: str | None = Query(None, description="Same forms as since"),
    sort: str | None = Query(
        None, description=f"{' | '.join(SORTS)} (default: relevance with q, recent without)"
    ),
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    facets: bool = Query(True, description="Counts by language, source, topic, entity, actor"),
    histogram: bool = Query(True, description="Article counts over published time"),
    interval: str = Query("auto", description=" | ".join(INTERVALS)),
    collapse: bool = Query(
        True, description="One result per story, with its copies (false: every copy)"
    ),
) -> dict[str, Any]:
    search_request = _search_request(
        q,
        lang,
        source,
        topic,
        entity,
        actor,
        since,
        until,
        sort,
        limit,
        cursor,
        facets,
        histogram,
        interval,
        collapse,
    )
    settings = get_settings(request)
    return asdict(search_or_400(get_es(request), settings.index_articles, search_request))


def search_or_400(es: Elasticsearch, index: str, search_request: SearchRequest) -> Any:
    """Run a search; a query Elasticsearch refuses or one over the cost cap is a 400."""
    try:
        return run_search(es, index, search_request)
    except QueryTooCostly as exc:
        raise _bad_request(str(exc)) from None
    except ApiError as exc:
        if exc.status_code == 400:
            raise _bad_request(f"Elasticsearch refused the query: {exc.message}") from None
        raise


@search_router.get("/articles/{article_id}", summary="One indexed article, in full")
def get_article(
    request: Request,
    article_id: str = Path(..., min_length=1, max_length=200),
) -> dict[str, Any]:
    settings = get_settings(request)
    response = get_es(request).search(
        index=settings.index_articles,
        query={"ids": {"values": [article_id]}},
        size=1,
        ignore_unavailable=True,
        allow_no_indices=True,
        source_excludes=["i18n"],
    )
    hits = response["hits"]["hits"]
    if not hits:
        raise HTTPException(status_code=404, detail=f"no article with id {article_id!r}")
    return {"index": hits[0]["_index"], **hits[0]["_source"]}


@search_router.get("/health", summary="Is Elasticsearch there and the index readable?")
def health(request: Request) -> JSONResponse:
    settings = get_settings(request)
    es = get_es(request)
    try:
        cluster = es.cluster.health()
        alias = bool(es.indices.exists_alias(name=settings.index_articles))
        count = es.count(index=settings.index_articles)["count"] if alias else 0
    except (ApiError, TransportError) as exc:
        return JSONResponse(status_code=503, content={"status": "unavailable", "error": str(exc)})
    ok = cluster["status"] in ("green", "yellow")
    return JSONResponse(
        status_code=200 if ok else 503,
        content={
            "status": "ok" if ok else "degraded",
            "elasticsearch": cluster["status"],
            "index": settings.index_articles,
            "index_exists": alias,
            "articles": count,
        },
    )


def create_api(
    settings: Settings,
    routers: Iterable[APIRouter] = (),
    *,
    client: Elasticsearch | None = None,
    web: bool = True,
) -> FastAPI:
    """The app; ``routers`` are mounted beside search (e.g. the alerts history).

    ``web`` adds the pages for people (search, articles, alerts, feeds,
    problems) at ``/``. ``/docs`` and ``/redoc`` load their scripts from the
    installed ``fastapi-offline`` package, so they work without internet.
    """
    app = FastAPIOffline(
        title="newsstream search",
        version="0.1.0",
        description="Search enriched news articles: full text in any language, filters on "
        "language, source, topic, entities and tracked actors, facets, a published-time "
        "histogram and cursor paging.",
    )
    app.state.settings = settings
    app.state.es = client or es_client(settings)
    app.include_router(search_router)
    for router in routers:
        app.include_router(router)
    if web:
        from search.web import mount_web

        mount_web(app)
    app.add_middleware(
        Guard,
        config=GuardConfig(
            allowed_hosts=tuple(settings.allowed_host_list),
            keys=tuple(settings.api_key_list),
            rate=settings.rate_limit,
            burst=settings.rate_burst,
        ),
    )

    @app.exception_handler(ApiError)
    async def _refused(_: Request, exc: ApiError) -> JSONResponse:
        status = exc.status_code if 400 <= exc.status_code < 500 else 503
        return JSONResponse(status_code=status, content={"detail": f"Elasticsearch: {exc.message}"})

    @app.exception_handler(TransportError)
    async def _unavailable(_: Request, exc: TransportError) -> JSONResponse:
        log.warning("Elasticsearch unavailable: %s", exc)
        return JSONResponse(status_code=503, content={"detail": f"Elasticsearch: {exc}"})

    return app
