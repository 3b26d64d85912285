"""Find tracked actors in an article: a pure function over plain text.

Every alias is folded by the shared name-matching core
(:mod:`processors.enrichment.textmatch`: case and accents removed, so
"GUAIDO" finds "Guaidó"; punctuation and spaces of any kind are one space;
soft hyphens and zero-width characters dropped) and compiled once per
watchlist into one Aho-Corasick automaton, so an article is scanned once
whatever the size of the watchlist, in the text the gazetteer and topics
already folded. A hit in the folded text then has to pass the rules below
before it counts:

* word boundaries: the character before the alias must not be a letter or
  digit (a hyphen is fine: "regering-Maduro"), and neither may the one after
  it, unless what follows is an inflection ending from a small closed list
  and then a boundary ("Maduros", "Путина"); apostrophe and hyphen endings
  ("Maduro's", "Maduro’s", "Sánchez'", "Maduro-regime") end at a boundary by
  themselves. "Madurodam" therefore never finds Maduro. Aliases written in
  scripts without spaces between words (Chinese, Japanese, Thai) match
  anywhere;
* the longest alias wins where hits overlap ("Nicolas Maduro" is one
  mention, not two), and an actor's ``exclude`` phrases swallow its aliases
  ("Melania Trump" is not Donald Trump);
* ``capitalised`` aliases are also ordinary words and count only when
  written with their capital letters ("Trump", not "trump card"; "UN", not
  French "un");
* a surname counts alone, or with ``surname_alone: false`` only in an
  article that also has a full alias;
* ``requires_context`` aliases count only with another alias of the same
  actor, one of its ``context`` words, or a named entity of the actor's type
  over the same span.

Offsets are character offsets into the original, unfolded title or text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ahocorasick

from newsstream.contract.records import ActorMention, Entity
from processors.alerts.watchlist import Actor, Watchlist
from processors.enrichment.textmatch import build_automaton, fold_text, match_key, raw_hits

# Inflection endings a name may take without an apostrophe, by script.
LATIN_SUFFIXES = ("s",)
CYRILLIC_SUFFIXES = (
    "а", "я", "у", "ю", "ом", "ем", "ым", "им", "е", "ы", "и", "ой", "ей", "ого", "ому",
)
ENTITY_TYPES = {"person": "PER", "organisation": "ORG"}
#: Key in ``EnrichedArticle.versions`` set by the stage that matched actors;
#: its presence means ``actors`` is the full answer, even when empty.
ACTORS_STEP = "actors"

@dataclass(frozen=True)
class Hit:
    """One accepted occurrence of an actor's name."""

    actor_id: str
    field: str  # title | text
    start: int
    end: int
    text: str
    role: str  # alias | surname | ambiguous


@dataclass(frozen=True)
class _Entry:
    actor: int  # index into watchlist.actors
    role: str  # alias | surname | ambiguous | context | exclude
    length: int  # folded length
    capital: bool
    acronym: bool
    bounded: bool
    suffixes: tuple[str, ...]


def fold_key(text: str) -> str:
    """An alias as the automaton stores it: folded, single spaces."""
    return match_key(text)


def fold_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """Folded text and, per folded character, its index in ``text`` (None: identity)."""
    folded = fold_text(text)
    return folded.folded, folded.origin


def _unspaced_script(text: str) -> bool:
    """True for aliases in scripts written without spaces between words."""
    for ch in text:
        cp = ord(ch)
        if (
            0x2E80 <= cp <= 0x9FFF  # CJK radicals, kana, CJK ideographs
            or 0xAC00 <= cp <= 0xD7AF  # Hangul: particles attach to the name
            or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x2FA1F
            or 0x0E00 <= cp <= 0x0EFF  # Thai, Lao
            or 0x1000 <= cp <= 0x109F  # Myanmar
            or 0x1780 <= cp <= 0x17FF  # Khmer
        ):
            return True
    return False


