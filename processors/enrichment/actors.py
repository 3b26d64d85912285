"""Find tracked actors in an article: a pure function over plain text.

Every alias is folded as every name match folds text
(:mod:`contract.text`: case and accents removed, so
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
* case, in scripts that have it: a capitalised alias counts only where the
  text writes it with a capital or in all capitals ("Trump", not "her trump
  card"; "Major", not "a major step"); an alias in capitals (an acronym)
  counts written the same way, or in Title case from four letters on
  ("FIFA", "Fifa"), never in lower case and never with an ending ("AD" is
  not "ADS"; "FIFA's" is fine);
* a one-word name does not count inside someone else's longer name: right
  before or after another capitalised word that is not a sentence opener,
  role word or everyday word ("Pompeo Batoni", "Clinton Whitelaw"), after an
  initial or a given name ("P. Johnson", "Paul Johnson"), or inside an
  entity the recognisers found that is not this actor;
* a person does not count where the recognisers typed a place or an
  organisation, nor an organisation where they typed a person; an
  organisation named after a place counts there unless the text reads as
  the place ("en Barcelona", a dateline, a list of places);
* a one-word name that is also an everyday word of the article's language,
  at the start of a sentence, counts only when the actor has a surer
  mention in the article;
* a surname counts alone, or with ``surname_alone: false`` only in an
  article that also has a full alias;
* ``requires_context`` aliases count only with another alias of the same
  actor, one of its ``context`` words, or a named entity of the actor's type
  over the same span.

The watchlist relaxes these per actor or name: ``any_case``,
``inside_names``, ``appears_as`` (see :mod:`processors.enrichment.watchlist`).
Every hit carries the alias, the rules that accepted it and the entity the
recognisers saw there, so an alert can explain itself.

Offsets are character offsets into the original, unfolded title or text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from contract.records import ActorMention, Entity
from contract.text import fold_text, match_key
from processors.enrichment.common_words import is_common_word
from processors.enrichment.textmatch import KeyAutomaton, build_automaton, raw_hits
from processors.enrichment.watchlist import Actor, Watchlist

# Inflection endings a name may take without an apostrophe, by script.
LATIN_SUFFIXES = ("s",)
CYRILLIC_SUFFIXES = (
    "а",
    "я",
    "у",
    "ю",
    "ом",
    "ем",
    "ым",
    "им",
    "е",
    "ы",
    "и",
    "ой",
    "ей",
    "ого",
    "ому",
)
ENTITY_TYPES = {"person": "PER", "organisation": "ORG"}
#: Key in ``EnrichedArticle.versions`` set by the stage that matched actors;
#: its presence means ``actors`` is the full answer, even when empty.
ACTORS_STEP = "actors"


@dataclass(frozen=True)
class Hit:
    """One accepted occurrence of an actor's name, and why it was accepted."""

    actor_id: str
    field: str  # title | text
    start: int
    end: int
    text: str
    role: str  # alias | surname | ambiguous
    alias: str = ""  # the watchlist name that matched, as the watchlist writes it
    rule: str = ""  # the rules that accepted it, e.g. "surname, capitalised"
    entity: str = ""  # what the recognisers saw there, e.g. "PER Nicolás Maduro"


@dataclass(frozen=True)
class _Entry:
    actor: int  # index into watchlist.actors
    role: str  # alias | surname | ambiguous | context | exclude
    length: int  # folded length
    written: str  # the name as the watchlist writes it
    case: str  # any | name | acronym | exact (see _case_rule)
    partial: bool  # a surname, or a part of another of the actor's names
    inside_ok: bool  # may fire inside a longer name
    bounded: bool
    suffixes: tuple[str, ...]


def fold_key(text: str) -> str:
    """An alias as the automaton stores it: folded, single spaces."""
    return match_key(text)


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


def _case_of(written: str, actor: Actor) -> str:
    """How the text must write a name: any | name | acronym | exact.

    ``name``: a capitalised word of the alias needs a capital (or all
    capitals) in the text; ``acronym`` (an alias written in capitals, such
    as FIFA or AD): all capitals, or Title case from four letters on;
    ``exact``: all capitals only (an acronym listed under ``capitalised``).
    """
    letters = [c for c in written if c.isalpha()]
    cased = [c for c in letters if c.lower() != c.upper()]
    if written in actor.any_case or not cased:
        return "any"
    if " " not in written.strip() and len(letters) >= 2 and all(c.isupper() for c in cased):
        return "exact" if written in actor.capitalised else "acronym"
    return "name"


