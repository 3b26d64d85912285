"""What every subcommand shares: settings loading and logging."""

from __future__ import annotations

import logging
import sys

import typer

from newsstream.contract.errors import ConfigError
from newsstream.contract.settings import Settings


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or a clean exit naming the bad variable."""
    try:
        settings = Settings.from_env(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        typer.secho(f"configuration error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    setup_logging(settings.log_level)
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
