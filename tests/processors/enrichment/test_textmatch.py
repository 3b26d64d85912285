import pytest

from contract.text import fold_text


@pytest.mark.parametrize(
    "text, start_word",
    [
        ("Juan Guaidó sprak", "Guaidó"),
        ("Die Straße nach Düsseldorf", "Düsseldorf"),  # ß folds to two letters
        ("Le président Macron à Paris", "Paris"),
        ("Decomposed: Guaido\u0301 spoke", "Guaido\u0301"),  # combining accent
        ("ﬁnal ﬁght in Kraków", "Kraków"),  # ligatures expand
    ],
)
def test_folded_offsets_map_back_to_the_original(text, start_word):
    ft = fold_text(text)
    from contract.ids import fold

    key = fold(start_word)
    start = ft.folded.index(key)
    o_start, o_end = ft.span(start, start + len(key))
    assert text[o_start:o_end] == start_word


def test_folding_keeps_a_map_to_original_positions():
    ft = fold_text("Aß É")
    assert ft.folded == "ass e"
    assert ft.origin == [0, 1, 1, 2, 3]


def test_plain_text_keeps_offsets():
    ft = fold_text("Maduro en de VS")
    assert ft.folded == "maduro en de vs"
    assert ft.origin is None


@pytest.mark.parametrize(
    "name, key",
    [
        ("Groot-Brittannië", "groot brittannie"),
        ("L'Oréal", "l oreal"),
        ("  U.S. ", "u s"),
        ("GUAIDÓ", "guaido"),
    ],
)
def test_match_key(name, key):
    from contract.text import match_key

    assert match_key(name) == key


def test_keys_match_at_word_starts_and_infix_keys_anywhere():
    from processors.enrichment.textmatch import build_automaton, raw_hits

    automaton = build_automaton({"ede": (False, "city"), "moord": (True, "crime")})
    folded = fold_text("Vrede in Ede; dubbele moord, roofmoord.").folded
    hits = [(folded[s:e], p) for s, e, _, p in raw_hits(automaton, folded)]
    assert hits == [("ede", "city"), ("moord", "crime"), ("moord", "crime")]


def _fold_per_character(text: str) -> tuple[str, list[int]]:
    """The definition the fast folding must agree with, one character at a time."""
    from contract.text import fold_char

    parts, origin = [], []
    for i, ch in enumerate(text):
        folded = fold_char(ch)
        parts.append(folded)
        origin.extend([i] * len(folded))
    return "".join(parts), origin


def test_fast_folding_agrees_with_folding_each_character():
    import random

    from processors.enrichment.samples import SEED_ARTICLE

    rng = random.Random(11)
    odd = "ßẞﬁİıΣςǅĲ½™ℓ\u00ad\u200b\u0301\u00a0«»„“’–—…한트럼프特朗普😀𝐀"
    pool = list(SEED_ARTICLE.read_text(encoding="utf-8")) + list(odd)
    pool += [chr(rng.randrange(0x110000)) for _ in range(500)]
    for _ in range(2000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(60)))
        ft = fold_text(text)
        folded, origin = _fold_per_character(text)
        assert ft.folded == folded, repr(text)
        assert (ft.origin if ft.origin is not None else list(range(len(text)))) == origin


def test_soft_hyphens_and_zero_width_characters_vanish_inside_words():
    text = "President Ma\u00adduro en Gu\u200baidó"
    ft = fold_text(text)
    assert ft.folded == "president maduro en guaido"
    start = ft.folded.index("maduro")
    assert ft.span(start, start + 6) == (10, 17)
    assert ft.key(10, 17) == "maduro"


def test_gazetteer_and_actor_matching_read_a_name_alike():
    from processors.enrichment.actors import match_actors
    from processors.enrichment.gazetteer import find_entities
    from processors.enrichment.watchlist import load_watchlist
    from tests.conftest import ROOT

    text = "Volgens Ma\u00adduro en «Guaidó»."
    entities = {e.id: e.mentions[0].text for e in find_entities("", text)}
    actors = {
        a.actor_id: a.matched_text
        for a in match_actors(load_watchlist(ROOT / "seeds" / "actors.yaml"), "", text)
    }
    assert entities["per:nicolas-maduro"] == actors["nicolas-maduro"] == "Ma\u00adduro"
    assert actors["juan-guaido"] == "Guaidó"
