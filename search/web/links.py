"""Links between the pages: a search URL with one filter added or removed."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

_STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}

#: The search page's parameters, in the order they appear in a URL.
PARAMS = ("q", "lang", "source", "topic", "entity", "actor", "since", "until", "sort", "copies")
MULTI = ("lang", "source", "topic", "entity", "actor")


class SearchLinks:
    """The current search as plain pairs, and URLs derived from it."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = [(k, v) for k, v in pairs if k in PARAMS and v]

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]

    def first(self, name: str) -> str:
        values = self.values(name)
        return values[0] if values else ""

    def has(self, name: str, value: str) -> bool:
        return (name, value) in self.pairs

    def url(self, pairs: list[tuple[str, str]] | None = None, **extra: str) -> str:
        chosen = list(self.pairs if pairs is None else pairs)
        chosen += [(k, v) for k, v in extra.items() if v]
        return "/?" + urlencode(chosen) if chosen else "/"

    def adding(self, name: str, value: str) -> str:
        if self.has(name, value):
            return self.url()
        single = name not in MULTI
        kept = [(k, v) for k, v in self.pairs if not (single and k == name)]
        return self.url(kept + [(name, value)])

    def removing(self, name: str, value: str) -> str:
        return self.url([(k, v) for k, v in self.pairs if (k, v) != (name, value)])

    def without(self, name: str) -> str:
        return self.url([(k, v) for k, v in self.pairs if k != name])

    def filters(self) -> list[tuple[str, str]]:
        """The active filters (everything but the query text, sort and copies)."""
        return [(k, v) for k, v in self.pairs if k not in ("q", "sort", "copies")]

    def narrowed_to(self, bucket_start: str, interval: str) -> str:
        """This search limited to one histogram bucket (``since``..``until``)."""
        try:
            start = datetime.fromisoformat(bucket_start.replace("Z", "+00:00"))
        except ValueError:
            return self.url()
        if interval in _STEP:
            end = start + _STEP[interval]
        elif interval == "month":
            end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        else:
            end = start.replace(year=start.year + 1)
        stamp = "%Y-%m-%dT%H:%M:%SZ"
        kept = [(k, v) for k, v in self.pairs if k not in ("since", "until")]
        until = end - timedelta(seconds=1)
        return self.url(kept + [("since", start.strftime(stamp)), ("until", until.strftime(stamp))])
