"""One entity layer from the model's names and the gazetteer's: the merge rules."""

from __future__ import annotations

import pytest

from processors.recognition.merge import Listed, Span, merge, trim
from tests.processors.recognition.conftest import enriched, entity

SOURCE = "spacy:newsstream_ner_en-1.0.0"
VERSION = "spacy-3.8.18/newsstream_ner_en-1.0.0"

TEXT = (
    "Atletico de Madrid won in Madrid. Barcelona beat a U.S. side at the Tour de France. "
    "Jeanne Roussel-Marchand met the SNCF and the sncf. Roussel-Marchand left for Lyon."
)
LISTED = {
    "United States": Listed("loc:country:us", "LOC", "United States"),
    "Madrid": Listed("loc:madrid", "LOC", "Madrid"),
    "Barcelona": Listed("loc:barcelona", "LOC", "Barcelona"),
    "France": Listed("loc:country:fr", "LOC", "France"),
    "Lyon": Listed("loc:lyon", "LOC", "Lyon"),
}


def link(name: str) -> Listed | None:
    return {"U.S.": LISTED["United States"], "Lyon": LISTED["Lyon"]}.get(name)


def at(surface: str, nth: int = 0, value: str = TEXT) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = value.index(surface, start + 1)
    return start, start + len(surface)


def span(surface: str, type_: str, nth: int = 0) -> Span:
    return Span(*at(surface, nth), type_)


def listed(name: str, surface: str, nth: int = 0, source: str = "gazetteer"):
    entry = LISTED[name]
    return entity(
        entry.id, entry.type, entry.name, [("text", *at(surface, nth), surface)], source=source
    )


def layer(entities, spans, use_link=True):
    out = merge(
        enriched("", TEXT, entities),
        {"text": spans},
        source=SOURCE,
        version=VERSION,
        link=link if use_link else None,
    )
    return {
        (e.id, e.type, e.name, e.source): [TEXT[m.start : m.end] for m in e.mentions]
        for e in out.entities
    }


@pytest.mark.parametrize(
    ("entities", "spans", "expected"),
    [
        # The model's name linked to the listed entity at the same place.
        (
            [listed("Madrid", "Madrid", 1)],
            [span("Madrid", "LOC", 1), span("Atletico de Madrid", "ORG")],
            {
                ("loc:madrid", "LOC", "Madrid", "gazetteer"): ["Madrid"],
                ("name:org:atletico-de-madrid", "ORG", "Atletico de Madrid", SOURCE): [
                    "Atletico de Madrid"
                ],
            },
        ),
        # A listed place inside a longer name is not a name of its own.
        (
            [listed("Madrid", "Madrid", 0)],
            [span("Atletico de Madrid", "ORG")],
            {
                ("name:org:atletico-de-madrid", "ORG", "Atletico de Madrid", SOURCE): [
                    "Atletico de Madrid"
                ]
            },
        ),
        # A listed place the context makes a club takes the model's type, unlinked.
        (
            [listed("Barcelona", "Barcelona")],
            [span("Barcelona", "ORG")],
            {("name:org:barcelona", "ORG", "Barcelona", SOURCE): ["Barcelona"]},
        ),
        # ... unless a preposition says it is the place.
        (
            [listed("Madrid", "Madrid", 1)],
            [span("Madrid", "ORG", 1), span("Atletico de Madrid", "ORG")],
            {
                ("loc:madrid", "LOC", "Madrid", "gazetteer"): ["Madrid"],
                ("name:org:atletico-de-madrid", "ORG", "Atletico de Madrid", SOURCE): [
                    "Atletico de Madrid"
                ],
            },
        ),
        # ... or it is a country: a country that acts is still the country.
        (
            [],
            [span("U.S.", "ORG")],
            {("loc:country:us", "LOC", "United States", "gazetteer"): ["U.S."]},
        ),
        # Any other disagreement is the model's mistake: the listed type stays.
        (
            [listed("Lyon", "Lyon")],
            [span("Lyon", "PER")],
            {("loc:lyon", "LOC", "Lyon", "gazetteer"): ["Lyon"]},
        ),
        # A listed country the model reads as MISC is the country.
        (
            [listed("France", "France")],
            [span("France", "MISC")],
            {("loc:country:fr", "LOC", "France", "gazetteer"): ["France"]},
        ),
        # Inside a name the model reads as MISC: neither is kept.
        ([listed("France", "France")], [span("Tour de France", "MISC")], {}),
        # A listed name the model missed is added.
        ([listed("Lyon", "Lyon")], [], {("loc:lyon", "LOC", "Lyon", "gazetteer"): ["Lyon"]}),
        # A model name whose text is listed links even without a gazetteer match,
        # keeping an abbreviation's full stop.
        (
            [],
            [span("U.S.", "LOC")],
            {("loc:country:us", "LOC", "United States", "gazetteer"): ["U.S."]},
        ),
        # The fast path's heuristic names give way to the model's.
        (
            [
                entity(
                    "name:misc:jeanne",
                    "MISC",
                    "Jeanne",
                    [("text", *at("Jeanne"), "Jeanne")],
                    source="heuristic",
                )
            ],
            [],
            {},
        ),
        # A name found once counts where the model missed it; a lower-case look-alike not.
        (
            [],
            [span("Madrid", "LOC", 1)],
            {("name:loc:madrid", "LOC", "Madrid", SOURCE): ["Madrid", "Madrid"]},
        ),
        ([], [span("SNCF", "ORG")], {("name:org:sncf", "ORG", "SNCF", SOURCE): ["SNCF"]}),
        # Same folded name: one entity; a surname joins the full name.
        (
            [],
            [
                span("SNCF", "ORG"),
                span("sncf", "ORG"),
                span("Roussel-Marchand", "PER", 1),
                span("Jeanne Roussel-Marchand", "PER"),
            ],
            {
                ("name:org:sncf", "ORG", "SNCF", SOURCE): ["SNCF", "sncf"],
                ("name:per:jeanne-roussel-marchand", "PER", "Jeanne Roussel-Marchand", SOURCE): [
                    "Jeanne Roussel-Marchand",
                    "Roussel-Marchand",
                ],
            },
        ),
        # Edge punctuation trimmed; a span without letters is not a name.
        (
            [],
            [Span(at("SNCF")[0] - 1, at("SNCF")[1] + 1, "ORG"), Span(*at(". "), "PER")],
            {("name:org:sncf", "ORG", "SNCF", SOURCE): ["SNCF"]},
        ),
    ],
)
def test_merge_rules(entities, spans, expected):
    assert layer(entities, spans) == expected


