"""Where the stack lives and how it is sized, read once from ``NEWSSTREAM_STACK_*``.

Like the service's own settings, every knob is an environment variable with a
default, and a malformed value fails with the variable's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PREFIX = "NEWSSTREAM_STACK_"

DEFAULT_KAFKA_VERSION = "4.4.0"
DEFAULT_ES_VERSION = "9.5.0"
_HEAP = re.compile(r"^[1-9][0-9]*[mMgG]$")
_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
_MAX_HEAP_MB = 4096


class StackError(Exception):
    """A problem the user can fix; the message says how."""


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path
    cache_dir: Path
    kafka_version: str = DEFAULT_KAFKA_VERSION
    es_version: str = DEFAULT_ES_VERSION
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    es_port: int = 9200
    es_transport_port: int = 9300
    kafka_heap: str = "512m"
    es_heap: str = "768m"
    es_user: str = "newsstream-es"
    maven_repo: str = ""
    timeout: float = 300.0

    @property
    def kafka_dir(self) -> Path:
        return self.state_dir / "kafka"

    @property
    def es_link(self) -> Path:
        """The Elasticsearch runtime directory as seen from the state dir."""
        return self.state_dir / "elasticsearch"

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def es_url(self) -> str:
        return f"http://127.0.0.1:{self.es_port}"


def load_config(environ: Mapping[str, str], repo_root: Path, home: Path) -> StackConfig:
    """Build the configuration; raise :class:`StackError` naming a bad variable."""

    def get(name: str, default: str) -> str:
        return environ.get(PREFIX + name, "").strip() or default

    state = Path(get("DIR", str(repo_root / ".stack"))).expanduser()
    cache = Path(get("CACHE", str(home / ".cache" / "newsstream-stack"))).expanduser()
    ports = {
        name: _port(PREFIX + name, get(name, str(default)))
        for name, default in (
            ("KAFKA_PORT", 9092),
            ("KAFKA_CONTROLLER_PORT", 9093),
            ("ES_PORT", 9200),
            ("ES_TRANSPORT_PORT", 9300),
        )
    }
    if len(set(ports.values())) != len(ports):
        listed = ", ".join(f"{PREFIX}{k}={v}" for k, v in ports.items())
        raise StackError(f"ports must all differ: {listed}")
    timeout_raw = get("TIMEOUT", "300")
    try:
        timeout = float(timeout_raw)
    except ValueError:
        raise StackError(f"{PREFIX}TIMEOUT: expected seconds, got {timeout_raw!r}") from None
    return StackConfig(
        state_dir=state.absolute(),
        cache_dir=cache.absolute(),
        kafka_version=_version("KAFKA_VERSION", get("KAFKA_VERSION", DEFAULT_KAFKA_VERSION)),
        es_version=_version("ES_VERSION", get("ES_VERSION", DEFAULT_ES_VERSION)),
        kafka_port=ports["KAFKA_PORT"],
        kafka_controller_port=ports["KAFKA_CONTROLLER_PORT"],
        es_port=ports["ES_PORT"],
        es_transport_port=ports["ES_TRANSPORT_PORT"],
        kafka_heap=_heap(PREFIX + "KAFKA_HEAP", get("KAFKA_HEAP", "512m")),
        es_heap=_heap(PREFIX + "ES_HEAP", get("ES_HEAP", "768m")),
        es_user=get("ES_USER", "newsstream-es"),
        maven_repo=get("MAVEN_REPO", ""),
        timeout=timeout,
    )


def heap_mb(heap: str) -> int:
    number, unit = int(heap[:-1]), heap[-1].lower()
    return number * 1024 if unit == "g" else number


def _port(var: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise StackError(f"{var}: expected a port number 1-65535, got {raw!r}")
    return int(raw)


def _heap(var: str, raw: str) -> str:
    if not _HEAP.match(raw):
        raise StackError(f"{var}: expected a size such as 512m or 1g, got {raw!r}")
    if not 128 <= heap_mb(raw) <= _MAX_HEAP_MB:
        raise StackError(f"{var}: {raw} is outside 128m..{_MAX_HEAP_MB // 1024}g")
    return raw.lower()


def _version(name: str, raw: str) -> str:
    if not _VERSION.match(raw):
        raise StackError(f"{PREFIX}{name}: expected a version such as 4.4.0, got {raw!r}")
    return raw
