"""Everyday words of the languages news is read in, to tell names from words.

The lists in ``seeds/common_words`` hold each language's most frequent
words that its spelling dictionary writes in lower case (see ``derive.py``
there). Matching uses them to tell a sentence opener ("Yesterday Clinton
said") from a given name ("Gillian Russell"); ``newsstream actors check``
uses them to warn about aliases that are also ordinary words ("Major",
"Onderwijs").
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from contract.ids import fold

WORDS_DIR = Path(__file__).resolve().parents[2] / "seeds" / "common_words"


@lru_cache(maxsize=1)
def languages() -> tuple[str, ...]:
    """Languages with a shipped list."""
    return tuple(sorted(p.stem for p in WORDS_DIR.glob("*.txt")))


@lru_cache(maxsize=16)
def common_words(language: str) -> frozenset[str]:
    """The folded common words of ``language`` (empty when none are shipped)."""
    path = WORDS_DIR / f"{language}.txt"
    if not path.is_file():
        return frozenset()
    return frozenset(fold(w) for w in path.read_text(encoding="utf-8").split())


@lru_cache(maxsize=1)
def _any_language() -> frozenset[str]:
    return frozenset().union(*(common_words(lang) for lang in languages()))


def is_common_word(word: str, language: str = "") -> bool:
    """True when ``word`` (any case) is an everyday word of ``language``, or of
    any shipped language when it is not given."""
    words = common_words(language) if language else _any_language()
    return fold(word) in words


def common_in(word: str, langs: tuple[str, ...] = ()) -> list[str]:
    """The languages among ``langs`` (default: all shipped) where ``word`` is common."""
    key = fold(word)
    return [lang for lang in (langs or languages()) if key in common_words(lang)]


def everyday_aliases(watchlist: Any) -> list[tuple[str, str, list[str]]]:
    """(actor id, name, languages) for every one-word name of the watchlist
    that is also an everyday word in its languages (all shipped ones when
    the watchlist names none)."""
    langs = tuple(watchlist.languages) or languages()
    out = []
    for actor in watchlist.actors:
        for name in actor.names:
            letters = [c for c in name if c.isalpha()]
            if " " in name.strip() or not letters:
                continue
            if all(c.isupper() for c in letters) and len(letters) < 4:
                continue  # a short acronym only ever matches in capitals
            found = common_in(name, langs)
            if found:
                out.append((actor.id, name, found))
    return out
