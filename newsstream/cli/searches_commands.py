"""``newsstream searches ...``: saved searches that alert on every new story they match."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from newsstream.cli.common import load_settings, show_table

searches_app = typer.Typer(
    help="Saved searches: a search that raises an alert for each new story it matches.",
    no_args_is_help=True,
)

QUERY_HELP = 'Words, "phrases", -excluded, a OR b (a|b), prefix*; as `newsstream search`.'

# The filters a saved search takes, the same for `add` and `backtest`.
Languages = Annotated[
    list[str] | None, typer.Option("--lang", "-l", help="Language code, e.g. es.")
]
Topics = Annotated[
    list[str] | None, typer.Option("--topic", "-t", help="Topic key, label or code.")
]
Sources = Annotated[
    list[str] | None, typer.Option("--source", help="Source name, domain or feed id.")
]
Entities = Annotated[list[str] | None, typer.Option("--entity", "-e", help="Entity name or id.")]
Actors = Annotated[
    list[str] | None, typer.Option("--actor", "-a", help="Tracked actor id or name.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(searches_app, name="searches")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _client() -> tuple[Any, Any]:
    from search.client import es_client

    settings = load_settings()
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    return settings, es_client(settings)


@contextmanager
def _elasticsearch(failing: str = "") -> Iterator[tuple[Any, Any]]:
    """The settings and a client, closed after; an Elasticsearch error exits with code 1
    and a message that starts with ``failing``."""
    from elasticsearch import ApiError, TransportError

    settings, client = _client()
    try:
        yield settings, client
    except (ApiError, TransportError) as exc:
        raise _fail(f"{failing}Elasticsearch at {settings.es_url}: {exc}", 1) from None
    finally:
        client.close()


@searches_app.command("add")
def add(
    name: str = typer.Argument(..., help="A name for the search (its alerts carry it)."),
    query: str = typer.Argument("", help=QUERY_HELP),
    lang: Languages = None,
    topic: Topics = None,
    source: Sources = None,
    entity: Entities = None,
    actor: Actors = None,
    as_json: bool = typer.Option(False, "--json", help="Print the saved search as JSON."),
) -> None:
    """Save a search: from now on each new story it matches raises one alert."""
    from processors.alerts.searches import checked, save
    from search.saved_searches import SavedSearchError

    try:
        search = checked(
            name,
            query,
            languages=lang,
            topics=topic,
            sources=source,
            entities=entity,
            actors=actor,
        )
    except SavedSearchError as exc:
        raise _fail(f"not saved: {exc}") from None
    with _elasticsearch("not saved: ") as (settings, client):
        try:
            saved = save(client, settings, search)
        except SavedSearchError as exc:
            raise _fail(f"not saved: {exc}") from None
    if as_json:
        typer.echo(json.dumps(saved.to_dict(), ensure_ascii=False))
    else:
        typer.echo(f"saved {saved.name!r}: alerts on new stories from {saved.created_at}")


@searches_app.command("list")
def list_(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """The saved searches, with how many alerts each raised and the latest one."""
    from processors.alerts.searches import with_recent_matches

    with _elasticsearch() as (settings, client):
        searches = with_recent_matches(client, settings, recent=1)
    if as_json:
        for search in searches:
            typer.echo(json.dumps(search, ensure_ascii=False))
        return
    if not searches:
        typer.echo("no saved searches: add one with `newsstream searches add NAME QUERY`")
        return
    from rich.table import Table

    table = Table(title=f"{len(searches)} saved searches")
    for column in ("name", "query", "filters", "saved at", "alerts", "latest"):
        table.add_column(column, overflow="fold")
    for s in searches:
        filters = "; ".join(
            f"{k}: {', '.join(s[k])}"
            for k in ("languages", "topics", "sources", "entities", "actors")
            if s[k]
        )
        latest = s["recent"][0].get("title", "") if s["recent"] else ""
        table.add_row(
            s["name"], s["query"], filters, s["created_at"][:19], str(s["alerts"]), latest
        )
    show_table(table)


@searches_app.command("remove")
def remove(name: str = typer.Argument(..., help="The saved search's name.")) -> None:
    """Stop a saved search (the alerts it raised stay in the history)."""
    from search.saved_searches import SavedSearchError, remove_search, searches_index

    with _elasticsearch() as (settings, client):
        try:
            removed = remove_search(client, searches_index(settings.index_alerts), name)
        except SavedSearchError as exc:
            raise _fail(str(exc), 1) from None
    typer.echo(f"removed {removed.name!r}")


@searches_app.command("backtest")
def backtest(
    query: str = typer.Argument("", help=QUERY_HELP),
    lang: Languages = None,
    topic: Topics = None,
    source: Sources = None,
    entity: Entities = None,
    actor: Actors = None,
    since: str = typer.Option("7d", "--since", help="Articles published after: 7d, 24h, a date."),
    first: int = typer.Option(10, "--first", "-n", min=1, max=100, help="Hits to show."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """What a search would have raised over the indexed articles; nothing is saved."""
    from processors.alerts.searches import checked
    from search.query import QueryTooCostly, parse_time
    from search.saved_searches import SavedSearchError
    from search.saved_searches import backtest as run_backtest

    try:
        search = checked(
            "backtest",
            query,
            languages=lang,
            topics=topic,
            sources=source,
            entities=entity,
            actors=actor,
        )
        after = parse_time(since)
    except (SavedSearchError, ValueError) as exc:
        raise _fail(f"cannot backtest: {exc}") from None
    with _elasticsearch() as (settings, client):
        try:
            report = run_backtest(client, settings.index_articles, search, since=after, first=first)
        except QueryTooCostly as exc:
            raise _fail(f"cannot backtest: {exc}") from None
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"since {report['since'][:16]}: {report['alerts']} alerts "
        f"(one per story; {report['articles']} articles)"
    )
    typer.echo(
        "per language: "
        + (", ".join(f"{b['language']} {b['alerts']}" for b in report["per_language"]) or "-")
    )
    typer.echo(
        "per day: " + (", ".join(f"{b['day']} {b['alerts']}" for b in report["per_day"]) or "-")
    )
    for hit in report["first_hits"]:
        typer.echo(f"  {hit['published'][:16]}  {hit['language']}  {hit['source']}: {hit['title']}")
