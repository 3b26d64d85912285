"""`newsstream poll` and `newsstream feeds ...`: feed ingestion from the command line."""

from __future__ import annotations

from pathlib import Path

import typer

from contract.settings import Settings
from newsstream.cli.common import load_settings, show_table

feeds_app = typer.Typer(
    help="Manage and inspect the feed list: status, OPML import/export, local serving.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add this module's subcommands to the main app."""
    app.command("poll")(poll)
    app.add_typer(feeds_app, name="feeds")


def _feed_list_path(path: Path | None, settings: Settings) -> Path:
    chosen = path or (Path(settings.feeds) if settings.feeds else None)
    if chosen is None:
        typer.secho("no feed list: pass --feeds PATH or set NEWSSTREAM_FEEDS", fg="red", err=True)
        raise typer.Exit(2)
    return chosen


def _load_feeds(path: Path) -> list:
    from contract.errors import ConfigError
    from ingest import feedlist

    try:
        return feedlist.load(path)
    except ConfigError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None


def poll(
    once: bool = typer.Option(
        False,
        "--once",
        help="Poll every feed once, publish, and exit (status 1 when every "
        "feed failed or articles are left unpublished).",
    ),
    feeds: Path = typer.Option(
        None, "--feeds", help="Feed list, YAML or OPML (default: NEWSSTREAM_FEEDS)."
    ),
) -> None:
    """Poll feeds and publish every new article to Kafka (news.articles.raw)."""
    import asyncio
    import logging
    import signal

    from ingest.lock import PollerRunning, hold_poller_lock
    from ingest.metrics import serve
    from ingest.poller import Poller

    settings = load_settings()
    try:
        lock = hold_poller_lock(settings.data_path)
    except PollerRunning as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None
    for noisy in ("aiohttp", "kafka"):  # connection chatter is too much at INFO
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))
    feed_list = _load_feeds(_feed_list_path(feeds, settings))

    async def main() -> int:
        poller = Poller(settings)
        serve(poller.metrics, settings.metrics_port)
        try:
            if once:
                report = await poller.run_cycle(feed_list)
                typer.echo(report.summary())
                if report.feeds and report.errors == report.feeds:
                    typer.secho(
                        f"every feed failed ({report.errors} of {report.feeds})", fg="red", err=True
                    )
                    return 1
                return 1 if report.pending else 0
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            typer.echo(f"polling {len(feed_list)} feeds; Ctrl-C to stop", err=True)
            await poller.run_forever(feed_list, stop)
            return 0
        finally:
            await poller.aclose()

    try:
        code = asyncio.run(main())
    finally:
        lock.close()
    raise typer.Exit(code)


@feeds_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    feeds: Path = typer.Option(
        None, "--feeds", help="Feed list for names (default: NEWSSTREAM_FEEDS, if set)."
    ),
) -> None:
    """Each feed's last poll, result, next poll and error streak."""
    import json
    from datetime import UTC, datetime

    from ingest.state import State

    settings = load_settings()
    names = {}
    path = feeds or (Path(settings.feeds) if settings.feeds else None)
    if path is not None and path.exists():
        names = {f.url: f.name for f in _load_feeds(path)}
    state = State.open(settings.data_path)
    try:
        rows = state.feeds()
        pending, seen = state.pending_count(), state.seen_count()
    finally:
        state.close()

    def when(ts: float | None) -> str | None:
        return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")

    records = [
        {
            "url": r.url,
            "name": names.get(r.url) or r.title,
            "last_poll": when(r.last_poll),
            "result": r.last_result,
            "status": r.last_status,
            "next_poll": when(r.next_poll),
            "interval": r.interval,
            "schedule": r.schedule_reason,
            "error_streak": r.error_streak,
            "error": r.last_error,
            "entries": r.entries,
            "new_items": r.new_items,
            "etag": r.etag,
            "last_modified": r.last_modified,
        }
        for r in rows
    ]
    if as_json:
        typer.echo(
            json.dumps(
                {"feeds": records, "pending_articles": pending, "published_articles": seen},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    from rich.table import Table

    table = Table(title=f"{len(records)} feeds · {seen} articles published · {pending} pending")
    for column in ("feed", "last poll", "result", "new", "next poll", "errors"):
        table.add_column(column, overflow="fold")
    for r in rows:
        style = "red" if r.error_streak else None
        result = r.last_result + (f" ({r.last_error[:60]})" if r.last_error else "")
        table.add_row(
            names.get(r.url) or r.title or r.url,
            _short(when(r.last_poll)),
            result,
            str(r.new_items),
            _short(when(r.next_poll)),
            str(r.error_streak),
            style=style,
        )
    show_table(table)


def _short(iso: str | None) -> str:
    return "-" if iso is None else iso.replace("T", " ").replace("+00:00", "Z")


@feeds_app.command("import")
def import_opml(
    opml: Path = typer.Argument(..., help="OPML file exported by a feed reader."),
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        help="YAML feed list to merge into (default: NEWSSTREAM_FEEDS; stdout if unset).",
    ),
) -> None:
    """Import an OPML subscription list into a YAML feed list."""
    from ingest import feedlist

    settings = load_settings()
    imported = _load_feeds(opml)
    target = output or (Path(settings.feeds) if settings.feeds else None)
    if target is None:
        typer.echo(feedlist.to_yaml(imported), nl=False)
        return
    existing = _load_feeds(target) if target.exists() else []
    known = {f.url for f in existing}
    added = [f for f in imported if f.url not in known]
    feedlist.save(existing + added, target)
    typer.echo(f"{len(added)} feeds added to {target} ({len(imported) - len(added)} known)")


@feeds_app.command("export")
def export_opml(
    feeds: Path = typer.Option(
        None, "--feeds", help="Feed list to export (default: NEWSSTREAM_FEEDS)."
    ),
) -> None:
    """Print the feed list as OPML 2.0."""
    from ingest import feedlist

    path = _feed_list_path(feeds, load_settings())
    typer.echo(feedlist.to_opml(_load_feeds(path)), nl=False)


@feeds_app.command("serve")
def serve_dir(
    directory: Path = typer.Argument(
        Path("seeds/feeds/fixtures"), help="Directory of feed files to serve."
    ),
    port: int = typer.Option(8765, "--port", help="Port on 127.0.0.1."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each request."),
) -> None:
    """Serve feed files on http://127.0.0.1:PORT/ (offline demo and tests)."""
    from ingest.serve import make_server

    if not directory.is_dir():
        typer.secho(f"not a directory: {directory}", fg="red", err=True)
        raise typer.Exit(2)
    server = make_server(directory, port=port, quiet=not verbose)
    typer.echo(f"serving {directory} on http://127.0.0.1:{server.server_port}/", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
