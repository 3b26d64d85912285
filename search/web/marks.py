"""Entities and actor mentions in an article's text, as linked highlights.

The indexed document keeps entity *names*, not offsets, so the page finds
their surface forms again: a name, a person's surname alone, and every text
an actor was matched on, compared without case or accents ("Guaido" marks
"Guaidó") and never inside a longer word. The text is folded as the
enrichment folds it (:mod:`contract.text`: soft hyphens and zero-width
characters dropped too), so every name it found is marked where it found
it. Pure functions over plain data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from markupsafe import Markup, escape

from contract.text import fold_text, match_key

KINDS = ("actor", "person", "organisation", "location", "misc")


@dataclass(frozen=True)
class Term:
    """A form to find, what kind of name it is and the search it links to."""

    form: str
    kind: str
    param: str  # search filter: entity or actor
    value: str


@dataclass(frozen=True)
class Mark:
    start: int
    end: int
    term: Term


def terms_for(document: dict) -> list[Term]:
    """Actors first (they win a tie), then entities by type; persons add surnames."""
    out: list[Term] = []
    actors = document.get("actors") or {}
    ids, names = actors.get("id") or [], actors.get("name") or []
    for index, name in enumerate(names):
        actor = ids[index] if index < len(ids) else name
        out.append(Term(name, "actor", "actor", actor))
    for matched in actors.get("matched_text") or []:
        owner = _owner(matched, names, ids)
        out.append(Term(matched, "actor", "actor", owner))
    entities = document.get("entities") or {}
    for kind in KINDS[1:]:
        for name in entities.get(kind) or []:
            out.append(Term(name, kind, "entity", name))
            words = name.split()
            if kind == "person" and len(words) > 1 and len(words[-1]) >= 4:
                out.append(Term(words[-1], kind, "entity", name))
    return out


def _owner(matched: str, names: list[str], ids: list[str]) -> str:
    """The actor whose name shares a word with ``matched`` (else the first one)."""
    words = set(match_key(matched).split())
    for index, name in enumerate(names):
        if words & set(match_key(name).split()):
            return ids[index] if index < len(ids) else name
    return ids[0] if ids else matched


def find_marks(text: str, terms: list[Term]) -> list[Mark]:
    """Non-overlapping marks, leftmost first, longest form at a position."""
    by_form: dict[str, Term] = {}
    for term in terms:
        key = match_key(term.form)
        if len(key) >= 2:
            by_form.setdefault(key, term)
    if not text or not by_form:
        return []
    folded = fold_text(text)
    alternatives = "|".join(re.escape(f) for f in sorted(by_form, key=len, reverse=True))
    # Folded text holds only letters, digits and spaces: a space or an end is an edge.
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    marks = []
    for match in pattern.finditer(folded.folded):
        start, end = folded.span(match.start(), match.end())
        marks.append(Mark(start, end, by_form[match.group(0)]))
    return marks


def link(term: Term) -> str:
    return "/?" + urlencode({term.param: term.value})


def render(text: str, marks: list[Mark]) -> Markup:
    """Paragraphs of escaped text with each mark a link to a search on that name."""
    pieces: list[str] = []
    at = 0
    for mark in marks:
        pieces.append(str(escape(text[at : mark.start])))
        label = f"{mark.term.kind}: {mark.term.value}"
        pieces.append(
            f'<a class="mark mark-{mark.term.kind}" href="{escape(link(mark.term))}" '
            f'title="{escape(label)}">{escape(text[mark.start : mark.end])}</a>'
        )
        at = mark.end
    pieces.append(str(escape(text[at:])))
    joined = "".join(pieces)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", joined) if p.strip()]
    return Markup("".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs))
