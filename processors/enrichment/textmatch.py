"""Find whole-word keys of an Aho-Corasick automaton in folded text.

This is the one name-matching core: the gazetteer, the proper-name
heuristic, topics and actor matching all read the same text, folded by
:mod:`contract.text` (as the article page folds it to mark names).

Keys are found by ``ahocorasick_rs`` (Rust's aho-corasick crate): every
article is walked several times (gazetteer, topics, actors), and its walk is
the cheapest of the Python Aho-Corasick libraries, with overlapping hits
reported in the order of their ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ahocorasick_rs


@dataclass(frozen=True)
class KeyAutomaton:
    """The matcher over the stored keys (a leading space unless infix) and, by
    key index, whether the key is infix and what a hit gives."""

    matcher: ahocorasick_rs.AhoCorasick | None  # None when there are no keys
    hits: tuple[tuple[bool, Any], ...]  # (infix, payload)

    def __len__(self) -> int:  # an automaton without keys is false
        return len(self.hits)


def build_automaton(items: dict[str, tuple[bool, Any]]) -> KeyAutomaton:
    """An automaton over ``{key: (infix, payload)}``.

    Keys match at word starts only (a leading space is part of the stored
    key and the text is searched with a leading space), so the automaton
    does not report the many hits inside other words; ``infix`` keys match
    anywhere, for compounds.
    """
    if not items:
        return KeyAutomaton(None, ())
    stored = [key if infix else " " + key for key, (infix, _) in items.items()]
    matcher = ahocorasick_rs.AhoCorasick(stored, matchkind=ahocorasick_rs.MatchKind.Standard)
    return KeyAutomaton(matcher, tuple(items.values()))


def raw_hits(automaton: KeyAutomaton, folded: str) -> Iterator[tuple[int, int, bool, Any]]:
    """Every (start, end, infix, payload) in ``folded`` (offsets into ``folded``),
    overlapping hits included, in order of their ends.

    The end is not checked: callers decide which endings they accept
    (a plain boundary, a genitive "s", a prefix keyword).
    """
    if automaton.matcher is None:
        return
    hits = automaton.hits
    for index, start, end in automaton.matcher.find_matches_as_indexes(
        " " + folded, overlapping=True
    ):
        # Offsets index the padded text, i.e. one less in ``folded``.
        infix, payload = hits[index]
        yield (start - 1 if infix else start), end - 1, infix, payload
