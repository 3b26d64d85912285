"""Names no list knows, from capitalisation and context (a light heuristic).

A run of capitalised words ("Eelco Heinen", "Stichting Het Fonds") that the
gazetteer did not claim becomes an entity when context gives its type: a
known given name or a role word before it (PER: "minister Heinen"), an
organisation word in it (ORG: "Thames Water", "FC Groningen"), a locative
preposition before a single word (LOC: "in Giethoorn"); other runs of two or
more words mid-sentence are kept as MISC. A person's surname alone later in
the article ("Heinen zei") joins the same entity. Precision comes first: a
single capitalised word at the start of a sentence is never taken, and
Title-Case or all-caps headlines are skipped. Entities found this way carry
``source="heuristic"``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import yaml

from contract.ids import fold
from contract.records import Entity, Mention
from contract.text import FoldedText, fold_text, match_key
from processors.enrichment.names import SEED_DIR, curated_entries

CUES_FILE = SEED_DIR / "propernames.yaml"
SOURCE = "heuristic"
VERSION = "heuristic/1"
PARTICLES = frozenset(
    {
        "van",
        "de",
        "der",
        "den",
        "von",
        "ter",
        "ten",
        "te",
        "la",
        "le",
        "da",
        "di",
        "du",
        "del",
        "dos",
        "das",
        "bin",
        "ibn",
        "al",
        "el",
        "zu",
        "y",
    }
)
SENTENCE_END = frozenset('.!?:;"“”„‘’«»()[]\n\r\t–—-•')
_WORD = re.compile(r"[^\W\d_](?:[\w'’\-]*[^\W_])?")
_UPPER = "".join(re.escape(chr(i)) for i in range(0x10000) if chr(i).isupper() or chr(i).istitle())
_CAPITALISED_WORD = rf"[{_UPPER}](?:[\w'’\-]*[^\W_])?"
# Capitalised words separated by single spaces, not glued to a word before.
# The capital comes first and the look-behind after it, so the regular
# expression engine can skip to capitals instead of trying every position.
_CAPITALISED_RUN = re.compile(
    rf"[{_UPPER}](?<![\w'’\-][{_UPPER}])(?:[\w'’\-]*[^\W_])?(?: {_CAPITALISED_WORD})*"
)
_PARTICLE_GAP = re.compile(
    r" (?:(?:van|de|der|den|von|ter|ten|te|la|le|da|di|du|del|dos|das|bin|ibn|al|el|zu|y) )+"
)
MAX_WORDS = 4
BEFORE_WINDOW = 40  # characters searched back for the word before a name
NOUN_CAPITALISING = frozenset({"de", "lb"})


@dataclass(frozen=True)
class Cues:
    given_names: frozenset[str]
    person: frozenset[str]
    organisation: frozenset[str]
    organisation_cues: frozenset[str]
    place: frozenset[str]
    not_names: frozenset[str]


def _words(value: str) -> frozenset[str]:
    return frozenset(match_key(w) for w in str(value).split())


@lru_cache(maxsize=1)
def cues() -> Cues:
    with open(CUES_FILE, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    given = set(_words(data["given_names"]))
    for entry in curated_entries():
        if entry.type == "PER" and " " in entry.name:
            first = match_key(entry.name.split()[0])
            if first not in PARTICLES and len(first) > 2:
                given.add(first)
    return Cues(
        frozenset(given),
        _words(data["person_cues"]),
        _words(data["organisation_words"]),
        _words(data["organisation_cues"]),
        _words(data["place_cues"]),
        _words(data["not_names"]),
    )


class Token:
    """A word of a candidate name: where it is, its folded key, its capital."""

    __slots__ = ("start", "end", "text", "key", "cap", "sentence_start")

    def __init__(
        self, start: int, end: int, text: str, key: str, cap: bool, sentence_start: bool = False
    ) -> None:
        self.start, self.end, self.text, self.key = start, end, text, key
        self.cap, self.sentence_start = cap, sentence_start


def _without_possessive(word: str) -> str:
    """``word`` without a possessive "'s" ("Maduro's" -> "Maduro")."""
    if len(word) > 3 and word[-1] == "s" and word[-2] in "'’":
        return word[:-2]
    return word


def _token(ft: FoldedText, start: int, word: str) -> Token:
    """The token of ``word`` at ``start``; its key is its stretch of the
    article's folded text (the one the gazetteer read)."""
    end = start + len(word)
    return Token(start, end, word, ft.key(start, end), word[:1].isupper())


