"""Find whole-word keys of an Aho-Corasick automaton in folded text.

Names and keywords are matched on folded text (casefold, accents removed)
so "GUAIDÓ", "Guaidó" and "Guaido" are one key; the offsets found in the
folded text are mapped back to the original so mentions point at what the
reader sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ahocorasick

from newsstream.contract.ids import fold


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    """Fold one character; punctuation and spaces become spaces (same length)."""
    return "".join(c if c.isalnum() else " " for c in fold(ch))


def match_key(name: str) -> str:
    """The automaton key of a name or term: folded, punctuation as single spaces.

    "Groot-Brittannië" -> "groot brittannie", "L'Oréal" -> "l oreal"; text is
    folded the same way, so "regering-Maduro" holds the word "maduro".
    """
    return " ".join("".join(_fold_char(c) for c in name).split())


@dataclass(frozen=True)
class FoldedText:
    """``original`` folded, with ``origin[i]`` = index in ``original`` of folded char i."""

    original: str
    folded: str
    origin: tuple[int, ...] | None  # None when folding kept every offset

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the folded span ``[start, end)``."""
        if self.origin is None:
            return start, end
        o_start = self.origin[start]
        o_end = self.origin[end - 1] + 1
        # Swallow combining marks that folding removed right after the span.
        while o_end < len(self.original) and not _fold_char(self.original[o_end]):
            o_end += 1
        return o_start, o_end


@lru_cache(maxsize=16)
def fold_text(text: str) -> FoldedText:
    """Fold ``text`` keeping a map back to the original offsets.

    Most text folds one character to one character; only then is the cheap
    ``str.translate`` path taken, otherwise an explicit offset map is built.
    Cached: the gazetteer and the topic classifier fold the same title and text.
    """
    table = {ord(c): _fold_char(c) for c in set(text)}
    if all(len(v) == 1 for v in table.values()):
        return FoldedText(text, text.translate(table), None)
    parts: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        f = table[ord(ch)]
        parts.append(f)
        origin.extend([i] * len(f))
    return FoldedText(text, "".join(parts), tuple(origin))


def build_automaton(items: dict[str, tuple[bool, Any]]) -> ahocorasick.Automaton:
    """An automaton over ``{key: (infix, payload)}``.

    Keys match at word starts only (a leading space is part of the stored
    key and the text is searched with a leading space), so the automaton
    does not report the many hits inside other words; ``infix`` keys match
    anywhere, for compounds.
    """
    automaton = ahocorasick.Automaton()
    for key, (infix, payload) in items.items():
        stored = key if infix else " " + key
        automaton.add_word(stored, (len(stored), infix, payload))
    automaton.make_automaton()
    return automaton


def raw_hits(
    automaton: ahocorasick.Automaton, folded: str
) -> Iterator[tuple[int, int, bool, Any]]:
    """Every (start, end, infix, payload) in ``folded`` (offsets into ``folded``).

    The end is not checked: callers decide which endings they accept
    (a plain boundary, a genitive "s", a prefix keyword).
    """
    if not len(automaton):
        return
    for last, (length, infix, payload) in automaton.iter(" " + folded):
        # ``last`` indexes the padded text, i.e. last - 1 in ``folded``.
        yield (last - length if infix else last - length + 1), last, infix, payload