def _default_suffixes(alias: str) -> tuple[str, ...]:
    last = next((c for c in reversed(alias) if c.isalpha()), "")
    if "\u0400" <= last <= "\u04ff":
        return CYRILLIC_SUFFIXES
    if last.isascii() or "LATIN" in unicodedata.name(last, ""):
        return LATIN_SUFFIXES
    return ()


def _entries_for(index: int, actor: Actor) -> Iterable[tuple[str, _Entry]]:
    ambiguous = set(actor.requires_context)
    capital = set(actor.capitalised)
    own = tuple(fold_key(s) for s in actor.suffixes)
    roles: list[tuple[str, str]] = [(a, "alias") for a in actor.aliases]
    roles += [(s, "surname") for s in actor.surnames]
    roles += [(a, "ambiguous") for a in actor.requires_context]
    for written, role in roles:
        if written in ambiguous:
            role = "ambiguous"
        letters = [c for c in written if c.isalpha()]
        key = fold_key(written)
        yield key, _Entry(
            actor=index, role=role, length=len(key), capital=written in capital,
            acronym=len(letters) >= 2 and all(c.isupper() for c in letters),
            bounded=not _unspaced_script(written),
            suffixes=tuple(dict.fromkeys(_default_suffixes(written) + own)),
        )
    for written, role in [(c, "context") for c in actor.context] + [
        (x, "exclude") for x in actor.exclude
    ]:
        key = fold_key(written)
        yield key, _Entry(
            actor=index, role=role, length=len(key), capital=False, acronym=False,
            bounded=not _unspaced_script(written), suffixes=_default_suffixes(written),
        )


def compile_watchlist(watchlist: Watchlist) -> ahocorasick.Automaton | None:
    """The watchlist's automaton, built once and kept on the watchlist."""
    if watchlist._compiled is not None:
        return watchlist._compiled or None
    table: dict[str, list[_Entry]] = {}
    for i, actor in enumerate(watchlist.actors):
        for key, entry in _entries_for(i, actor):
            if key:
                table.setdefault(key, []).append(entry)
    if not table:
        watchlist._compiled = False
        return None
    # Keys of names written with spaces match at word starts only; the
    # others (Chinese, Japanese...) anywhere.
    automaton = build_automaton(
        {key: (not all(e.bounded for e in entries), tuple(entries))
         for key, entries in table.items()}
    )
    watchlist._compiled = automaton
    return automaton


def _bounded(folded: str, start: int, end: int, suffixes: tuple[str, ...]) -> bool:
    """Word boundaries around ``[start, end)``; folded text has only letters,
    digits and spaces, so a boundary is a space or an end of the text."""
    if start > 0 and folded[start - 1] != " ":
        return False
    if end >= len(folded) or folded[end] == " ":
        return True
    for suffix in suffixes:
        after = end + len(suffix)
        if folded.startswith(suffix, end) and (after >= len(folded) or folded[after] == " "):
            return True
    return False


def _capitalised(written: str, acronym: bool) -> bool:
    letters = [c for c in written if c.isalpha()]
    if not letters:
        return True
    if acronym:
        return all(c.isupper() for c in letters if c.lower() != c.upper())
    first = letters[0]
    return first.isupper() or first.lower() == first.upper()


def _raw_hits(
    automaton: ahocorasick.Automaton, field: str, original: str
) -> list[tuple[int, int, _Entry, str]]:
    """(start, end, entry, written) for every hit that passes the local rules."""
    ft = fold_text(original)
    folded = ft.folded
    out = []
    for start, end, _infix, entries in raw_hits(automaton, folded):
        for entry in entries:
            if entry.bounded and not _bounded(folded, start, end, entry.suffixes):
                continue
            o_start, o_end = ft.span(start, end)
            written = original[o_start:o_end]
            if entry.capital and not _capitalised(written, entry.acronym):
                continue
            out.append((o_start, o_end, entry, written))
    return out


