"""How secrets are shown: never.

A webhook URL is its own credential (the token sits in its path), an API key
is one outright. Whatever names, logs or displays them goes through here:
:func:`redact_url` keeps a URL's scheme and host only, :func:`redact_urls`
does that to every URL in a text (an error message, a log line), and
:class:`Secret` is the settings value that prints itself masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

ELLIPSIS = "…"
MASK = "***"
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def redact_url(url: str) -> str:
    """``https://hooks.example/…``: scheme and host, never path, query or user info."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ELLIPSIS if url else ""
    if not parts.scheme or not host:
        return ELLIPSIS if url else ""
    if ":" in host:
        host = f"[{host}]"
    shown = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    hidden = parts.username or parts.password or parts.path.strip("/") or parts.query
    return shown + ("/" + ELLIPSIS if hidden or parts.fragment else "")


def redact_urls(text: str) -> str:
    """``text`` with every URL in it cut to its scheme and host."""
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any of ``secrets`` (URLs redacted, other values masked)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, _masked_one(secret))
    return text


def _masked_one(value: str) -> str:
    return redact_url(value) if "://" in value else MASK


@dataclass(frozen=True)
class Secret:
    """A setting that is a credential: ``str()`` and ``repr()`` show it masked.

    ``reveal()`` is the one way to the value, for the code that must send it.
    A comma-separated list of URLs shows each as :func:`redact_url` does.
    """

    value: str = field(default="", repr=False)

    def reveal(self) -> str:
        return self.value

    def items(self) -> list[str]:
        """The comma-separated values, stripped (keys, URLs)."""
        return [v.strip() for v in self.value.split(",") if v.strip()]

    def masked(self) -> str:
        return ",".join(_masked_one(v) for v in self.items())

    def __bool__(self) -> bool:
        return bool(self.value)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"


_LOGGED_SECRETS: set[str] = set()


def scrub_logs(secrets: Iterable[str]) -> None:
    """Every log record made from now on has ``secrets`` scrubbed from its message.

    A last line of defence, below every logger and handler (a library's
    included): the code that logs is expected never to hand a secret over.
    """
    first = not _LOGGED_SECRETS
    _LOGGED_SECRETS.update(s for s in secrets if s)
    if not first or not _LOGGED_SECRETS:
        return  # installed once per process; later calls only add secrets
    make = logging.getLogRecordFactory()

    def scrubbed(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logging's to report
            return record
        if any(s in message for s in _LOGGED_SECRETS):
            record.msg, record.args = scrub(message, _LOGGED_SECRETS), None
        return record

    logging.setLogRecordFactory(scrubbed)
