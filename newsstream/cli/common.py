"""What every subcommand shares: settings loading and logging."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import typer

from contract.errors import ConfigError
from contract.redact import scrub_logs
from contract.settings import Settings

if TYPE_CHECKING:
    from rich.table import Table


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or a clean exit naming the bad variable."""
    try:
        settings = Settings.from_env(None, **{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        typer.secho(f"configuration error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    setup_logging(settings.log_level)
    scrub_logs(settings.secrets())
    return settings


# Client libraries that log every connection and request at INFO.
CHATTY_LOGGERS = ("kafka", "aiokafka", "elastic_transport", "aiohttp.access", "httpx")


def setup_logging(level: str) -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(
        level=numeric,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))


#: Piped output is at most this wide, unless a column's longest word needs more.
PIPED_WIDTH = 160


def show_table(table: Table) -> None:
    """Print a rich table; piped, as wide as its words need, so no word is ever split.

    On a terminal rich fits the table to the window. Piped, rich would assume
    80 columns and wrap long words letter by letter; here the width is the
    table's natural width, capped at ``PIPED_WIDTH`` but never below the width
    at which every column holds its longest word.
    """
    from rich.console import Console
    from rich.measure import Measurement

    console = Console()
    if not console.is_terminal:
        probe = Console(width=100_000, file=console.file)
        need = Measurement.get(probe, probe.options, table)
        console = Console(width=max(need.minimum, min(need.maximum, PIPED_WIDTH)))
    console.print(table)
