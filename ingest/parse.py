"""Bytes already fetched -> feedparser result, safely.

feedparser is only ever given bytes: handed a string that looks like a URL
it would fetch it itself, bypassing every limit in :mod:`ingest.fetch`.

XML entity declarations are removed before parsing. feedparser's strict
mode uses expat, and a DOCTYPE internal subset is how "billion laughs" and
external-entity attacks arrive; no real feed needs one. Removing the subset
leaves any references to its entities undefined, so feedparser falls back to
its lenient parser and the entries are still read. A malformed feed
(``bozo``) still yields every entry feedparser could read; the problem is
returned so the caller can count and log it with the feed's URL.

A feed that is mostly UTF-8 but holds a few invalid bytes would be decoded
whole as windows-1252 by feedparser, turning every accented letter into
mojibake; :func:`keep_valid_utf8` replaces just the invalid bytes first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import feedparser

from contract.errors import FeedError

# A DOCTYPE with an internal subset: <!DOCTYPE name ... [ ... ]>
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.DOTALL | re.IGNORECASE)
_ENTITY_MARKERS = (
    b"<!ENTITY",
    "<!ENTITY".encode("utf-16-le"),
    "<!ENTITY".encode("utf-16-be"),
    "<!ENTITY".encode("utf-32-le"),
    "<!ENTITY".encode("utf-32-be"),
)

# A well-formed multi-byte UTF-8 sequence (RFC 3629), and how an encoding is declared.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.IGNORECASE)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})

# Bozo reasons that say nothing about the entries (servers send feeds as text/html).
HARMLESS = frozenset({"NonXMLContentType"})


@dataclass
class ParsedFeed:
    """The parts of a feedparser result the poller uses."""

    title: str
    link: str
    language: str
    version: str
    ttl_minutes: float | None
    entries: list[Any]
    problems: list[str] = field(default_factory=list)


def strip_entity_declarations(body: bytes) -> tuple[bytes, bool]:
    """Remove any DOCTYPE internal subset that declares entities."""
    if not any(marker in body for marker in _ENTITY_MARKERS):
        return body, False
    stripped = _DOCTYPE_SUBSET.sub(
        lambda m: b"" if b"<!ENTITY" in m.group(0).upper() else m.group(0), body, count=1
    )
    if any(marker in stripped for marker in _ENTITY_MARKERS):
        # Declarations we could not cut out cleanly (odd encoding, nesting): refuse.
        raise FeedError("feed declares XML entities; refused", kind="unsafe_xml")
    return stripped, True


def keep_valid_utf8(body: bytes, content_type: str = "") -> tuple[bytes, int]:
    """``body`` with its invalid UTF-8 bytes replaced by U+FFFD, when it is UTF-8.

    Returns the body and how many bytes were replaced (0: left as it was).
    A feed counts as UTF-8 unless it declares another encoding (HTTP charset
    or XML declaration) or starts with a UTF-16/32 byte order mark, and as
    long as well-formed multi-byte sequences outnumber the invalid bytes:
    a windows-1252 feed mislabelled as UTF-8 has none, and is left to
    feedparser, which reads it as windows-1252.
    """
    if body.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return body, 0
    declared: list[str] = []
    if charset := _CHARSET.search(content_type):
        declared.append(charset.group(1).lower())
    if xml := _XML_ENCODING.match(body[:512]):
        declared.append(xml.group(1).decode("ascii").lower())
    if any(name not in _UTF8_NAMES for name in declared):
        return body, 0
    try:
        body.decode("utf-8")
        return body, 0
    except UnicodeDecodeError:
        pass
    valid = _UTF8_MULTIBYTE.findall(body)
    invalid = len(_HIGH_BYTE.findall(body)) - sum(len(v) for v in valid)
    if len(valid) <= invalid:
        return body, 0
    return body.decode("utf-8", "replace").encode("utf-8"), invalid


def parse_feed(body: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """Parse feed bytes; raise ``FeedError(kind="parse")`` when nothing is a feed."""
    body, stripped = strip_entity_declarations(body)
    body, replaced = keep_valid_utf8(body, content_type)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # No sanitising or URI rewriting inside content: normalise reduces it to plain text.
    result = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    problems = ["XML entity declarations removed"] if stripped else []
    if replaced:
        problems.append(f"{replaced} invalid UTF-8 bytes replaced")
    exc = result.get("bozo_exception") if result.get("bozo") else None
    if exc is not None and type(exc).__name__ not in HARMLESS:
        problems.append(f"{type(exc).__name__}: {exc}".strip())
    entries = list(result.get("entries") or [])
    meta = result.get("feed") or {}
    if not entries and (result.get("bozo") or not result.get("version")):
        detail = problems[-1] if problems else "no feed elements found"
        raise FeedError(f"{url}: not a readable feed ({detail})", kind="parse")
    return ParsedFeed(
        title=str(meta.get("title") or ""),
        link=str(meta.get("link") or ""),
        language=str(meta.get("language") or ""),
        version=str(result.get("version") or ""),
        ttl_minutes=_number(meta.get("ttl")),
        entries=entries,
        problems=problems,
    )


def _number(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
