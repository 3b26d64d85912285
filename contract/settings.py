"""Every setting of the service, read once from ``NEWSSTREAM_*`` variables.

This is the only module that reads the environment. Code below the command
line receives a :class:`Settings` value and never looks up variables itself,
which keeps policies testable and configuration visible in one place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from contract.errors import ConfigError
from contract.redact import Secret

PREFIX = "NEWSSTREAM_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "newsstream")


@dataclass(frozen=True)
class Settings:
    """Service configuration; field ``foo_bar`` comes from ``NEWSSTREAM_FOO_BAR``."""

    # Kafka
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_raw: str = "news.articles.raw"
    topic_enriched: str = "news.articles.enriched"
    topic_alerts: str = "news.alerts"
    topic_deadletter: str = "news.deadletter"
    topic_partitions: int = 6
    processor_group: str = "newsstream-processors"
    # How long Kafka keeps the raw, enriched and alerts topics: the time a
    # stopped worker can catch up or a stage be replayed from.
    kafka_retention_hours: int = 168
    # Elasticsearch
    es_url: str = "http://127.0.0.1:9200"
    es_username: str = ""
    es_password: Secret = Secret()
    es_api_key: Secret = Secret()
    es_verify_certs: bool = True
    index_articles: str = "news-articles"
    index_alerts: str = "news-alerts"
    # Articles, alerts, the poller's ids and dead letters are kept this long
    # (0: for ever); the bound of every store: docs/operations.md, "Bounds".
    retention_days: int = 90
    bulk_size: int = 500
    # A bulk goes when it has bulk_size documents or has waited bulk_interval
    # seconds; with the 1 s index refresh this keeps raw->searchable under ~2 s.
    bulk_interval: float = 0.5
    # While a backlog drains (the newest article of a batch entered Kafka more
    # than bulk_late_after seconds ago), a bulk gathers up to bulk_late_interval
    # seconds more: fewer, fuller requests cost Elasticsearch less CPU per article.
    # At a steady pace a batch's newest article is a few tenths of a second old.
    bulk_late_after: float = 1.5
    bulk_late_interval: float = 2.0
    # ... and the articles' indices refresh this often instead of every second
    # (the usual interval returns, with one refresh, once batches are on time).
    bulk_late_refresh: str = "5s"
    # Ingestion
    data_dir: str = ""
    feeds: str = ""
    user_agent: str = "newsstream/0.1 (+https://github.com/newsstream/newsstream)"
    http_connect_timeout: float = 10.0
    http_read_timeout: float = 30.0
    max_feed_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    per_host_concurrency: int = 2
    poll_concurrency: int = 100
    min_interval: float = 300.0
    max_interval: float = 86400.0
    allow_private_networks: bool = False
    allow_file_urls: bool = False
    # Alerts
    actors: str = ""
    # Each URL is a credential: shown as scheme and host only (``Secret``).
    webhook_urls: Secret = Secret()
    webhook_format: str = "json"
    # Operations
    log_level: str = "INFO"
    # Where stages run CPU-bound work: thread, process or inline (on the event loop).
    stage_offload: str = "thread"
    # Processes of a worker's enrichment pool (stage_offload=process); 0: one per core.
    stage_processes: int = 0
    metrics_port: int = 0
    # HTTP API: comma-separated keys; empty means no key is asked for (loopback only)
    api_keys: Secret = Secret()
    # Host names the API answers to (comma-separated; a request naming another gets
    # 400, so a rebinding DNS name cannot reach it); a deployment adds its own name.
    allowed_hosts: str = "localhost,127.0.0.1,::1"
    # Requests a second per client (API key, or address without one); 0 turns it off.
    rate_limit: float = 30.0
    # Requests a client may make at once before the rate applies.
    rate_burst: int = 100

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in (Secret, "Secret") and not isinstance(value, Secret):
                object.__setattr__(self, f.name, Secret(str(value)))
        if not self.data_dir:
            object.__setattr__(self, "data_dir", _default_data_dir())
        if self.webhook_format not in {"json", "slack"}:
            raise ConfigError(
                f"{PREFIX}WEBHOOK_FORMAT: expected 'json' or 'slack', got {self.webhook_format!r}"
            )
        if self.stage_offload not in {"thread", "process", "inline"}:
            raise ConfigError(
                f"{PREFIX}STAGE_OFFLOAD: expected thread, process or inline, "
                f"got {self.stage_offload!r}"
            )
        if self.stage_processes < 0:
            raise ConfigError(f"{PREFIX}STAGE_PROCESSES: must be 0 (one per core) or more")
        if self.rate_limit < 0 or self.rate_burst < 1:
            raise ConfigError(f"{PREFIX}RATE_LIMIT must be 0 or more, {PREFIX}RATE_BURST 1 or more")
        for name in (
            "topic_partitions",
            "bulk_size",
            "max_feed_bytes",
            "per_host_concurrency",
            "kafka_retention_hours",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{PREFIX}{name.upper()}: must be at least 1")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def api_key_list(self) -> list[str]:
        return self.api_keys.items()

    @property
    def webhook_url_list(self) -> list[str]:
        return self.webhook_urls.items()

    @property
    def allowed_host_list(self) -> list[str]:
        return [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]

    def secrets(self) -> list[str]:
        """Every credential value, one by one: what no output may contain."""
        return [
            item
            for f in fields(self)
            if isinstance(value := getattr(self, f.name), Secret)
            for item in [value.reveal(), *value.items()]
            if item
        ]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from ``environ`` (default: the process environment).

        Raises :class:`ConfigError` naming the variable when a value is malformed.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            var = PREFIX + f.name.upper()
            if var not in env:
                continue
            values[f.name] = _parse(var, env[var], f.type)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def variables(cls) -> list[tuple[str, str]]:
        """(variable, default) pairs, for documentation and ``--help``."""
        out = []
        for f in fields(cls):
            default = f.default.reveal() if isinstance(f.default, Secret) else f.default
            out.append((PREFIX + f.name.upper(), repr(default)))
        return out


def _parse(var: str, raw: str, kind: object) -> object:
    text = raw.strip()
    if kind in (bool, "bool"):
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(f"{var}: expected a boolean (1/0, true/false), got {raw!r}")
    if kind in (int, "int"):
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{var}: expected an integer, got {raw!r}") from None
    if kind in (float, "float"):
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{var}: expected a number, got {raw!r}") from None
    if kind in (Secret, "Secret"):
        return Secret(text)
    return text
