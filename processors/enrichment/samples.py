"""Sample articles for measuring and checking the enrichment without a feed.

The benchmarks and the tests build articles from bare text; the shipped
sample (a Dutch news article about Venezuela, ``seeds/``) is the one they
time the steps on.
"""

from __future__ import annotations

from pathlib import Path

from contract.ids import article_id
from contract.records import Article, Source

SEED_ARTICLE = Path(__file__).resolve().parents[2] / "seeds" / "000_91a08a025cc7bc70.txt"


def make_article(
    title: str, text: str, *, url: str = "https://example.org/a/1", hint: str = ""
) -> Article:
    """An article with ``title`` and ``text`` from a fixed example source and time."""
    return Article(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        published="2019-03-12T10:00:00Z",
        source=Source("Example", "https://example.org/feed"),
        fetched_at="2019-03-12T10:01:00Z",
        language_hint=hint,
    )


def seed_article() -> Article:
    """The shipped sample article."""
    return make_article(
        "",
        SEED_ARTICLE.read_text(encoding="utf-8"),
        url="https://example.org/venezuela/maduro-verzet",
    )