def test_without_a_link_an_unmatched_name_stands_on_its_own():
    assert layer([], [span("U.S.", "LOC")], use_link=False) == {
        ("name:loc:u-s", "LOC", "U.S.", SOURCE): ["U.S."]
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("the U.S. side", "U.S."),
        ("Acme Corp. said", "Acme Corp."),
        ("in Lyon.", "Lyon"),
        ("«Lyon»", "Lyon"),
    ],
)
def test_trim_keeps_an_abbreviations_full_stop(value, expected):
    start = value.index(expected.strip("."))
    s, e = trim(value, Span(start, start + len(expected) + 1, "LOC"))
    assert value[s:e] == expected


def test_title_and_text_mentions_of_one_entity_and_input_unchanged():
    title = "Roussel-Marchand in Lyon"
    lyon = entity("loc:lyon", "LOC", "Lyon", [("title", 20, 24, "Lyon")])
    article = enriched(title, TEXT, [lyon])
    out = merge(
        article,
        {
            "title": [Span(0, 16, "PER"), Span(20, 24, "LOC")],
            "text": [span("Jeanne Roussel-Marchand", "PER"), span("Lyon", "LOC")],
        },
        source=SOURCE,
        version=VERSION,
        link=link,
    )
    by_name = {e.name: e for e in out.entities}
    person = by_name["Jeanne Roussel-Marchand"]
    # The surname counts wherever else it is written, though the model missed it there.
    assert [(m.field, m.text) for m in person.mentions] == [
        ("title", "Roussel-Marchand"),
        ("text", "Jeanne Roussel-Marchand"),
        ("text", "Roussel-Marchand"),
    ]
    assert by_name["Lyon"].count == 2 and by_name["Lyon"].id == "loc:lyon"
    assert out.versions == {"pipeline": "fast/1", "recognition": VERSION}
    assert article.entities == [lyon] and lyon.count == 1


