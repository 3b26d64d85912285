"""Where an article lives: one index per month of publication, one alias over all.

Names follow from ``Settings.index_articles`` (default ``news-articles``):

- ``news-articles-2019.03`` holds the articles *published* in March 2019;
- ``news-articles`` is an alias over every such index: search reads it;
- ``news-articles-*`` is the pattern the index template applies to.

Why months of the published date and not the rollover API: the article id is
the document ``_id``, and ``_id`` is unique only within one index. Rollover
moves writes to a fresh index, so an article redelivered after a rollover
(a replay, a restart before the offset commit) would land there as a second
copy. Computing the index from the article itself sends every delivery of an
article to the same index, so the write is an idempotent overwrite however
late it arrives. Months keep the number of indices small (twelve a year) and
make retention a matter of deleting whole indices, which is cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from contract.records import parse_iso

_MONTH_SUFFIX = re.compile(r"^(\d{4})\.(\d{2})$")


@dataclass(frozen=True)
class IndexLayout:
    """The names derived from one alias (the ``index_articles`` setting)."""

    alias: str

    @property
    def pattern(self) -> str:
        return f"{self.alias}-*"

    @property
    def template(self) -> str:
        return self.alias

    @property
    def settings_component(self) -> str:
        return f"{self.alias}-settings"

    @property
    def mappings_component(self) -> str:
        return f"{self.alias}-mappings"

    def index_for_month(self, when: datetime) -> str:
        when = when.astimezone(UTC) if when.tzinfo else when
        return f"{self.alias}-{when.year:04d}.{when.month:02d}"

    def index_for(self, published: str, *, fallback: datetime | None = None) -> str:
        """The monthly index for an article published at ``published`` (ISO-8601).

        A value that is not a date still needs a home so Elasticsearch can judge
        (and reject) the document: it goes to the month of ``fallback`` (now).
        """
        try:
            return self.index_for_month(parse_iso(published))
        except (ValueError, TypeError, AttributeError):
            return self.index_for_month(fallback or datetime.now(UTC))

    def month_of(self, index: str) -> tuple[int, int] | None:
        """(year, month) of one of our monthly indices, else None."""
        prefix = self.alias + "-"
        if not index.startswith(prefix):
            return None
        match = _MONTH_SUFFIX.match(index[len(prefix) :])
        if not match:
            return None
        year, month = int(match.group(1)), int(match.group(2))
        return (year, month) if 1 <= month <= 12 else None
