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
from dataclasses import dataclass
from functools import lru_cache

import yaml

from newsstream.contract.ids import fold
from newsstream.contract.records import Entity, Mention
from processors.enrichment.names import SEED_DIR, curated_entries

CUES_FILE = SEED_DIR / "propernames.yaml"
SOURCE = "heuristic"
VERSION = "heuristic/1"
PARTICLES = frozenset({
    "van", "de", "der", "den", "von", "ter", "ten", "te", "la", "le", "da", "di", "du", "del",
    "dos", "das", "bin", "ibn", "al", "el", "zu", "y",
})
SENTENCE_END = frozenset(".!?:;\"“”„‘’«»()[]\n\r\t–—-•")
_WORD = re.compile(r"[^\W\d_](?:[\w'’\-]*[^\W_])?")
_POSSESSIVE = re.compile(r"['’]s?$")
MAX_WORDS = 4


@dataclass(frozen=True)
class Cues:
    given_names: frozenset[str]
    person: frozenset[str]
    organisation: frozenset[str]
    organisation_cues: frozenset[str]
    place: frozenset[str]
    not_names: frozenset[str]


def _words(value: str) -> frozenset[str]:
    return frozenset(fold(w) for w in str(value).split())


@lru_cache(maxsize=1)
def cues() -> Cues:
    with open(CUES_FILE, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    given = set(_words(data["given_names"]))
    for entry in curated_entries():
        if entry.type == "PER" and " " in entry.name:
            first = fold(entry.name.split()[0])
            if first not in PARTICLES and len(first) > 2:
                given.add(first)
    return Cues(
        frozenset(given), _words(data["person_cues"]), _words(data["organisation_words"]),
        _words(data["organisation_cues"]), _words(data["place_cues"]), _words(data["not_names"]),
    )


@dataclass
class Token:
    start: int
    end: int
    text: str
    key: str  # folded
    cap: bool
    sentence_start: bool


def _tokens(text: str) -> list[Token]:
    out = []
    for m in _WORD.finditer(text):
        word = m.group()
        end = m.end()
        stripped = _POSSESSIVE.sub("", word) if len(word) > 3 else word
        end -= len(word) - len(stripped)
        i = m.start() - 1
        while i >= 0 and text[i] == " ":
            i -= 1
        out.append(Token(
            m.start(), end, stripped, fold(stripped), stripped[:1].isupper(),
            i < 0 or text[i] in SENTENCE_END,
        ))
    return out


def _runs(
    text: str, tokens: list[Token], given: frozenset[str]
) -> list[tuple[int, list[Token]]]:
    """Maximal runs of capitalised words, with the index of the token before
    each run (-1 when none). A lowercase particle joins a run only after a
    given name or another particle ("Hugo de Jonge", "Van der Plas"), so
    "minister Heinen de Kamer" stays two runs."""
    runs: list[tuple[int, list[Token]]] = []
    current: list[Token] = []
    start_index = 0
    for i, tok in enumerate(tokens):
        joined = bool(current) and text[current[-1].end : tok.start] == " "
        if tok.cap and (joined or not current):
            if not current:
                start_index = i
            current.append(tok)
            continue
        if tok.cap:
            runs.append((start_index - 1, current))
            current, start_index = [tok], i
            continue
        if joined and tok.key in PARTICLES and (
            current[-1].key in given or current[-1].key in PARTICLES
        ):
            current.append(tok)
            continue
        if current:
            runs.append((start_index - 1, current))
        current = []
    if current:
        runs.append((start_index - 1, current))
    out = []
    for before, run in runs:
        while run and (run[-1].key in PARTICLES and not run[-1].cap):
            run = run[:-1]
        if run:
            out.append((before, run))
    return out


def _headline_unfit(text: str, tokens: list[Token]) -> bool:
    """All caps, or Title Case where capitals carry no information."""
    if text.isupper():
        return True
    long_words = [t for t in tokens if len(t.text) > 3]
    return len(long_words) >= 4 and sum(t.cap for t in long_words) / len(long_words) > 0.6


def _classify(run: list[Token], before: Token | None, c: Cues) -> tuple[str, list[Token]]:
    """(type, tokens of the name) or ("", []) when the run is not taken."""
    cue = before is not None and before.key in c.person and not before.cap
    # Leading role words and sentence openers are not part of the name.
    while run and (run[0].key in c.person or run[0].key in c.not_names):
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
    if len(run) == 1 and lowercase_before and before.key in c.organisation_cues:
        return "ORG", run
    if len(run) == 1 and lowercase_before and before.key in c.place:
        return "LOC", run
    if len(run) >= 2 and not run[0].sentence_start:
        return "MISC", run
    return "", []


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def find_unlisted(
    title: str, text: str, taken: dict[str, list[tuple[int, int]]]
) -> list[Entity]:
    """Entities for capitalised names outside the ``taken`` spans per field."""
    c = cues()
    found: dict[str, Entity] = {}
    surnames: dict[str, Entity] = {}
    # Single words and untyped runs wait for a second pass: the surname of
    # someone named in full elsewhere wins over a cue ("budget from Streeting").
    pending: list[tuple[str, str, list[Token], str]] = []  # (field, text, tokens, kind)
    for field, value in (("text", text), ("title", title)):
        tokens = _tokens(value)
        if field == "title" and _headline_unfit(value, tokens):
            continue
        spans = taken.get(field, [])
        for before_i, run in _runs(value, tokens, c.given_names):
            if any(s < run[-1].end and run[0].start < e for s, e in spans):
                continue
            before = tokens[before_i] if before_i >= 0 else None
            if before is not None and value[before.end : run[0].start] != " ":
                before = None
            kind, name_tokens = _classify(run, before, c)
            if kind in ("", "MISC") or len(name_tokens) == 1:
                pending.append((field, value, name_tokens or run, kind))
                continue
            start, end = name_tokens[0].start, name_tokens[-1].end
            name = value[start:end]
            entity = _add(found, kind, name, Mention(start, end, name, field))
            if kind == "PER":
                surnames.setdefault(" ".join(t.key for t in name_tokens[1:]), entity)
    for field, value, run, kind in pending:
        if not _join_surname(surnames, field, value, run) and kind:
            start, end = run[0].start, run[-1].end
            name = value[start:end]
            _add(found, kind, name, Mention(start, end, name, field))
    return sorted(found.values(), key=lambda e: -e.count)


def _join_surname(
    surnames: dict[str, Entity], field: str, value: str, run: list[Token]
) -> bool:
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