def _partial_keys(actor: Actor) -> set[str]:
    """Folded names that are only part of a name: surnames, and aliases that
    are a run of words inside another of the actor's names."""
    full = [f" {fold_key(a)} " for a in actor.names]
    keys = {fold_key(s) for s in actor.surnames}
    for name in actor.names:
        key = fold_key(name)
        if any(f" {key} " in other and other != f" {key} " for other in full):
            keys.add(key)
    return keys


def _entries_for(index: int, actor: Actor) -> Iterable[tuple[str, _Entry]]:
    ambiguous = set(actor.requires_context)
    own = tuple(fold_key(s) for s in actor.suffixes)
    partial = _partial_keys(actor)
    roles: list[tuple[str, str]] = [(a, "alias") for a in actor.aliases]
    roles += [(s, "surname") for s in actor.surnames]
    roles += [(a, "ambiguous") for a in actor.requires_context]
    for written, role in roles:
        if written in ambiguous:
            role = "ambiguous"
        key = fold_key(written)
        case = _case_of(written, actor)
        acronym = case in ("acronym", "exact")
        yield (
            key,
            _Entry(
                actor=index,
                role=role,
                length=len(key),
                written=written,
                case=case,
                partial=key in partial,
                inside_ok=written in actor.inside_names,
                bounded=not _unspaced_script(written),
                suffixes=() if acronym else tuple(dict.fromkeys(_default_suffixes(written) + own)),
            ),
        )
    for written, role in [(c, "context") for c in actor.context] + [
        (x, "exclude") for x in actor.exclude
    ]:
        key = fold_key(written)
        yield (
            key,
            _Entry(
                actor=index,
                role=role,
                length=len(key),
                written=written,
                case="any",
                partial=False,
                inside_ok=True,
                bounded=not _unspaced_script(written),
                suffixes=_default_suffixes(written),
            ),
        )


def compile_watchlist(watchlist: Watchlist) -> KeyAutomaton | None:
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
        {
            key: (not all(e.bounded for e in entries), tuple(entries))
            for key, entries in table.items()
        }
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


_WORDS = re.compile(r"[^\W_]+")
_ARTICLES = frozenset(
    {
        "de",
        "het",
        "the",
        "la",
        "le",
        "les",
        "los",
        "las",
        "el",
        "van",
        "von",
        "der",
        "den",
        "del",
        "di",
        "da",
        "du",
        "des",
        "y",
        "of",
        "die",
        "das",
    }
)


def _case_rule(entry: _Entry, written: str) -> str | None:
    """The case rule ``written`` passes for ``entry``, or None (see :func:`_case_of`)."""
    if entry.case == "any":
        return "any case" if any(c.isalpha() for c in entry.written) else "as written"
    letters = [c for c in written if c.lower() != c.upper()]
    if not letters:
        return "as written"
    shouted = all(c.isupper() for c in letters)
    if entry.case == "exact":
        return "as written" if shouted else None
    if entry.case == "acronym":
        if shouted:
            return "acronym as written"
        if len(letters) >= 4 and letters[0].isupper() and not any(c.isupper() for c in letters[1:]):
            return "acronym in title case"
        return None
    if shouted:
        return "all capitals"
    # The first capitalised word of the alias that is not an article or
    # particle ("de Volkskrant", "Buitenlandse zaken") must be capitalised.
    alias_words = _WORDS.findall(entry.written)
    text_words = _WORDS.findall(written)
    if len(alias_words) != len(text_words):
        alias_words, text_words = alias_words[:1], text_words[:1]
    for alias_word, text_word in zip(alias_words, text_words, strict=True):
        if alias_word.lower() in _ARTICLES or not alias_word[:1].isupper():
            continue
        if not text_word[:1].isupper():
            return None
        break
    return "capitalised"


@dataclass(frozen=True, slots=True)
class _RawHit:
    """A name found in a field that passed the local rules (boundaries, case)."""

    start: int
    end: int
    entry: _Entry
    written: str  # as the text writes it
    case: str  # the case rule it passed


@dataclass(frozen=True, slots=True)
class _Verdict:
    """Whether a hit counts, by which rules or why not, and the entity seen there."""

    counts: bool
    why: str
    seen_as: str


