"""Shared helpers for recognition tests."""

from __future__ import annotations

import importlib.util

import pytest

from contract.records import EnrichedArticle, Entity, Language, Mention
from processors.enrichment.samples import make_article
from tests.conftest import missing


def enriched(
    title: str, text: str, entities: list[Entity] | None = None, language: str = "fr"
) -> EnrichedArticle:
    return EnrichedArticle(
        article=make_article(title, text),
        language=Language(language, 0.99, "test"),
        entities=entities or [],
        topics=[],
        versions={"pipeline": "fast/1"},
        enriched_at="2019-03-12T10:01:01Z",
    )


def entity(
    id_: str,
    type_: str,
    name: str,
    mentions: list[tuple[str, int, int, str]],
    source: str = "gazetteer",
) -> Entity:
    return Entity(
        id_, type_, name, len(mentions), [Mention(s, e, t, f) for f, s, e, t in mentions], source
    )


@pytest.fixture
def french_model() -> None:
    """The CRF runtime must be installed (``deploy/test`` installs the ner extra)."""
    require_crfsuite()


def require_crfsuite() -> None:
    """python-crfsuite must be installed (``deploy/test`` installs the ner extra)."""
    if not importlib.util.find_spec("pycrfsuite"):
        missing("python-crfsuite is not installed", "pip install -e '.[ner]'")
