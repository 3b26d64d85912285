"""`newsstream deadletter`: what could not be processed, and why."""

from __future__ import annotations

import json

import typer

from newsstream.cli.common import load_settings, show_table


def register(app: typer.Typer) -> None:
    app.command("deadletter")(deadletter)


def deadletter(
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Show at most this many (newest)."),
    stage: str = typer.Option(None, "--stage", help="Only this stage (enrich, index, alerts...)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON record per line."),
    wait: float = typer.Option(10.0, help="Give up reading after this many seconds."),
) -> None:
    """List records on the dead-letter topic: stage, error, source message."""
    from search.deadletters import read_dead_letters

    settings = load_settings()
    records = read_dead_letters(settings, limit=limit, stage=stage, wait=wait)
    if as_json:
        for record in records:
            typer.echo(json.dumps(record, ensure_ascii=False))
        return
    if not records:
        typer.echo(f"{settings.topic_deadletter} is empty")
        return
    from rich.table import Table

    table = Table(title=f"{len(records)} dead-letter records ({settings.topic_deadletter})")
    for column in ("failed at", "stage", "error", "source"):
        table.add_column(column, overflow="fold")
    for r in records:
        where = f"{r.get('topic', '')}[{r.get('partition', '')}]@{r.get('offset', '')}"
        error = f"{r.get('error_type', '')}: {r.get('error', '')}"
        table.add_row(r.get("failed_at", "")[:19], r.get("stage", ""), error[:300], where)
    show_table(table)
