"""Generated news feeds for the soak benchmarks: a steady stream of dated items.

Feed ``f`` gains ``per_second`` items a second from ``start``; item ``n`` is
dated ``start + n / per_second`` and its text (1,500-4,000 characters in the
feed's language, a third naming a tracked actor) is built from the shipped
sentences of ``benchmarks/data/news_sentences.yaml``, seeded by its number,
so any item can be rebuilt at any time. A feed shows its newest ``window``
items: new ones arrive, and a tail of old ones stays for a while.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from pathlib import Path

import yaml

SENTENCES = Path(__file__).resolve().parent / "data" / "news_sentences.yaml"
MIN_CHARS, MAX_CHARS = 1500, 4000
ACTOR_SHARE = 1 / 3


@dataclass(frozen=True)
class Item:
    url: str
    title: str
    paragraphs: tuple[str, ...]
    published: float


class NewsText:
    """Titles and paragraphs from the shipped sentences, per language."""

    def __init__(self, seed: int = 1) -> None:
        with open(SENTENCES, encoding="utf-8") as fh:
            self.langs: dict[str, dict[str, list[str]]] = yaml.safe_load(fh)
        self.codes = sorted(self.langs)
        self.seed = seed

    def lang_of(self, feed: int) -> str:
        return self.codes[feed % len(self.codes)]

    def item(self, feed: int, n: int, base_url: str, published: float, short: bool = False) -> Item:
        rng = random.Random(f"{self.seed}/{feed}/{n}")
        pool = self.langs[self.lang_of(feed)]
        target = rng.randint(200, 400) if short else rng.randint(MIN_CHARS, MAX_CHARS)
        sentences: list[str] = []
        length = 0
        while length < target:
            sentence = rng.choice(pool["sentences"])
            sentences.append(sentence)
            length += len(sentence) + 1
        if rng.random() < ACTOR_SHARE:
            sentences.insert(rng.randrange(len(sentences)), rng.choice(pool["actors"]))
        paragraphs = tuple(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))
        title = f"{rng.choice(pool['titles'])} ({n})"
        return Item(f"{base_url}/{feed}/{n}", title, paragraphs, published)


@dataclass
class StreamFeeds:
    """``feeds`` feeds of ``per_second`` new items each, ``window`` items shown."""

    text: NewsText
    feeds: int
    per_second: float
    start: float
    window: int
    base_url: str = "https://news.soak.example"
    short: bool = False

    def newest(self, now: float) -> int:
        """Number of the newest item at ``now`` (-1: none yet)."""
        return math.floor((now - self.start) * self.per_second)

    def items(self, feed: int, now: float) -> list[Item]:
        last = self.newest(now)
        first = max(0, last - self.window + 1)
        return [
            self.text.item(
                feed, n, self.base_url, self.start + n / self.per_second, short=self.short
            )
            for n in range(last, first - 1, -1)
        ]

    def rss(self, feed: int, now: float) -> bytes:
        entries = []
        for item in self.items(feed, now):
            body = "".join(f"<p>{escape(p)}</p>" for p in item.paragraphs)
            entries.append(
                f"<item><title>{escape(item.title)}</title><link>{escape(item.url)}</link>"
                f"<guid>{escape(item.url)}</guid>"
                f"<pubDate>{formatdate(item.published, usegmt=True)}</pubDate>"
                f"<description>{escape(body)}</description></item>"
            )
        lang = self.text.lang_of(feed)
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Soak feed {feed}</title><link>https://feed{feed}.soak.example/</link>"
            f"<description>soak</description><language>{lang}</language>"
            f"{''.join(entries)}</channel></rss>"
        ).encode()
