"""How the CRF tagger cuts text into tokens and sentences."""

from __future__ import annotations

from processors.recognition.tokens import sentences, tokenize


def words(text: str) -> list[str]:
    return [text[s:e] for s, e in tokenize(text)]


def test_punctuation_is_split_off_but_an_abbreviation_keeps_its_full_stop():
    text = 'Mr. Pompeo (U.S.) said: "FC. Barcelona won in EE.UU., not in Caracas."'
    assert words(text) == [
        "Mr.",
        "Pompeo",
        "(",
        "U.S.",
        ")",
        "said",
        ":",
        '"',
        "FC.",
        "Barcelona",
        "won",
        "in",
        "EE.UU.",
        ",",
        "not",
        "in",
        "Caracas",
        ".",
        '"',
    ]


def test_offsets_point_into_the_text():
    text = "«Lyon», dit-il."
    assert [text[s:e] for s, e in tokenize(text)] == ["«", "Lyon", "»", ",", "dit-il", "."]


def test_sentences_end_at_a_line_break_or_a_full_stop_before_a_capital():
    text = "Maduro spoke in Caracas. Guaidó replied. it was 3.5 per cent\nRUGBY UNION"
    cut = [[text[s:e] for s, e in sentence] for sentence in sentences(text, tokenize(text))]
    assert cut == [
        ["Maduro", "spoke", "in", "Caracas", "."],
        ["Guaidó", "replied", ".", "it", "was", "3.5", "per", "cent"],
        ["RUGBY", "UNION"],
    ]
