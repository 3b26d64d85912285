"""The ``newsstream`` command: one entry point, a subcommand per job."""

from __future__ import annotations

import typer

from newsstream.cli import (
    alerts_commands,
    deadletter_commands,
    demo_commands,
    ingest_commands,
    process_commands,
    retopic_commands,
    run_commands,
    search_commands,
    searches_commands,
)

app = typer.Typer(
    name="newsstream",
    help=(
        "Multilingual news monitoring: poll RSS/Atom feeds into Kafka, enrich articles "
        "(language, entities, topic), search them in Elasticsearch and get alerts on "
        "tracked people and organisations.\n\n"
        "Configuration comes from NEWSSTREAM_* environment variables; "
        "see `newsstream config`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (
    run_commands,
    ingest_commands,
    process_commands,
    search_commands,
    searches_commands,
    retopic_commands,
    alerts_commands,
    deadletter_commands,
    demo_commands,
):
    module.register(app)


def main() -> None:
    app()