_ROLE_RANK = {"alias": 0, "surname": 1, "ambiguous": 2}


def _resolve(raw: list[tuple[int, int, _Entry, str]]) -> list[tuple[int, int, _Entry, str]]:
    """Drop excluded hits, then keep the longest of overlapping hits."""
    excludes = [(s, e, en.actor) for s, e, en, _ in raw if en.role == "exclude"]
    names = [
        h for h in raw
        if h[2].role in _ROLE_RANK
        and not any(xs <= h[0] and h[1] <= xe and xa == h[2].actor for xs, xe, xa in excludes)
    ]
    names.sort(key=lambda h: (-(h[1] - h[0]), h[0], _ROLE_RANK[h[2].role]))
    kept: list[tuple[int, int, _Entry, str]] = []
    taken: set[tuple[int, int, int]] = set()
    for hit in names:
        start, end, entry, _ = hit
        if (start, end, entry.actor) in taken:
            continue
        if any(s < end and start < e and (s, e) != (start, end) for s, e, _en, _w in kept):
            continue
        kept.append(hit)
        taken.add((start, end, entry.actor))
    return kept


def _entity_spans(entities: Sequence[Entity]) -> dict[tuple[str, str], list[tuple[int, int]]]:
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for entity in entities:
        for m in entity.mentions:
            spans.setdefault((entity.type, m.field), []).append((m.start, m.end))
    return spans


def find_hits(
    watchlist: Watchlist, title: str, text: str, entities: Sequence[Entity] = ()
) -> list[Hit]:
    """Every counted occurrence of every tracked actor, title first, in order."""
    automaton = compile_watchlist(watchlist)
    if automaton is None:
        return []
    fields = {"title": title or "", "text": text or ""}
    raw = {f: _raw_hits(automaton, f, value) for f, value in fields.items()}
    context = {en.actor for hits in raw.values() for _s, _e, en, _w in hits if en.role == "context"}
    kept = {f: _resolve(hits) for f, hits in raw.items()}
    roles_by_actor: dict[int, set[str]] = {}
    for hits in kept.values():
        for _s, _e, entry, _w in hits:
            roles_by_actor.setdefault(entry.actor, set()).add(entry.role)
    spans = _entity_spans(entities)
    out: list[Hit] = []
    for field_name, hits in kept.items():
        for start, end, entry, written in sorted(hits, key=lambda h: h[0]):
            actor = watchlist.actors[entry.actor]
            roles = roles_by_actor[entry.actor]
            if entry.role == "surname" and not (actor.surname_alone or "alias" in roles):
                continue
            if entry.role == "ambiguous":
                named = "alias" in roles or ("surname" in roles and actor.surname_alone)
                typed = any(
                    s < end and start < e
                    for s, e in spans.get((ENTITY_TYPES.get(actor.kind, ""), field_name), [])
                )
                if not (named or entry.actor in context or typed):
                    continue
            out.append(Hit(actor.id, field_name, start, end, written, entry.role))
    return out


def match_actors(
    watchlist: Watchlist, title: str, text: str, entities: Sequence[Entity] = ()
) -> list[ActorMention]:
    """One :class:`ActorMention` per tracked actor found, in watchlist order.

    The mention points at the actor's first occurrence in the text (which
    makes the better snippet), else in the title; ``count`` is the number
    of occurrences in both.
    """
    hits = find_hits(watchlist, title, text, entities)
    by_actor: dict[str, list[Hit]] = {}
    for hit in hits:
        by_actor.setdefault(hit.actor_id, []).append(hit)
    out = []
    for actor in watchlist.actors:
        found = by_actor.get(actor.id)
        if not found:
            continue
        first = next((h for h in found if h.field == "text"), found[0])
        out.append(ActorMention(
            actor_id=actor.id, name=actor.name, kind=actor.kind, matched_text=first.text,
            field=first.field, start=first.start, end=first.end, count=len(found),
        ))
    return out
