"""feedparser entry -> contract ``Article``: clean text, stable ids, UTC times.

Plain functions over plain data; no I/O. The article id comes from
``contract.ids.article_id`` (canonical URL without tracking
parameters, else the GUID scoped by feed, else, for entries with neither, a
hash of title and text), so re-polls, restarts and other feeds carrying the
same URL all land on one id.

Text is taken from the fullest content the entry offers (the longest of its
``content`` blocks and its summary), with HTML stripped, entities decoded
and whitespace normalised; paragraphs stay separated by a blank line.

The published time is the entry's own date in UTC when it has a usable one
(``published_from="feed"``), else its updated date (``"updated"``), else the
time it was fetched (``"fetched"``). A date more than a day in the future is
treated as unusable. Text beyond ``MAX_TEXT_CHARS`` is cut off.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from contract import ids
from contract.records import Article, Source
from ingest.feedlist import Feed

BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    }
)
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg"})
FUTURE_SLACK = timedelta(days=1)
MAX_TEXT_CHARS = 100_000  # keeps every message well under Kafka's 1 MB default
_SPACES = re.compile(r"[^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self._skipping += 1
        elif tag in BLOCK_TAGS:
            self._pre += tag == "pre"
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in BLOCK_TAGS:
            self._pre = max(0, self._pre - (tag == "pre"))
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # In HTML a line break in text is just a space, except inside <pre>.
            self.parts.append(data if self._pre else data.replace("\r", " ").replace("\n", " "))


def html_to_text(html: str) -> str:
    """Readable text from an HTML fragment: tags gone, entities decoded."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return clean_text("".join(parser.parts))


def clean_text(text: str) -> str:
    """NFC, no control characters, single spaces, paragraphs split by one blank line."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text).replace("\r", "\n"))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n\n".join(line for line in lines if line)


def _detail_text(value: str, detail: Any) -> str:
    kind = str((detail or {}).get("type") or "text/html")
    if "html" in kind or "xml" in kind:
        return html_to_text(value)
    return clean_text(unescape(value))


def entry_text(entry: Any) -> str:
    """The fullest text the entry carries."""
    candidates = [
        _detail_text(str(block.get("value") or ""), block) for block in entry.get("content") or []
    ]
    if entry.get("summary"):
        candidates.append(_detail_text(str(entry["summary"]), entry.get("summary_detail")))
    return max(candidates, key=len, default="")


def entry_time(entry: Any, fetched: datetime) -> tuple[datetime, str]:
    """(published UTC, where it came from)."""
    for key, origin in (("published_parsed", "feed"), ("updated_parsed", "updated")):
        parsed = dict.get(entry, key)  # plain lookup: feedparser would alias the two keys
        if not parsed:
            continue
        try:
            when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
        except (OverflowError, ValueError, TypeError):
            continue
        if when <= fetched + FUTURE_SLACK:
            return when, origin
    return fetched, "fetched"


def entry_link(entry: Any, base: str) -> str:
    link = str(entry.get("link") or "").strip()
    if not link:
        for candidate in entry.get("links") or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = str(candidate["href"]).strip()
                break
    if link and urlsplit(link).scheme not in ("http", "https"):
        joined = urljoin(base, link)
        link = joined if urlsplit(joined).scheme in ("http", "https") else ""
    return link


def language_code(value: str) -> str:
    """'nl-NL' -> 'nl'; '' when not a plausible ISO 639 code."""
    code = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else ""


_WORD = re.compile(r"\w+")
STORY_WORDS = 80  # words of text that ids.story_id fingerprints


def story_prefix(text: str, chars: int = 4000) -> str:
    """The start of ``text`` that still holds every word ``ids.story_id`` reads.

    ``story_id`` folds the whole text and then keeps its first 80 words;
    handing it a prefix with more than 80 complete words gives the same id at
    a fraction of the cost for long articles.
    """
    prefix = text[:chars]
    if len(prefix) < len(text) and len(_WORD.findall(prefix)) > STORY_WORDS:
        return prefix
    return text


def feed_id(url: str) -> str:
    return hashlib.blake2b(url.encode("utf-8"), digest_size=8).hexdigest()


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def normalise(
    entry: Any,
    *,
    feed: Feed,
    fetched: datetime,
    feed_title: str = "",
    feed_language: str = "",
    base_url: str = "",
) -> Article:
    """One entry as an Article; ``ValueError`` when it has neither title nor text."""
    title = html_to_text(str(entry.get("title") or ""))
    text = entry_text(entry)[:MAX_TEXT_CHARS]
    if not title and not text:
        raise ValueError("entry has neither title nor text")
    link = entry_link(entry, base_url or feed.url)
    guid = str(entry.get("id") or "").strip()
    if not link and not guid:
        guid = "content:" + ids.content_hash(title, text)
    published, origin = entry_time(entry, fetched)
    authors = [str(a.get("name")).strip() for a in entry.get("authors") or [] if a.get("name")] or (
        [str(entry["author"]).strip()] if entry.get("author") else []
    )
    categories = [str(t.get("term")).strip() for t in entry.get("tags") or [] if t.get("term")]
    return Article(
        id=ids.article_id(link, guid, feed.url),
        url=link,
        title=title,
        text=text,
        published=iso(published),
        source=Source(
            name=feed.name or feed_title or (urlsplit(feed.url).hostname or feed.url),
            feed_url=feed.url,
            feed_id=feed_id(feed.url),
            tags=list(feed.tags),
        ),
        fetched_at=iso(fetched),
        story_id=ids.story_id(title, story_prefix(text)),
        content_hash=ids.content_hash(title, text),
        guid=guid,
        published_from=origin,
        authors=list(dict.fromkeys(authors)),
        categories=list(dict.fromkeys(categories)),
        language_hint=language_code(feed.language or feed_language),
    )
