"""`newsstream process`: run a stream-processor worker; `newsstream config`."""

from __future__ import annotations

from dataclasses import fields

import typer

from contract.settings import PREFIX, Settings
from newsstream.cli.common import load_settings


def register(app: typer.Typer) -> None:
    app.command("process")(process)
    app.command("config")(config)


def process(
    stage: list[str] = typer.Option(
        None,
        "--stage",
        "-s",
        help="Stage to run: enrich, index, alerts or recognise (repeatable; default: "
        "enrich, index and alerts). Workers started with the same stages form one consumer "
        "group; recognise-only workers form their own.",
    ),
    actors: str = typer.Option(
        None,
        "--actors",
        help="Watchlist YAML of tracked actors (default: NEWSSTREAM_ACTORS, "
        "else seeds/actors.yaml). Edits take effect without a restart.",
    ),
    loglevel: str = typer.Option("info", help="Worker log level."),
) -> None:
    """Start a stream-processor worker (Faust) that enriches, indexes and alerts."""
    from faust.worker import Worker

    from contract.kafka_admin import ensure_topics
    from processors.app import create_app, register_stages
    from processors.fatal import stopped
    from processors.groups import DEFAULT_STAGES, app_id_for

    settings = load_settings(actors=actors)
    stages = tuple(s for item in (stage or DEFAULT_STAGES) for s in item.split(",") if s)
    ensure_topics(settings)
    app = create_app(settings, app_id=app_id_for(settings, stages))
    register_stages(app, settings, stages)
    worker = Worker(app, loglevel=loglevel, quiet=True)
    try:
        worker.execute_from_commandline()
    finally:
        why = stopped()
        if why is not None:  # a stage could not go on: say so, and exit non-zero
            typer.secho(f"newsstream process: {why[0]}", fg=typer.colors.RED, err=True)
            raise SystemExit(why[1])


def config(
    show_all: bool = typer.Option(False, "--all", help="Show defaults too, not only overrides."),
) -> None:
    """Show the effective configuration and the variables that set it."""
    settings = load_settings()
    defaults = Settings()
    for f in fields(settings):
        value = getattr(settings, f.name)
        if not show_all and value == getattr(defaults, f.name):
            continue
        shown = value  # a Secret prints itself masked: https://hooks.example/…
        typer.echo(f"{PREFIX}{f.name.upper()}={shown}")
