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


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
