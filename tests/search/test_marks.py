"""Entities and actors marked in an article's text: forms, folding, word edges."""

from __future__ import annotations

from search.web.marks import Term, find_marks, render, terms_for

DOC = {
    "actors": {"id": ["juan-guaido"], "name": ["Juan Guaidó"], "matched_text": ["Guaido"]},
    "entities": {
        "person": ["Nicolás Maduro"],
        "location": ["Caracas"],
        "organisation": [],
        "misc": [],
    },
}


def _marked(text: str) -> list[tuple[str, str]]:
    return [(text[m.start : m.end], m.term.kind) for m in find_marks(text, terms_for(DOC))]


def test_names_surnames_and_matched_text_are_found_without_case_or_accents():
    text = "Nicolas Maduro en GUAIDÓ in Caracas; later Maduro alone."
    assert _marked(text) == [
        ("Nicolas Maduro", "person"),
        ("GUAIDÓ", "actor"),
        ("Caracas", "location"),
        ("Maduro", "person"),
    ]


def test_never_inside_a_longer_word_but_across_a_hyphen():
    assert _marked("Madurodam and Caracasweg") == []
    assert _marked("de regering-Maduro") == [("Maduro", "person")]


def test_a_name_written_with_a_soft_hyphen_or_a_zero_width_space_is_marked():
    # The enrichment finds these names (it drops the invisible characters), so
    # the page must mark them too.
    text = "Ma\u00adduro sprak met Gu\u200baidó in Cara\u00adcas."
    assert _marked(text) == [
        ("Ma\u00adduro", "person"),
        ("Gu\u200baidó", "actor"),
        ("Cara\u00adcas", "location"),
    ]


def test_offsets_survive_characters_that_fold_to_two():
    text = "Straße, Caracas"
    assert _marked(text) == [("Caracas", "location")]


def test_render_escapes_text_and_links_each_mark_to_a_search():
    html = str(
        render(
            "<b>Caracas</b>\n\nnext",
            find_marks(
                "<b>Caracas</b>\n\nnext", [Term("Caracas", "location", "entity", "Caracas")]
            ),
        )
    )
    assert html == (
        '<p>&lt;b&gt;<a class="mark mark-location" href="/?entity=Caracas" '
        'title="location: Caracas">Caracas</a>&lt;/b&gt;</p><p>next</p>'
    )
