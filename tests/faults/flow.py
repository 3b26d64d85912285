"""A flow of generated articles, served as RSS feeds that grow wave by wave.

Every article is distinct (its own URL, title and text, so its own story);
every tenth one names a tracked person planted in its text, and every
seventh one (from the fourth) mentions a zeppelin, which a saved search for
"zeppelins" looks for. The alerts the flow must raise are therefore known
from how it was generated, not from the matching code: one per planted
article and one per zeppelin.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from pathlib import Path

from contract.ids import article_id
from search.saved_searches import search_id

WORDS = [
    "government",
    "minister",
    "election",
    "parliament",
    "coalition",
    "budget",
    "protest",
    "capital",
    "opposition",
    "agreement",
    "summit",
    "energy",
    "climate",
    "market",
    "inflation",
    "court",
    "police",
    "strike",
    "hospital",
    "school",
    "border",
    "trade",
    "tariffs",
    "vote",
    "campaign",
    "report",
    "officials",
    "said",
    "tuesday",
    "according",
    "statement",
    "after",
    "talks",
    "with",
    "leaders",
    "region",
    "harbour",
    "railway",
    "museum",
    "farmers",
]
ACTOR_ID = "ottilie-brandvoort"
ACTOR_NAME = "Ottilie Brandvoort"
WATCHLIST = f"""\
actors:
  - id: {ACTOR_ID}
    name: {ACTOR_NAME}
    kind: person
    aliases: [{ACTOR_NAME}]
"""
PLANT_EVERY = 10
SEARCH_NAME = "Zeppelins"
SEARCH_QUERY = "zeppelins"
SEARCH_ACTOR = f"search:{search_id(SEARCH_NAME)}"
SEARCH_EVERY = 7


@dataclass(frozen=True)
class Item:
    feed: int
    n: int
    url: str
    title: str
    text: str
    planted: bool
    searched: bool = False

    @property
    def id(self) -> str:
        return article_id(self.url)


class Flow:
    """``feeds`` feeds of ``per_feed`` articles each, released in ``waves``."""

    def __init__(
        self, base_url: str, *, feeds: int = 20, per_feed: int = 50, waves: int = 40, seed: int = 7
    ) -> None:
        rng = random.Random(seed)
        self.base_url = base_url
        self.feeds = feeds
        self.waves = waves
        self.items: list[Item] = []
        for f in range(feeds):
            for n in range(per_feed):
                number = f * per_feed + n
                planted = number % PLANT_EVERY == 0
                searched = number % SEARCH_EVERY == 3
                words = [rng.choice(WORDS) for _ in range(60)]
                if planted:
                    words[rng.randrange(5, 55)] = f"minister {ACTOR_NAME} said"
                self.items.append(
                    Item(
                        feed=f,
                        n=n,
                        url=f"https://flow{f}.example/news/{number}",
                        title=f"Report {number}: {' '.join(words[:5])}",
                        text=f"Report number {number}. "
                        + " ".join(words)
                        + (". A zeppelin flew over." if searched else "."),
                        planted=planted,
                        searched=searched,
                    )
                )
        self.per_feed = per_feed

    @property
    def ids(self) -> set[str]:
        return {item.id for item in self.items}

    @property
    def expected_alerts(self) -> set[tuple[str, str]]:
        """(actor id, article id) of every alert the flow must raise, once each
        (a saved search's alerts carry ``search:<its id>`` as their actor id)."""
        return {(ACTOR_ID, item.id) for item in self.items if item.planted} | {
            (SEARCH_ACTOR, item.id) for item in self.items if item.searched
        }

    def feed_list(self, path: Path) -> Path:
        lines = ["feeds:"]
        for f in range(self.feeds):
            lines += [
                f"  - url: {self.base_url}/feeds/flow{f}.rss",
                f"    name: Flow {f}",
                "    interval: 1",
            ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def shown(self, k: int) -> int:
        return round(self.per_feed * k / self.waves)

    def wave(self, k: int) -> dict[str, bytes]:
        """The feed files after wave ``k`` (1..waves): each feed's first items."""
        return {f"flow{f}.rss": self._rss(f, self.shown(k)) for f in range(self.feeds)}

    def released(self, k: int) -> set[str]:
        """Ids of the articles the feeds hold after wave ``k``."""
        return {i.id for i in self.items if i.n < self.shown(k)}

    def _rss(self, f: int, shown: int) -> bytes:
        entries = []
        for item in self.items[f * self.per_feed : f * self.per_feed + shown]:
            stamp = formatdate(1_790_000_000 + item.feed * 10_000 + item.n * 60, usegmt=True)
            entries.append(
                f"<item><title>{escape(item.title)}</title><link>{item.url}</link>"
                f"<guid>{item.url}</guid><pubDate>{stamp}</pubDate>"
                f"<description>{escape(item.text)}</description></item>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Flow {f}</title><link>https://flow{f}.example/</link>"
            f"<description>generated</description><language>en</language>"
            f"{''.join(reversed(entries))}</channel></rss>"
        ).encode()
