"""Text folded for matching names: one folding for enrichment and the pages.

Folding casefolds, removes accents, turns every character that is not a
letter or digit into a space and drops soft hyphens and zero-width
characters, so "GUAIDÓ", "Guaidó" and "Guaido" are one key, "Ma<soft hyphen>duro"
is "maduro" and "regering-Maduro" holds the word "maduro". A :class:`FoldedText` maps its
offsets back to the original, so what is found in the folded text points at
what the reader sees.

An article is folded once: :func:`fold_text` is cached, so every step asking
for the same title or text gets the same :class:`FoldedText`. Folding runs
in C (``str.lower``, regular-expression substitution) for the characters
that fold to exactly one character, which is nearly all news text; only the
rest (ligatures, "ß", combining accents, soft hyphens) goes through a
per-character path that also builds the offset map.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from contract.ids import fold

# Soft hyphens and zero-width characters that scraped text hides inside words.
INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


@lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """Fold one character: letters and digits casefolded without accents,
    anything else a space, invisible characters nothing."""
    if ch in INVISIBLE:
        return ""
    return "".join(c if c.isalnum() else " " for c in fold(ch))


def match_key(name: str) -> str:
    """The key of a name or term: folded, punctuation as single spaces.

    "Groot-Brittannië" -> "groot brittannie", "L'Oréal" -> "l oreal"; text is
    folded the same way, so "regering-Maduro" holds the word "maduro".
    """
    return " ".join(_fold(name).folded.split())


def _char_class(codes: list[int]) -> str:
    """A regular-expression character class for ``codes`` (sorted), as ranges."""
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        first, last = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        parts.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return "".join(parts)


# ASCII letters and digits stay, every other ASCII byte becomes a space;
# bytes of multi-byte UTF-8 sequences pass unchanged.
_ASCII_BLANKS = bytes(0x20 if b < 0x80 and not chr(b).isalnum() else b for b in range(256))


@dataclass(frozen=True)
class _Tables:
    """Character classes that let C code do the folding of ordinary text."""

    odd: re.Pattern[str]  # folds to other than one character: per-character path
    changed: re.Pattern[str]  # non-ASCII, after lower(): folds to another character
    changed_to: dict[str, str]  # ("é" -> "e", "«" -> " ")


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    """Classify every character of the Basic Multilingual Plane once (~0.1 s).

    A character is "odd" unless it folds to exactly one character and
    lowering it first gives the same result; characters beyond the BMP and
    lone surrogates are always odd (rare in news; they take the exact path).
    """
    odd: list[int] = []
    changed: dict[str, str] = {}
    for code in range(0x10000):
        ch = chr(code)
        folded = fold_char(ch)
        low = ch.lower()
        if (
            len(folded) != 1
            or len(low) != 1
            or fold_char(low) != folded
            or 0xD800 <= code <= 0xDFFF  # lone surrogates: not encodable
        ):
            odd.append(code)
        elif folded != low and not low.isascii():
            changed[low] = folded
    return _Tables(
        odd=re.compile(f"[{_char_class(odd)}\U00010000-\U0010ffff]"),
        changed=re.compile(f"[{_char_class(sorted(ord(c) for c in changed))}]"),
        changed_to=changed,
    )


def _fold_plain(text: str, tables: _Tables) -> str:
    """Fold text without odd characters (one character in, one out)."""
    low = text.lower()
    if low.isascii():
        return low.encode("ascii").translate(_ASCII_BLANKS).decode("ascii")
    low = low.encode("utf-8").translate(_ASCII_BLANKS).decode("utf-8")
    to = tables.changed_to
    return tables.changed.sub(lambda m: to[m.group()], low)


@dataclass(frozen=True)
class FoldedText:
    """``original`` folded, with ``origin[i]`` = index in ``original`` of folded char i."""

    original: str
    folded: str
    origin: list[int] | None  # None when folding kept every offset

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the folded span ``[start, end)``."""
        if self.origin is None:
            return start, end
        o_start = self.origin[start]
        o_end = self.origin[end - 1] + 1
        # Swallow combining marks that folding removed right after the span.
        while o_end < len(self.original) and not fold_char(self.original[o_end]):
            o_end += 1
        return o_start, o_end

    def folded_span(self, start: int, end: int) -> tuple[int, int]:
        """Folded offsets of the original span ``[start, end)``."""
        if self.origin is None:
            return start, end
        return bisect_left(self.origin, start), bisect_left(self.origin, end)

    def key(self, start: int, end: int) -> str:
        """The folded form of ``original[start:end]`` (a word's lookup key)."""
        f_start, f_end = self.folded_span(start, end)
        return self.folded[f_start:f_end]


def _fold(text: str) -> FoldedText:
    tables = _tables()
    first = tables.odd.search(text)
    if first is None:
        return FoldedText(text, _fold_plain(text, tables), None)
    parts: list[str] = []
    origin: list[int] = []
    done = 0
    for m in tables.odd.finditer(text, first.start()):
        at = m.start()
        if at > done:
            parts.append(_fold_plain(text[done:at], tables))
            origin.extend(range(done, at))
        folded = fold_char(m.group())
        parts.append(folded)
        origin.extend([at] * len(folded))
        done = at + 1
    if done < len(text):
        parts.append(_fold_plain(text[done:], tables))
        origin.extend(range(done, len(text)))
    return FoldedText(text, "".join(parts), origin)


@lru_cache(maxsize=64)
def fold_text(text: str) -> FoldedText:
    """Fold ``text`` keeping a map back to the original offsets.

    Cached: the gazetteer, the heuristic, topics and actor matching fold the
    same title and text, and pay for it once.
    """
    return _fold(text)