def _raw_hits(automaton: KeyAutomaton, field: str, original: str) -> list[_RawHit]:
    """Every hit passing the local rules, with offsets into ``original``."""
    ft = fold_text(original)
    folded = ft.folded
    out = []
    for start, end, _infix, entries in raw_hits(automaton, folded):
        for entry in entries:
            if entry.bounded and not _bounded(folded, start, end, entry.suffixes):
                continue
            o_start, o_end = ft.span(start, end)
            if entry.written.endswith(".") and original[o_end : o_end + 1] == ".":
                o_end += 1  # "U.N." keeps its last full stop
            written = original[o_start:o_end]
            case = _case_rule(entry, written)
            if case is None:
                continue
            out.append(_RawHit(o_start, o_end, entry, written, case))
    return out


_ROLE_RANK = {"alias": 0, "surname": 1, "ambiguous": 2}


def _resolve(raw: list[_RawHit]) -> list[_RawHit]:
    """Drop excluded hits, then keep the longest of overlapping hits."""
    excludes = [(h.start, h.end, h.entry.actor) for h in raw if h.entry.role == "exclude"]
    names = [
        h
        for h in raw
        if h.entry.role in _ROLE_RANK
        and not any(
            xs <= h.start and h.end <= xe and xa == h.entry.actor for xs, xe, xa in excludes
        )
    ]
    names.sort(key=lambda h: (-(h.end - h.start), h.start, _ROLE_RANK[h.entry.role]))
    kept: list[_RawHit] = []
    taken: set[tuple[int, int, int]] = set()
    for hit in names:
        start, end, entry = hit.start, hit.end, hit.entry
        if (start, end, entry.actor) in taken:
            continue
        if any(k.start < end and start < k.end and (k.start, k.end) != (start, end) for k in kept):
            continue
        kept.append(hit)
        taken.add((start, end, entry.actor))
    return kept


@dataclass(frozen=True)
class _Seen:
    """A span the recognisers typed: (type, entity name, start, end, text)."""

    type: str
    name: str
    start: int
    end: int
    text: str


def _seen_spans(entities: Sequence[Entity]) -> dict[str, list[_Seen]]:
    spans: dict[str, list[_Seen]] = {}
    for entity in entities:
        for m in entity.mentions:
            spans.setdefault(m.field, []).append(
                _Seen(entity.type, entity.name, m.start, m.end, m.text)
            )
    return spans


@lru_cache(maxsize=4096)  # per hit otherwise; actors are immutable
def _own_keys(actor: Actor) -> frozenset[str]:
    """Folded names that are this actor, possessive forms included."""
    keys = {fold_key(n) for n in (*actor.names, actor.name)}
    return frozenset(keys | {k + "s" for k in keys} | {k + "'s" for k in keys})


@lru_cache(maxsize=4096)  # per hit otherwise; actors are immutable
def _own_words(actor: Actor) -> frozenset[str]:
    return frozenset(w for n in (*actor.names, actor.name) for w in _WORDS.findall(fold_key(n)))


@lru_cache(maxsize=4096)  # per hit otherwise; actors are immutable
def _own_initials(actor: Actor) -> frozenset[str]:
    """Initials of the actor's given names ("G." for "G. Kersey", "M." for "Mark Rutte")."""
    initials: set[str] = set()
    for name in (*actor.names, actor.name):
        words = _WORDS.findall(fold_key(name))
        initials.update(w[0] for w in words[:-1])
    return frozenset(initials)


def _is_actor(seen: _Seen, actor: Actor) -> bool:
    own = _own_keys(actor)
    return fold_key(seen.text) in own or fold_key(seen.name) in own


def _word_before(text: str, start: int) -> tuple[str, int]:
    """The word right before ``start`` (one space apart, opening punctuation
    dropped) and where that word starts."""
    i = start - 1
    if i < 1 or text[i] != " ":
        return "", -1
    j = i
    while j > 0 and not text[j - 1].isspace():
        j -= 1
    quoted = j < i and text[j] in _OPENING
    while j < i and text[j] in _OPENING:
        j += 1
    word = text[j:i]
    if quoted:  # a nickname: Angel "Wichel" González
        word = word.rstrip("\"'”’»")
    return word, j


def _word_after(text: str, end: int) -> str:
    if end + 1 >= len(text) or text[end] != " ":
        return ""
    j = end + 1
    while j < len(text) and (text[j].isalnum() or text[j] in "-'\u2019"):
        j += 1
    return text[end + 1 : j]


