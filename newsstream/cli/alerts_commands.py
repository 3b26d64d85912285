"""``newsstream alerts ...`` (the alert history) and ``newsstream actors ...`` (the watchlist)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from contract.errors import ConfigError
from newsstream.cli.common import load_settings, show_table

alerts_app = typer.Typer(help="Alerts raised on tracked actors.", no_args_is_help=True)
actors_app = typer.Typer(help="The watchlist of tracked actors.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's subcommands to the main app."""
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(actors_app, name="actors")


@alerts_app.command("list")
def list_alerts(
    actor: str | None = typer.Option(None, "--actor", "-a", help="Actor id or name."),
    since: str | None = typer.Option(
        None, "--since", help="ISO date/time, or an age: 30m, 24h, 7d."
    ),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="At most this many alerts."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
    saved_search: str = typer.Option(None, "--saved-search", help="Name of a saved search."),
) -> None:
    """Show alerts from the alerts index, newest first."""
    from elasticsearch import ApiError, TransportError

    from search.alerts.history import parse_since, search_alerts
    from search.client import es_client

    settings = load_settings()
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    try:
        after = parse_since(since) if since else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        total, alerts = search_alerts(
            es_client(settings),
            settings.index_alerts,
            actor=actor,
            since=after,
            limit=limit,
            saved_search=saved_search,
        )
    except (ApiError, TransportError) as exc:
        typer.secho(f"Elasticsearch at {settings.es_url}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    if as_json:
        for alert in alerts:
            typer.echo(json.dumps(alert, ensure_ascii=False))
        return
    if not alerts:
        typer.echo(f"no alerts in {settings.index_alerts}")
        return
    from rich.table import Table
    from rich.text import Text

    from search.alerts.history import story_line

    table = Table(title=f"{len(alerts)} of {total} alerts", show_lines=False)
    for column in ("alerted at", "actor", "matched", "title", "story", "lang", "latency"):
        table.add_column(column, overflow="fold")
    for a in alerts:
        table.add_row(
            a.get("alerted_at", "")[:19].replace("T", " "),
            a.get("actor_name", ""),
            Text(a.get("matched_text", "") + (f" ({a['rule']})" if a.get("rule") else "")),
            Text(a.get("title", ""), style=f"link {a['url']}" if a.get("url") else ""),
            Text(story_line(a)),
            a.get("language", ""),
            f"{a.get('latency_ms', -1)} ms",
        )
    show_table(table)


@alerts_app.command("backfill")
def backfill(
    url: str = typer.Argument(..., help="The webhook URL to send them to."),
    since: str = typer.Option(..., "--since", help="ISO date/time, or an age: 30m, 24h, 7d."),
) -> None:
    """Send the alerts raised since a time to one webhook.

    A webhook added to NEWSSTREAM_WEBHOOK_URLS receives only alerts raised
    after it was added; this sends it earlier ones, in order, with retries.
    """
    import asyncio

    from processors.alerts.delivery import backfill as send_since
    from processors.alerts.sinks import WebhookSink
    from search.alerts.history import parse_since

    settings = load_settings()
    logging.getLogger("kafka").setLevel(logging.WARNING)
    try:
        after = parse_since(since)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    sink = WebhookSink(url, fmt=settings.webhook_format, user_agent=settings.user_agent)

    async def run() -> dict[str, int]:
        try:
            return await send_since(settings, [sink], int(after.timestamp() * 1000))
        finally:
            await sink.close()

    counts = asyncio.run(run())
    typer.echo(f"{counts['delivered']} alerts delivered to {sink.shown}, {counts['failed']} failed")
    if counts["failed"]:
        raise typer.Exit(1)


@alerts_app.command("watch")
def watch(
    actor: str = typer.Option(None, "--actor", "-a", help="Only this actor (id or name)."),
    from_beginning: bool = typer.Option(
        False, "--from-beginning", help="Start with the oldest alert still on the topic."
    ),
    count: int = typer.Option(0, "--count", "-n", min=0, help="Stop after this many (0: never)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Print alerts as they arrive on the alerts topic (Ctrl-C to stop).

    A message that is not an alert is not shown but reported on stderr, one
    line each and a count at the end, so an empty screen is never a silent
    decoding failure.
    """
    from kafka import KafkaConsumer

    from contract.errors import InvalidMessage
    from contract.ids import fold
    from contract.records import decode_alert

    settings = load_settings()
    logging.getLogger("kafka").setLevel(logging.WARNING)
    consumer = KafkaConsumer(
        settings.topic_alerts,
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    wanted = fold(actor) if actor else ""
    shown = undecodable = 0
    try:
        for record in consumer:
            try:
                alert = decode_alert(record.value)
            except InvalidMessage as exc:
                undecodable += 1
                typer.echo(
                    f"not an alert: {record.topic}[{record.partition}]@{record.offset}: {exc}",
                    err=True,
                )
                continue
            if wanted and wanted not in (alert.actor_id, fold(alert.actor_name)):
                continue
            if as_json:
                typer.echo(json.dumps(alert.to_dict(), ensure_ascii=False))
            else:
                typer.echo(
                    f"{alert.alerted_at[:19]}  {alert.actor_name}: "
                    f"{alert.title} ({alert.source}) {alert.url}"
                )
            shown += 1
            if count and shown >= count:
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
        if undecodable:
            typer.echo(
                f"{undecodable} message(s) on {settings.topic_alerts} were not alerts "
                "and were not shown",
                err=True,
            )


def _load(path: Path | None):
    from processors.enrichment.watchlist import load_watchlist, watchlist_path

    settings = load_settings()
    target = path or watchlist_path(settings)
    try:
        return load_watchlist(target)
    except ConfigError as exc:
        typer.secho(f"invalid watchlist: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


@actors_app.command("check")
def check(
    path: Path = typer.Argument(
        None, help="Watchlist file (default: NEWSSTREAM_ACTORS or seeds/actors.yaml)."
    ),
) -> None:
    """Validate a watchlist and show what each actor matches on."""
    from rich.table import Table
    from rich.text import Text

    watchlist = _load(path)
    table = Table(title=f"{watchlist.path}: {len(watchlist)} actors")
    table.add_column("id", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    for column in ("aliases", "surnames", "rules"):
        table.add_column(column, overflow="fold")
    for a in watchlist.actors:
        rules = []
        if not a.surname_alone and a.surnames:
            rules.append("surname only with full name")
        rules += [
            label + ", ".join(values)
            for label, values in (
                ("capitals: ", a.capitalised),
                ("needs context: ", a.requires_context),
                ("not: ", a.exclude),
                ("any case: ", a.any_case),
                ("also inside longer names: ", a.inside_names),
                ("may appear as ", a.appears_as),
            )
            if values
        ]
        table.add_row(
            *(
                Text(c)
                for c in (
                    a.id,
                    a.kind,
                    ", ".join(a.aliases),
                    ", ".join(a.surnames),
                    "; ".join(rules),
                )
            )
        )
    show_table(table)
    from processors.enrichment.common_words import everyday_aliases

    for actor_id, name, langs in everyday_aliases(watchlist):
        typer.secho(
            f"warning: {actor_id}: {name!r} is also an everyday word ({', '.join(langs)}): "
            "it counts only as written with capitals, and as a sentence's first word only "
            "beside a surer mention; requires_context makes it stricter",
            fg=typer.colors.YELLOW,
            err=True,
        )


@actors_app.command("backtest")
def backtest(
    path: Path = typer.Argument(..., help="The candidate watchlist file."),
    since: str = typer.Option(
        "30d", "--since", help="Articles published after: an age (30d, 24h) or an ISO date."
    ),
    samples: int = typer.Option(3, "--samples", min=0, help="Sample mentions per actor."),
    limit: int = typer.Option(0, "--limit", min=0, help="At most this many articles (0: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Run a watchlist over the articles already indexed: per actor, how many
    would have alerted, with sample snippets. Nothing is raised or stored."""
    from elasticsearch import ApiError, TransportError

    from processors.alerts.backtest import backtest as run_backtest
    from processors.alerts.backtest import indexed_articles
    from processors.enrichment.pipeline import warm_up
    from search.alerts.history import parse_since
    from search.client import es_client

    settings = load_settings()
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    watchlist = _load(path)
    try:
        after = parse_since(since) if since else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    warm_up()
    try:
        report = run_backtest(
            watchlist,
            indexed_articles(
                es_client(settings), settings.index_articles, since=after, limit=limit
            ),
            samples=samples,
        )
    except (ApiError, TransportError) as exc:
        typer.secho(f"Elasticsearch at {settings.es_url}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    typer.echo(
        f"{watchlist.path}: {len(watchlist)} actors over {report.articles} articles "
        f"since {since or 'the beginning'} (nothing raised)"
    )
    for result in report.actors:
        typer.echo(
            f"{result.articles:6} articles {result.alerts:5} alerts  {result.name} "
            f"({result.actor_id})"
        )
        for s in result.samples:
            typer.echo(f"         {s.source}: {s.snippet}")
            typer.echo(
                f"           matched {s.matched_text!r} as {s.alias!r} ({s.rule})"
                + (f"; recognised {s.entity}" if s.entity else "")
            )


@actors_app.command("match")
def match(
    text: str = typer.Argument(None, help="Text to search (or use --file)."),
    file: Path = typer.Option(None, "--file", "-f", help="Read the text from this file."),
    title: str = typer.Option("", "--title", help="A title to search as well."),
    actors: Path = typer.Option(None, "--actors", help="Watchlist file to use."),
    explain: bool = typer.Option(
        False, "--explain", "-x", help="Show the rules, and the mentions that did not count."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show which tracked actors a text mentions, where, and why, as the service
    would decide it (with the entities and language the enrichment finds)."""
    from contract.ids import article_id
    from contract.records import Article, Source
    from processors.enrichment.actors import Hit, find_hits
    from processors.enrichment.pipeline import enrich

    if file is not None:
        text = file.read_text(encoding="utf-8")
    if not text and not title:
        raise typer.BadParameter("give a TEXT, --file or --title")
    watchlist = _load(actors)
    text = text or ""
    url = "https://newsstream.invalid/match"
    article = Article(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        published="",
        source=Source("cli", ""),
        fetched_at="",
    )
    enriched = enrich(article, watchlist=watchlist)
    if as_json:
        typer.echo(json.dumps([m.__dict__ for m in enriched.actors], ensure_ascii=False))
        return
    rejected: list[Hit] = []
    hits = find_hits(
        watchlist,
        title,
        text,
        enriched.entities,
        language=enriched.language.code,
        rejected=rejected,
    )
    if not hits:
        typer.echo("no tracked actors mentioned")
    for hit in hits:
        typer.echo(
            f"{hit.actor_id:24} {hit.field:5} {hit.start:6}-{hit.end:<6} {hit.role:9} {hit.text}"
        )
        if explain:
            typer.echo(
                f"{'':24} as {hit.alias!r}: {hit.rule}"
                + (f"; recognised {hit.entity}" if hit.entity else "")
            )
    if explain:
        for hit in rejected:
            typer.echo(
                f"not counted: {hit.actor_id} {hit.field} {hit.start}-{hit.end} "
                f"{hit.text!r}: {hit.rule}"
            )
