"""Shared helpers for enrichment tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.ids import article_id
from contract.records import Article, Source

ROOT = Path(__file__).resolve().parents[3]
SEED_ARTICLE = ROOT / "seeds" / "000_91a08a025cc7bc70.txt"


def make_article(
    title: str, text: str, *, url: str = "https://example.org/a/1", hint: str = ""
) -> Article:
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


@pytest.fixture
def seed_article() -> Article:
    return make_article(
        "",
        SEED_ARTICLE.read_text(encoding="utf-8"),
        url="https://example.org/venezuela/maduro-verzet",
    )