def _sentence_start(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and (text[i] == " " or text[i] in _OPENING):
        i -= 1
    if i >= 1 and text[i] == "." and text[i - 1].isupper() and (i < 2 or not text[i - 2].isalnum()):
        return False  # the full stop of an initial ("C. Lewis")
    return i < 0 or text[i] in _SENTENCE_END


@lru_cache(maxsize=1)
def _cues() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(given names, role words, words that are never names) of the enrichment."""
    from processors.enrichment.propernames import cues

    c = cues()
    return c.given_names, c.person, c.not_names


def _name_follows(text: str, end: int) -> bool:
    """A given name right after: a title and a person ("Cultuur Bert Anciaux")."""
    return fold_key(_word_after(text, end)) in _cues()[0]


def _initial(word: str) -> bool:
    return len(word) == 2 and word[0].isupper() and word[1] == "."


def _longer_name(
    text: str, start: int, end: int, actor: Actor, shouting: bool, language: str
) -> str:
    """Why the name at ``text[start:end]`` is part of someone else's longer
    name ("Pompeo Batoni", "Clinton Whitelaw", "Paul Johnson", "P. Johnson",
    "Junta de Andalucía"), or "" when it is not. A capitalised role word
    ("Minister-president Rutte") or everyday word ("Die Regierung Merkel")
    before it is not a given name.

    Where capitals say nothing (all-capitals or Title Case headlines) only
    initials, known given names and words that are not everyday words count.
    """
    given, roles, never = _cues()
    own = _own_words(actor)
    skip = own | roles | never
    before, pos = _word_before(text, start)
    key = fold_key(before).rstrip(".,:;")
    if _initial(before) and fold_key(before[0]) not in _own_initials(actor):
        return f"after the initial {before!r}"
    if key in given and key not in own and before[:1].isupper():
        return f"after the given name {before!r}"
    if shouting and not language:
        return ""  # capitals say nothing, and no word list to tell names from words

    def name_like(word: str) -> bool:
        # where capitals say nothing, a word that is not an everyday word
        return (
            bool(_NAME_WORD.fullmatch(word))
            and word[:1].isupper()
            and (not shouting or not is_common_word(word, language))
            and fold_key(word) not in skip
            and not (set(fold_key(word).split()) & roles)
        )

    if _FIRM.match(text, end) or _FIRM_BEFORE.search(text, 0, start):
        return "part of a firm's name with '&'"  # "Jones & Co", "Johnson & Johnson"
    after = _word_after(text, end)
    if name_like(after) and fold_key(after) not in given:  # "Verkeer Isabelle Durant"
        return f"followed by {after!r}"
    if after.lower() in _PARTICLES:
        beyond = _word_after(text, end + 1 + len(after))
        if name_like(beyond):
            return f"followed by {after + ' ' + beyond!r}"
    if name_like(before) and not is_common_word(before, language):
        return f"after {before!r}"
    if before in _PARTICLES and fold_key(before) not in own:
        earlier, _ = _word_before(text, pos)
        if name_like(earlier) and (actor.kind != "person" or not is_common_word(earlier, language)):
            return f"after {earlier + ' ' + before!r}"
        if actor.kind == "person" and not _NAME_WORD.fullmatch(earlier):
            return f"after {before!r}, which starts a surname"
    if actor.kind == "person" and _GLUED_PARTICLE.search(before):
        return f"after {before!r}, which starts a surname"
    return ""


_FIRM = re.compile(r" ?& ?[A-Z]")
_FIRM_BEFORE = re.compile(r"[A-Za-z.] ?& ?$")
_GLUED_PARTICLE = re.compile(r"\.(?:de|da|van|von|del|di|dos)$")
_NAME_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_OPENING = frozenset("([{\"'«„“‘¿¡")
_SENTENCE_END = frozenset('.!?:;"”’»)\n\r\t•|')
_PARTICLES = frozenset(
    {
        "de",
        "del",
        "van",
        "von",
        "of",
        "du",
        "des",
        "di",
        "da",
        "voor",
        "for",
        "para",
        "pour",
        "für",
    }
)
_TYPES = {"PER": "person", "ORG": "organisation", "LOC": "place"}
_PLACE_WORDS = frozenset(
    {
        "in",
        "at",
        "near",
        "from",
        "en",
        "de",
        "desde",
        "hacia",
        "cerca",
        "uit",
        "naar",
        "te",
        "bij",
        "nabij",
        "nach",
        "aus",
        "bei",
        "dans",
        "vers",
        "à",
        "près",
        "em",
        "di",
        "da",
        "do",
    }
)
_BRACKETED_DATELINE = re.compile(r"\), \d")
_DATELINE = re.compile(r"\s*(?:,|\(|\d{4}-\d\d-\d\d)")
_LIST_JOINS = frozenset({"", "y", "e", "and", "en", "et", "und", "o", "or", "of"})


def _shouting(text: str) -> bool:
    """All capitals or Title Case, where capitals say nothing about names."""
    words = [w for w in _WORDS.findall(text) if len(w) > 3 and w.isalpha()]
    if not words:
        return False
    upper = sum(w.isupper() for w in words) / len(words)
    title = sum(w[0].isupper() for w in words) / len(words)
    return upper > 0.6 or (len(words) >= 4 and title > 0.6)


def _place_reading(text: str, start: int, end: int, seen: list[_Seen]) -> str:
    """Why a place name is read as the place here, or "" when it may be the
    organisation named after it: after a word such as "in" or "en" ("Nacido
    en Barcelona"), in a dateline ("BARCELONA, 23 may"), or in a list of
    places ("Argentina, Brasil y Perú")."""
    before, _pos = _word_before(text, start)
    if before.lower() in _PLACE_WORDS:
        return f"after {before!r}"
    line_start = start == 0 or text[start - 1] == "\n"
    if line_start and _DATELINE.match(text, end):
        return "a dateline"
    if text[start - 1 : start] == "(" and _BRACKETED_DATELINE.match(text, end):
        return "a dateline"
    after = _word_after(text, end)
    if after[:1].isupper() and fold_key(after) not in _cues()[2]:
        return f"part of a longer name, followed by {after!r}"
    for s in seen:
        if s.type != "LOC" or (s.start < end and start < s.end):
            continue
        gap = text[s.end : start] if s.end <= start else text[end : s.start]
        if gap.strip(" ,").lower() in _LIST_JOINS and len(gap) <= 5:
            return f"listed with {s.text!r}"
    return ""


def _judge(
    actor: Actor,
    hit: _RawHit,
    value: str,
    seen: list[_Seen],
    shouting: bool,
    language: str,
) -> _Verdict:
    """Whether one hit counts, and why."""
    entry, start, end, written = hit.entry, hit.start, hit.end, hit.written
    overlapping = [s for s in seen if s.start < end and start < s.end]
    wanted = ENTITY_TYPES.get(actor.kind, "")
    entity = (
        next((s for s in overlapping if s.type == wanted), None)
        or next((s for s in overlapping if s.type in _TYPES), None)
        or (overlapping[0] if overlapping else None)
    )
    seen_as = f"{entity.type} {entity.name}" if entity else ""
    rules = []
    single = " " not in entry.written.strip()
    if not entry.inside_ok:
        # A name the recognisers found around this one is someone else's;
        # untyped runs of capitals (MISC) only veto one-word names.
        inside = next(
            (
                s
                for s in overlapping
                if s.start <= start
                and end <= s.end
                and (s.start, s.end) != (start, end)
                and (s.type in _TYPES or (single and not _name_follows(value, end)))
                and not _is_actor(s, actor)
            ),
            None,
        )
        if inside is not None:
            return _Verdict(False, f"inside {inside.type} {inside.text!r}", seen_as)
        if single:
            loud = shouting or (written.isupper() and entry.case not in ("acronym", "exact"))
            why = _longer_name(value, start, end, actor, loud, language)
            if why:
                return _Verdict(False, f"part of a longer name: {why}", seen_as)
            rules.append("not inside a longer name")
    covering = [s for s in overlapping if s.start <= start and end <= s.end]
    types = {s.type for s in covering if s.type in _TYPES}
    if types and wanted not in types:
        allowed = sorted(_TYPES[t] for t in types if _TYPES[t] in actor.appears_as)
        if allowed:
            rules.append(f"may appear as {', '.join(allowed)}")
        elif actor.kind == "organisation" and types == {"LOC"}:
            why = _place_reading(value, start, end, seen)
            if why:
                return _Verdict(False, f"read as the place: {why}", seen_as)
            rules.append("a place name, not in a place context")
        else:
            return _Verdict(False, f"typed {'/'.join(sorted(types))}", seen_as)
    if (
        language
        and single
        and entry.case == "name"
        and is_common_word(written, language)
        and (not written.isupper() and _sentence_start(value, start))
        and not any(s.type == wanted for s in covering)
    ):
        rules.append(_WEAK)
    return _Verdict(True, ", ".join(rules), seen_as)


_WEAK = "an everyday word where capitals say nothing, with a surer mention elsewhere"


def _hit(actor: Actor, field_name: str, hit: _RawHit, rule: str, seen_as: str) -> Hit:
    """The reported occurrence of a raw hit, accepted or rejected by ``rule``."""
    return Hit(
        actor.id,
        field_name,
        hit.start,
        hit.end,
        hit.written,
        hit.entry.role,
        hit.entry.written,
        rule,
        seen_as,
    )


def find_hits(
    watchlist: Watchlist,
    title: str,
    text: str,
    entities: Sequence[Entity] = (),
    *,
    language: str = "",
    rejected: list[Hit] | None = None,
) -> list[Hit]:
    """Every counted occurrence of every tracked actor, title first, in order.

    Occurrences that another reading wins (a longer name, a place) are
    appended to ``rejected`` when given, with the reason as their ``rule``.
    """
    automaton = compile_watchlist(watchlist)
    if automaton is None:
        return []
    fields = {"title": title or "", "text": text or ""}
    raw = {f: _raw_hits(automaton, f, value) for f, value in fields.items()}
    context = {h.entry.actor for hits in raw.values() for h in hits if h.entry.role == "context"}
    kept = {f: _resolve(hits) for f, hits in raw.items()}
    seen = _seen_spans(entities)
    judged: dict[str, list[tuple[_RawHit, _Verdict]]] = {}
    roles_by_actor: dict[int, set[str]] = {}
    for field_name, hits in kept.items():
        value = fields[field_name]
        shouting = field_name == "title" and _shouting(value)
        for hit in hits:
            actor = watchlist.actors[hit.entry.actor]
            verdict = _judge(actor, hit, value, seen.get(field_name, []), shouting, language)
            if not verdict.counts:
                if rejected is not None:
                    rejected.append(_hit(actor, field_name, hit, verdict.why, verdict.seen_as))
                continue
            judged.setdefault(field_name, []).append((hit, verdict))
            if _WEAK not in verdict.why:
                roles_by_actor.setdefault(hit.entry.actor, set()).add(hit.entry.role)
    out: list[Hit] = []
    for field_name, pairs in judged.items():
        for hit, verdict in sorted(pairs, key=lambda p: p[0].start):
            entry, case = hit.entry, hit.case
            why, seen_as = verdict.why, verdict.seen_as
            actor = watchlist.actors[entry.actor]
            roles = roles_by_actor.get(entry.actor, set())
            if not roles:  # only weak mentions ("Green flags and banners ...")
                if rejected is not None:
                    rejected.append(
                        _hit(
                            actor,
                            field_name,
                            hit,
                            "an everyday word with no surer mention",
                            seen_as,
                        )
                    )
                continue
            rule = [entry.role if entry.role != "ambiguous" else "ambiguous alias", case]
            if entry.role == "surname" and not actor.surname_alone:
                if "alias" not in roles:
                    continue
                rule.append("with a full name in the article")
            if entry.role == "ambiguous":
                named = "alias" in roles or ("surname" in roles and actor.surname_alone)
                typed = seen_as.split(" ", 1)[0] == ENTITY_TYPES.get(actor.kind)
                if not (named or entry.actor in context or typed):
                    continue
                rule.append(
                    "with another name"
                    if named
                    else "with a context word"
                    if entry.actor in context
                    else "typed as its kind"
                )
            if why:
                rule.append(why)
            out.append(_hit(actor, field_name, hit, ", ".join(rule), seen_as))
    order = {"title": 0, "text": 1}
    return sorted(out, key=lambda h: (order[h.field], h.start))


def match_actors(
    watchlist: Watchlist,
    title: str,
    text: str,
    entities: Sequence[Entity] = (),
    *,
    language: str = "",
) -> list[ActorMention]:
    """One :class:`ActorMention` per tracked actor found, in watchlist order.

    The mention points at the actor's first occurrence in the text (which
    makes the better snippet), else in the title; ``count`` is the number
    of occurrences in both. It carries the alias, the rule and the entity
    seen there, so every alert can say why it fired.
    """
    hits = find_hits(watchlist, title, text, entities, language=language)
    by_actor: dict[str, list[Hit]] = {}
    for hit in hits:
        by_actor.setdefault(hit.actor_id, []).append(hit)
    out = []
    for actor in watchlist.actors:
        found = by_actor.get(actor.id)
        if not found:
            continue
        first = next((h for h in found if h.field == "text"), found[0])
        out.append(
            ActorMention(
                actor_id=actor.id,
                name=actor.name,
                kind=actor.kind,
                matched_text=first.text,
                field=first.field,
                start=first.start,
                end=first.end,
                count=len(found),
                alias=first.alias,
                rule=first.rule,
                entity=first.entity,
            )
        )
    return out
