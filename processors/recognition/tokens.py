"""Running text cut into tokens and sentences for the CRF tagger (pure).

The tagger reads what it was trained on: whitespace-separated chunks with
quotes, brackets and closing punctuation split off, except the full stop of
an abbreviation ("U.S.", "Mr.", "FC."), which belongs to the word. Training
text (tokens joined by spaces) and articles are cut by the same rules, so a
name's edges fall on the same characters in both.
"""

from __future__ import annotations

import re

Token = tuple[int, int]  # start and end offsets in the text

_CHUNK = re.compile(r"\S+")
_LEADING = "\"'«»“”„‘’([{¿¡*"
_TRAILING = "\"'«»“”„‘’)]}.,;:!?*"
# "U.S.", "J.", "EE.UU.": letters and full stops only.
_DOTTED = re.compile(r"^(?:[^\W\d_]\.)+$|^(?:[^\W\d_]{1,3}\.){2,}$")
# "FC.", "BM.": a short capitalised abbreviation, as club names write them.
_SHORT = re.compile(r"^[^\W\d_]{1,3}\.$")
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "jr",
        "sr",
        "st",
        "inc",
        "corp",
        "ltd",
        "co",
        "bros",
        "sra",
        "srta",
        "dña",
        "dra",
        "prof",
        "gen",
        "gov",
        "sen",
        "rep",
        "lt",
        "col",
        "sgt",
        "mt",
        "ft",
        "no",
        "nr",
        "dhr",
        "mw",
        "drs",
        "ir",
        "mevr",
        "hr",
        "fr",
        "ca",
        "vs",
        "etc",
    ]
)
SENTENCE_END = frozenset({".", "!", "?"})
MAX_SENTENCE = 80  # tokens; a longer run is cut at the next full stop


def _keeps_stop(word: str) -> bool:
    return bool(
        _DOTTED.match(word)
        or word[:-1].lower() in ABBREVIATIONS
        or (_SHORT.match(word) and word.isupper())
    )


def tokenize(text: str) -> list[Token]:
    """Token offsets: whitespace chunks with edge punctuation split off."""
    out: list[Token] = []
    for chunk in _CHUNK.finditer(text):
        start, end = chunk.start(), chunk.end()
        while start < end - 1 and text[start] in _LEADING:
            out.append((start, start + 1))
            start += 1
        trailing: list[Token] = []
        while end > start + 1 and text[end - 1] in _TRAILING:
            if text[end - 1] == "." and _keeps_stop(text[start:end]):
                break
            trailing.append((end - 1, end))
            end -= 1
        out.append((start, end))
        out += reversed(trailing)
    return out


def sentences(text: str, tokens: list[Token]) -> list[list[Token]]:
    """``tokens`` cut into sentences at line breaks and at . ! ? before a
    capital, an opening quote or bracket."""
    out: list[list[Token]] = []
    current: list[Token] = []
    for i, (start, end) in enumerate(tokens):
        if current and "\n" in text[current[-1][1] : start]:
            out.append(current)
            current = []
        current.append((start, end))
        if text[start:end] in SENTENCE_END and i + 1 < len(tokens):
            following = text[tokens[i + 1][0]]
            if following.isupper() or following in _LEADING or len(current) > MAX_SENTENCE:
                out.append(current)
                current = []
    if current:
        out.append(current)
    return out