def test_a_name_takes_the_type_most_of_its_mentions_in_the_article_got():
    text = "Barrichello won in Monza. Barrichello said so. Later Barrichello left."
    kinds = ("ORG", "PER", "PER")
    spans = [Span(*at("Barrichello", n, text), kind) for n, kind in enumerate(kinds)]
    out = merge(enriched("", text, []), {"text": spans}, source=SOURCE, version=VERSION)
    assert [(e.type, e.name, e.count) for e in out.entities] == [("PER", "Barrichello", 3)]


def test_a_surname_counts_as_a_person_where_the_full_name_is_one():
    text = "Rubens Barrichello won. Barrichello said so. Barrichello left."
    spans = [
        Span(*at("Rubens Barrichello", 0, text), "PER"),
        Span(*at("Barrichello", 1, text), "ORG"),
        Span(*at("Barrichello", 2, text), "PER"),
    ]
    out = merge(enriched("", text, []), {"text": spans}, source=SOURCE, version=VERSION)
    assert [(e.type, e.name, e.count) for e in out.entities] == [("PER", "Rubens Barrichello", 3)]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", [("ORG", "Commissie", 2), ("PER", "Romano Prodi", 1)]),
        ("es", [("PER", "Commissie", 2), ("PER", "Romano Prodi", 1)]),  # "de" is "of" there
    ],
)
def test_a_one_word_person_after_a_dutch_article_is_an_organisation(language, expected):
    text = "Romano Prodi sprak. De voorzitter van de Commissie zei dat de Commissie beslist."
    spans = [
        Span(*at("Romano Prodi", 0, text), "PER"),
        Span(*at("Commissie", 0, text), "PER"),
        Span(*at("Commissie", 1, text), "PER"),
    ]
    out = merge(
        enriched("", text, [], language=language), {"text": spans}, source=SOURCE, version=VERSION
    )
    assert sorted((e.type, e.name, e.count) for e in out.entities) == expected


@pytest.mark.parametrize(
    ("full_name", "lone", "expected"),
    [
        # The article names the person in full: the lone surname is that person.
        ("José Vallejo", 1, [("PER", "José Vallejo", 2)]),
        # No such person: the model's "person" is the listed city after all.
        ("José García", 0, [("LOC", "Vallejo", 1), ("PER", "José García", 1)]),
    ],
)
def test_a_listed_place_read_as_a_person_is_the_person_the_article_names_in_full(
    full_name, lone, expected
):
    text = f"{full_name} llegó tarde. Según Vallejo, el partido fue duro."
    city = entity(
        "loc:vallejo", "LOC", "Vallejo", [("text", *at("Vallejo", lone, text), "Vallejo")]
    )
    spans = [Span(*at(full_name, 0, text), "PER"), Span(*at("Vallejo", lone, text), "PER")]
    out = merge(
        enriched("", text, [city], language="es"), {"text": spans}, source=SOURCE, version=VERSION
    )
    assert sorted((e.type, e.name, e.count) for e in out.entities) == expected


def test_trim_keeps_a_bracket_the_name_opens():
    value = "in Keys (Floride) and"
    start = value.index("Keys")
    s, e = trim(value, Span(start, value.index(")") + 1, "LOC"))
    assert value[s:e] == "Keys (Floride)"


@pytest.mark.parametrize(
    ("value", "name", "kept"),
    [
        ("W L T GF GA\nArsenal 3 2 1 9 4", "GF GA", False),
        ("RUGBY UNION\nEngland beat Wales.", "RUGBY UNION", False),
        ("LONDON 1996-08-30\nShares fell.", "LONDON", True),
        ("SOCCER - JAPAN GET LUCKY WIN", "JAPAN", True),
        ("The W L T columns", "W L T", True),
    ],
)
def test_page_furniture_in_all_capitals_lines_is_not_a_name(value, name, kept):
    start = value.index(name)
    out = merge(
        enriched("", value),
        {"text": [Span(start, start + len(name), "ORG")]},
        source=SOURCE,
        version=VERSION,
    )
    assert bool(out.entities) == kept


def test_a_model_that_reads_the_gazetteer_decides_against_a_listed_match():
    entities = [listed("Madrid", "Madrid", 1), listed("Lyon", "Lyon")]
    spans = [span("Lyon", "LOC")]
    out = merge(
        enriched("", TEXT, entities),
        {"text": spans},
        source=SOURCE,
        version=VERSION,
        link=link,
        listed_alone=False,
    )
    assert {(e.id, e.source) for e in out.entities} == {("loc:lyon", "gazetteer")}