def _sentence_start(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    return i < 0 or text[i] in SENTENCE_END


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_'’-"


def _word_before(ft: FoldedText, start: int) -> Token | None:
    """The word right before ``start``, one space apart, starting with a letter
    and at most :data:`BEFORE_WINDOW` characters back ("minister Heinen")."""
    text = ft.original
    if start < 2 or text[start - 1] != " " or not _word_char(text[start - 2]):
        return None
    limit = max(0, start - BEFORE_WINDOW)
    i = start - 2
    while i > limit and _word_char(text[i - 1]):
        i -= 1
    while i < start - 1 and not (text[i].isalnum() and not text[i].isdecimal()):
        i += 1  # the word starts at its first letter
    if i == start - 1:
        return None
    return _token(ft, i, _without_possessive(text[i : start - 1]))


def _runs(
    ft: FoldedText, given: frozenset[str], taken: Callable[[int, int], bool]
) -> list[tuple[Token | None, list[tuple[int, str]]]]:
    """Maximal runs of capitalised words outside ``taken`` spans, as (start,
    word) pairs, each with the word right before it.

    Only capitalised words are tokenised (names are a small share of news
    text), a whole run of them by one regular expression, and only once the
    run is known not to overlap a name the gazetteer took. A possessive
    ("Maduro's") ends a run. A lowercase particle joins a run only after a
    given name or another particle ("Hugo de Jonge", "Van der Plas"), so
    "minister Heinen de Kamer" stays two runs.
    """
    text = ft.original
    runs: list[list[tuple[int, str]]] = []  # (start, word without possessive)
    current: list[tuple[int, str]] = []
    open_end = -1  # where ``current`` ends (it is empty after a possessive)
    for m in _CAPITALISED_RUN.finditer(text):
        pos = m.start()
        if current:
            last_start, last_word = current[-1]
            last_key = ft.key(last_start, last_start + len(last_word))
            gap = text[open_end:pos]
            if (last_key in given or last_key in PARTICLES) and (
                _PARTICLE_GAP.fullmatch(gap) is not None
            ):
                at = open_end + 1
                for word in gap.split():
                    current.append((at, word))
                    at += len(word) + 1
            else:
                runs.append(current)
                current = []
        for word in m.group().split(" "):
            name = _without_possessive(word)
            current.append((pos, name))
            pos += len(word) + 1
            if len(name) != len(word):  # a possessive ends the run
                runs.append(current)
                current = []
        open_end = m.end() if current else -1
    if current:
        runs.append(current)
    out = []
    for run in runs:
        start, (last_start, last_word) = run[0][0], run[-1]
        if not taken(start, last_start + len(last_word)):
            out.append((_word_before(ft, start), run))
    return out


def _tokens(ft: FoldedText, run: list[tuple[int, str]]) -> list[Token]:
    tokens = [_token(ft, at, word) for at, word in run]
    tokens[0].sentence_start = _sentence_start(ft.original, tokens[0].start)
    return tokens


def _headline_unfit(text: str) -> bool:
    """All caps, or Title Case where capitals carry no information."""
    if text.isupper():
        return True
    long_words = [w for w in _WORD.findall(text) if len(w) > 3]
    return len(long_words) >= 4 and sum(w[0].isupper() for w in long_words) / len(long_words) > 0.6


def _classify(run: list[Token], before: Token | None, c: Cues) -> tuple[str, list[Token]]:
    """(type, tokens of the name) or ("", []) when the run is not taken."""
    if len(run) == 1:
        return _classify_word(run[0], before, c)
    cue = before is not None and before.key in c.person and not before.cap
    # Leading role words and sentence openers are not part of the name.
    while run and (
        run[0].key in c.person
        or run[0].key in c.not_names
        or (run[0].sentence_start and len(run) > 1 and run[1].key in c.person)
    ):
        cue = cue or run[0].key in c.person
        run = run[1:]
    if run and run[0].key in PARTICLES and not run[0].cap:
        # "Topman van Jumbo": the head of something, not a person named "van Jumbo".
        cue = False
        while run and run[0].key in PARTICLES and not run[0].cap:
            run = run[1:]
    if not run or len(run) > MAX_WORDS or all(t.key in c.not_names for t in run):
        return "", []
    keys = [t.key for t in run]
    if len(run) >= 2 and (keys[-1] in c.organisation or keys[0] in {"fc", "afc", "sc", "ac"}):
        return "ORG", run
    if any(k in c.organisation for k in keys):
        return "", []
    if cue or (len(run) >= 2 and keys[0] in c.given_names):
        return "PER", run
    lowercase_before = before is not None and not before.cap and not run[0].sentence_start
    word_before = before.key if lowercase_before and before is not None else ""
    if len(run) == 1 and word_before in c.organisation_cues:
        return "ORG", run
    if len(run) == 1 and word_before in c.place:
        return "LOC", run
    if len(run) >= 2 and not run[0].sentence_start:
        return "MISC", run
    return "", []


def _classify_word(tok: Token, before: Token | None, c: Cues) -> tuple[str, list[Token]]:
    """:func:`_classify` for a run of one word (most runs), in fewer steps."""
    key = tok.key
    if (
        key in c.person
        or key in c.not_names
        or key in c.organisation
        or (key in PARTICLES and not tok.cap)
    ):
        return "", []
    if before is not None and not before.cap:
        if before.key in c.person:
            return "PER", [tok]
        if not tok.sentence_start:
            if before.key in c.organisation_cues:
                return "ORG", [tok]
            if before.key in c.place:
                return "LOC", [tok]
    return "", []


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def find_unlisted(
    title: str, text: str, taken: dict[str, list[tuple[int, int]]], *, language: str = ""
) -> list[Entity]:
    """Entities for capitalised names outside the ``taken`` spans per field.

    In languages that capitalise every noun (German), capitals say little:
    only people (given name or role word) and organisations are taken there.
    """
    c = cues()
    allowed = {"PER", "ORG"} if language in NOUN_CAPITALISING else {"PER", "ORG", "LOC", "MISC"}
    found: dict[str, Entity] = {}
    surnames: dict[str, Entity] = {}
    # Single words and untyped runs wait for a second pass: the surname of
    # someone named in full elsewhere wins over a cue ("budget from Streeting").
    # A lone word with no word before it (most are sentence openers) waits
    # as (start, word): only a surname can claim it, so it is tokenised then.
    pending: list[tuple[str, str, list[Token] | tuple[int, str], str]] = []
    for field, value in (("text", text), ("title", title)):
        if field == "title" and _headline_unfit(value):
            continue
        overlaps = _overlap_test(taken.get(field, []))
        ft = fold_text(value)
        for before, words in _runs(ft, c.given_names, overlaps):
            if before is None and len(words) == 1:
                pending.append((field, value, words[0], ""))
                continue
            run = _tokens(ft, words)
            kind, name_tokens = _classify(run, before, c)
            kind = kind if kind in allowed else ""
            if kind in ("", "MISC") or len(name_tokens) == 1:
                pending.append((field, value, name_tokens or run, kind))
                continue
            start, end = name_tokens[0].start, name_tokens[-1].end
            name = value[start:end]
            entity = _add(found, kind, name, Mention(start, end, name, field))
            if kind == "PER":
                surnames.setdefault(" ".join(t.key for t in name_tokens[1:]), entity)
    for field, value, waiting, kind in pending:
        if isinstance(waiting, tuple):
            if not surnames:
                continue
            run = _tokens(fold_text(value), [waiting])
        else:
            run = waiting
        if not (surnames and _join_surname(surnames, field, value, run)) and kind:
            start, end = run[0].start, run[-1].end
            name = value[start:end]
            _add(found, kind, name, Mention(start, end, name, field))
    return sorted(found.values(), key=lambda e: -e.count)


def _overlap_test(spans: list[tuple[int, int]]):
    """A function telling whether ``[start, end)`` overlaps any of ``spans``."""
    ordered = sorted(spans)
    starts = [s for s, _ in ordered]
    reach: list[int] = []  # furthest end among the spans so far
    for _, e in ordered:
        reach.append(max(e, reach[-1]) if reach else e)

    def overlaps(start: int, end: int) -> bool:
        k = bisect_left(starts, end)  # spans starting before ``end``
        return k > 0 and reach[k - 1] > start

    return overlaps


def _join_surname(surnames: dict[str, Entity], field: str, value: str, run: list[Token]) -> bool:
    if len(run) == 1:
        entity = surnames.get(run[0].key)
        if entity is None:
            return False
        start, end = run[0].start, run[0].end
        entity.count += 1
        entity.mentions.append(Mention(start, end, value[start:end], field))
        return True
    keys = [t.key for t in run]
    for size in range(len(run), 0, -1):
        for offset in range(len(run) - size + 1):
            entity = surnames.get(" ".join(keys[offset : offset + size]))
            if entity is not None:
                start, end = run[offset].start, run[offset + size - 1].end
                entity.count += 1
                entity.mentions.append(Mention(start, end, value[start:end], field))
                return True
    return False


def _add(found: dict[str, Entity], kind: str, name: str, mention: Mention) -> Entity:
    entity_id = f"name:{kind.lower()}:{_slug(name)}"
    entity = found.get(entity_id)
    if entity is None:
        entity = found[entity_id] = Entity(entity_id, kind, name, 0, [], SOURCE)
    entity.count += 1
    entity.mentions.append(mention)
    return entity
