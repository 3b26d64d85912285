"""Feed lists: the ``Feed`` value object, YAML files and OPML import/export.

YAML is the native format (one mapping per feed under ``feeds:``); OPML is
what every feed reader exports, so both directions are supported. OPML is
parsed with defusedxml because subscription files come from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import yaml

from contract.errors import ConfigError


@dataclass(frozen=True)
class Feed:
    """One subscription and its per-feed options."""

    url: str
    name: str = ""
    interval: float | None = None  # fixed seconds between polls; None = adaptive
    language: str = ""  # hint passed on to enrichment (ISO 639-1)
    tags: tuple[str, ...] = ()
    enabled: bool = True

    @property
    def label(self) -> str:
        return self.name or self.url

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url}
        if self.name:
            out["name"] = self.name
        if self.interval is not None:
            out["interval"] = self.interval
        if self.language:
            out["language"] = self.language
        if self.tags:
            out["tags"] = list(self.tags)
        if not self.enabled:
            out["enabled"] = False
        return out

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "") -> Feed:
        if isinstance(data, str):
            data = {"url": data}
        if not isinstance(data, dict) or not str(data.get("url") or "").strip():
            raise ConfigError(f"{where}: a feed needs a 'url'")
        interval = data.get("interval")
        try:
            interval = None if interval in (None, "") else float(interval)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: 'interval' must be a number of seconds") from None
        tags = data.get("tags") or ()
        if isinstance(tags, str):
            tags = [t.strip() for t in tags.split(",")]
        return cls(
            url=str(data["url"]).strip(),
            name=str(data.get("name") or "").strip(),
            interval=interval,
            language=str(data.get("language") or "").strip().lower(),
            tags=tuple(str(t) for t in tags if str(t)),
            enabled=bool(data.get("enabled", True)),
        )


def load(path: str | Path) -> list[Feed]:
    """Read a feed list, YAML or OPML (decided by content, not extension)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read feed list {path}: {exc}") from exc
    head = raw.lstrip()[:200].lower()
    if head.startswith(b"<?xml") or head.startswith(b"<opml"):
        return from_opml(raw, where=str(path))
    return from_yaml(raw.decode("utf-8"), where=str(path))


def save(feeds: Iterable[Feed], path: str | Path) -> None:
    Path(path).write_text(to_yaml(feeds), encoding="utf-8")


def from_yaml(text: str, *, where: str = "<yaml>") -> list[Feed]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {exc}") from exc
    items = data.get("feeds", []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(f"{where}: expected a list under 'feeds:'")
    return _unique(
        Feed.from_dict(item, where=f"{where} feed #{i + 1}") for i, item in enumerate(items)
    )


def to_yaml(feeds: Iterable[Feed]) -> str:
    return yaml.safe_dump(
        {"feeds": [f.to_dict() for f in feeds]}, allow_unicode=True, sort_keys=False
    )


def from_opml(raw: bytes, *, where: str = "<opml>") -> list[Feed]:
    """Every ``outline`` with an ``xmlUrl``; enclosing outlines become tags."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(raw)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ConfigError(f"{where}: not valid OPML: {exc}") from exc
    body = root.find("body")
    if body is None:
        raise ConfigError(f"{where}: OPML without a <body>")
    feeds: list[Feed] = []

    def walk(node: Any, folders: tuple[str, ...]) -> None:
        for outline in node.findall("outline"):
            url = outline.get("xmlUrl") or outline.get("xmlurl")
            title = outline.get("title") or outline.get("text") or ""
            if url:
                tags = folders + tuple(
                    t.strip() for t in (outline.get("category") or "").split(",") if t.strip()
                )
                feeds.append(
                    Feed.from_dict(
                        {
                            "url": url,
                            "name": title,
                            "language": outline.get("language", ""),
                            "interval": outline.get("interval") or None,
                            "tags": list(dict.fromkeys(tags)),
                            "enabled": (outline.get("enabled") or "true").lower() != "false",
                        },
                        where=where,
                    )
                )
            else:
                walk(outline, folders + ((title,) if title else ()))

    walk(body, ())
    return _unique(feeds)


def to_opml(feeds: Iterable[Feed], title: str = "newsstream feeds") -> str:
    """OPML 2.0; options readers do not know travel as extra attributes."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_text(title)}</title></head>",
        "  <body>",
    ]
    for f in feeds:
        attrs = {"type": "rss", "text": f.label, "title": f.label, "xmlUrl": f.url}
        if f.language:
            attrs["language"] = f.language
        if f.tags:
            attrs["category"] = ",".join(f.tags)
        if f.interval is not None:
            attrs["interval"] = f"{f.interval:g}"
        if not f.enabled:
            attrs["enabled"] = "false"
        rendered = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
        lines.append(f"    <outline {rendered}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unique(feeds: Iterable[Feed]) -> list[Feed]:
    """First occurrence of each URL wins: a list may repeat a feed in two folders."""
    seen: dict[str, Feed] = {}
    for feed in feeds:
        seen.setdefault(feed.url, feed)
    return list(seen.values())
