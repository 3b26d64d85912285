import pytest

from processors.enrichment.textmatch import fold_text


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
    from newsstream.contract.ids import fold

    key = fold(start_word)
    start = ft.folded.index(key)
    o_start, o_end = ft.span(start, start + len(key))
    assert text[o_start:o_end] == start_word


def test_plain_text_keeps_offsets():
    ft = fold_text("Maduro en de VS")
    assert ft.folded == "maduro en de vs"
    assert ft.origin is None


@pytest.mark.parametrize(
    "name, key",
    [("Groot-Brittannië", "groot brittannie"), ("L'Oréal", "l oreal"), ("  U.S. ", "u s"),
     ("GUAIDÓ", "guaido")],
)
def test_match_key(name, key):
    from processors.enrichment.textmatch import match_key

    assert match_key(name) == key


def test_keys_match_at_word_starts_and_infix_keys_anywhere():
    from processors.enrichment.textmatch import build_automaton, raw_hits

    automaton = build_automaton({"ede": (False, "city"), "moord": (True, "crime")})
    folded = fold_text("Vrede in Ede; dubbele moord, roofmoord.").folded
    hits = [(folded[s:e], p) for s, e, _, p in raw_hits(automaton, folded)]
    assert hits == [("ede", "city"), ("moord", "crime"), ("moord", "crime")]
