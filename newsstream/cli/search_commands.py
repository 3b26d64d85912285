"""`newsstream search`: query the article index; `newsstream api`: serve it over HTTP."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import TYPE_CHECKING

import typer

from newsstream.cli.common import load_settings, show_table

if TYPE_CHECKING:
    from fastapi import APIRouter

    from search.query import SearchResult

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("api")(api)


def search(
    query: str = typer.Argument(
        "",
        help='Words, "phrases", -excluded, a|b, prefix*. '
        "Empty: the newest articles that match the filters.",
    ),
    lang: list[str] = typer.Option(None, "--lang", "-l", help="Language code, e.g. nl."),
    source: list[str] = typer.Option(None, "--source", help="Source name, domain or feed id."),
    topic: list[str] = typer.Option(None, "--topic", "-t", help="Topic label or IPTC code."),
    entity: list[str] = typer.Option(None, "--entity", "-e", help="Entity name or id."),
    actor: list[str] = typer.Option(None, "--actor", "-a", help="Tracked actor id or name."),
    since: str = typer.Option(None, help="2019-03-12, 2019-03-12T08:00:00Z, or 24h / 7d / 2w."),
    until: str = typer.Option(None, help="Same forms as --since."),
    sort: str = typer.Option(
        None, help="relevance | recent (default: relevance with a query, recent without)."
    ),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=500, help="Articles to show."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    all_copies: bool = typer.Option(
        False, "--all-copies", help="Every copy of a story (default: one result per story)."
    ),
) -> None:
    """Search indexed articles by text, language, source, topic, entity, actor and time.

    A story that several sources publish shows once, with its copies named.
    """
    from elasticsearch import ApiError, TransportError

    from search.client import es_client
    from search.query import QueryTooCostly, SearchRequest, parse_time, run_search

    settings = load_settings()
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    try:
        request = SearchRequest(
            query=query,
            languages=tuple(lang or ()),
            sources=tuple(source or ()),
            topics=tuple(topic or ()),
            entities=tuple(entity or ()),
            actors=tuple(actor or ()),
            since=parse_time(since) if since else None,
            until=parse_time(until, end_of_day=True) if until else None,
            sort=sort or "",
            limit=limit,
            facets=as_json,
            collapse=not all_copies,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    client = es_client(settings)
    try:
        result = run_search(client, settings.index_articles, request)
    except QueryTooCostly as exc:
        typer.secho(f"search refused: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    except (ApiError, TransportError) as exc:
        typer.secho(f"search failed: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    finally:
        client.close()
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2))
    else:
        print_table(result)


def _markup(highlighted: str) -> str:
    """Highlighter HTML (escaped text, <em> tags) to rich markup."""
    import html

    from rich.markup import escape

    parts = highlighted.split("<em>")
    out = [escape(html.unescape(parts[0]))]
    for part in parts[1:]:
        marked, _, rest = part.partition("</em>")
        out.append(f"[bold yellow]{escape(html.unescape(marked))}[/]")
        out.append(escape(html.unescape(rest)))
    return "".join(out)


def print_table(result: SearchResult) -> None:
    from rich.table import Table

    exact = "" if result.total_is_exact else "more than "
    counted = f"{exact}{result.total} {result.counts}"
    if result.counts == "stories":
        counted += f" ({result.articles} articles)"
    table = Table(
        title=f"{counted} ({result.took_ms} ms)",
        show_lines=True,
        expand=True,
    )
    table.add_column("published", style="cyan", no_wrap=True, width=16)
    table.add_column("lang", width=4)
    table.add_column("source", style="green")
    table.add_column("article", ratio=1)
    for hit in result.hits:
        title = _markup(hit.title_highlight) if hit.title_highlight else _markup(hit.title)
        snippet = " … ".join(_markup(s) for s in hit.snippets)
        who = ", ".join(hit.actors or hit.entities.get("person", [])[:3])
        body = f"[bold]{title}[/]\n{snippet}"
        if who:
            body += f"\n[dim]{_markup(who)}[/]"
        if hit.copies > 1:
            body += f"\n[magenta]{copies_line(hit.copies, hit.copy_list)}[/]"
        body += f"\n[dim]{hit.url}[/]"
        table.add_row(hit.published[:16].replace("T", " "), hit.language, hit.source, body)
    show_table(table)
    if result.next_cursor:
        typer.echo("more results: raise --limit, or page with the API's cursor")


def copies_line(copies: int, listed: list[dict[str, str]]) -> str:
    """``3 copies: World Wire Service, The Evening Post, Daily Globe``."""
    from rich.markup import escape

    sources = list(dict.fromkeys(c["source"] for c in listed if c.get("source")))
    more = ", …" if copies > len(listed) else ""
    return f"{copies} copies: " + escape(", ".join(sources)) + more


def api_routers() -> list[APIRouter]:
    """The endpoints served beside search: the alert history, the watchlist backtest and
    the saved searches."""
    from processors.alerts.backtest_api import router as backtest_router
    from processors.alerts.searches_api import router as searches_router
    from processors.alerts.searches_api import web_router as searches_page
    from search.alerts.api import router as alerts_router

    return [alerts_router, backtest_router, searches_router, searches_page]


def check_api_exposure(host: str, keys: list[str], allow_unauthenticated: bool) -> None:
    """Refuse to serve beyond this machine without API keys (a clear exit, not a warning)."""
    from search.guard import is_loopback

    if keys or is_loopback(host) or allow_unauthenticated:
        return
    typer.secho(
        f"refusing to listen on {host} without API keys: anyone who reaches this address could "
        "read everything. Set NEWSSTREAM_API_KEYS=key1,key2 (clients send X-API-Key), or listen "
        "on 127.0.0.1.",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(2)


def api(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    allow_unauthenticated: bool = typer.Option(
        False,
        "--allow-unauthenticated",
        help="Listen on a non-loopback address without API keys (only where the network "
        "around it is private, e.g. a container whose port is published on the host's "
        "loopback).",
    ),
) -> None:
    """Serve the web pages at / and the HTTP API (OpenAPI at /openapi.json, docs at /docs).

    Without NEWSSTREAM_API_KEYS it listens on loopback only.
    """
    import uvicorn

    from search.api import create_api

    settings = load_settings()
    check_api_exposure(host, settings.api_key_list, allow_unauthenticated)
    app = create_api(settings, routers=api_routers())
    # Open event streams (the live alerts page) would hold a graceful stop forever.
    # The app writes its own access log (newsstream.access), with no API key in it.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=3,
        access_log=False,
    )
