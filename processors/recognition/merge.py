"""One entity layer from a model's names and the gazetteer's (pure).

Where a language has a model, the model decides where a name is and what it
is; the gazetteer says which known entity it is and adds the listed names the
model missed:

- a model name (PER, ORG, LOC) that a gazetteer match covers exactly, or
  whose text is a listed name (``link``), becomes a mention of that listed
  entity (its stable id and canonical name: "U.S." and "Verenigde Staten"
  are both United States); a listed place the model reads as an
  organisation is a club or firm named after it ("Barcelona" won) and stands
  on its own, unless it is a country ("Estados Unidos" decided is still the
  country), while any other disagreement ("Israël" read as a person) is
  the model's mistake and the listed type stays (a listed country the model
  reads as MISC, "Israël", is the country too), except that a one-word
  name the model reads as a person is the person when the article names a
  person with that surname in full ("Vallejo" after "José Vallejo", though
  Vallejo is a listed city);
- a gazetteer match inside, or overlapping, a longer model name is not a
  name of its own ("Madrid" in "Atlético de Madrid", "New York" in "New York
  Jets"), nor is one inside a name the model reads as MISC ("Tour de
  France");
- a gazetteer match the model has no name at keeps its listed entity,
  unless the model read the gazetteer's matches as features and decided
  against it (``listed_alone=False``: the CRF tagger);
- a model name in an all-capitals line that is a sports table's header
  ("W L T GF GA": words of one or two letters) or the whole of a section
  line ("RUGBY UNION") is page furniture, not a name;
- the fast path's capitalised-run heuristic gives way to the model;
- a one-word name the model reads as a person right after a Dutch definite
  article ("de Commissie", "de Tros") is an organisation;
- a name the model found once counts wherever else the article writes it,
  and so does a person's surname ("Barrichello" after "Rubens
  Barrichello"), with the type the model gave it most often.

Names that are not listed become entities merged within the article by
folded name ("SNCF" and "sncf" are one), and a person's surname alone joins
the person named in full, whichever comes first.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from contract.ids import fold
from contract.records import EnrichedArticle, Entity, Mention
from processors.enrichment.names import COUNTRY_ID_PREFIX

FIELDS = ("title", "text")
# Prepositions after which a listed place is the place (en, nl, es, de, fr).
LOCATIVE = frozenset({"in", "into", "naar", "uit", "te", "nach", "à", "desde", "hacia"})
TYPES = ("PER", "ORG", "LOC")  # the types the service keeps; a model's MISC only blocks
# Definite articles a person's name does not take: a one-word name after one
# that a model reads as a person is an organisation ("de Commissie", "de Tros",
# "het KVS"). Only where the article is no other word ("de" is "of" in Spanish).
ARTICLES = {"nl": frozenset({"de", "het"})}
LISTED = "gazetteer"  # Entity.source of listed entities
_LETTER = re.compile(r"[^\W\d_]")
# Punctuation a model sometimes leaves at a span's edge ("«Lyon", "Danone,").
_EDGE = " \t\n\r.,;:!?\"'«»“”„‘’()[]–—-"
# A trailing full stop that belongs to the name ("U.S.", "Corp.", "Jr.").
_ABBREVIATION = re.compile(r"(?:\b\w\.\w\.|\b(?:Corp|Inc|Ltd|Co|Jr|Sr|Bros|St)\.)$")


@dataclass(frozen=True)
class Span:
    """A name a model found: character offsets and the contract's type."""

    start: int
    end: int
    type: str  # PER | ORG | LOC | MISC


@dataclass(frozen=True)
class Listed:
    """A known entity a name links to: what the gazetteer says about it."""

    id: str
    type: str
    name: str


Link = Callable[[str], Listed | None]  # a name's text -> the listed entity it names


def slug(text: str) -> str:
    """The folded name with punctuation and spacing normalised: the merge key."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def trim(value: str, span: Span) -> tuple[int, int]:
    """The span without edge punctuation, keeping an abbreviation's full stop
    and a bracket that closes one the name opens ("Keys (Floride)")."""
    start, end = span.start, span.end
    while start < end and value[start] in _EDGE:
        start += 1
    full = end
    while end > start and value[end - 1] in _EDGE:
        end -= 1
    if full > end and value[end] == "." and _ABBREVIATION.search(value[start : end + 1]):
        end += 1
    name, rest = value[start:end], value[end:full]
    closing = rest.find(")")
    if closing >= 0 and not rest[:closing].strip() and name.count("(") > name.count(")"):
        end += closing + 1
    return start, end


def furniture(value: str, start: int, end: int) -> bool:
    """Whether ``value[start:end]`` is page furniture in an all-capitals line:
    a table's header ("W L T GF GA") or a whole section line ("RUGBY UNION")."""
    line_start = value.rfind("\n", 0, start) + 1
    line_end = value.find("\n", end)
    line_end = len(value) if line_end < 0 else line_end
    letters = [c for c in value[line_start:line_end] if c.isalpha()]
    if not letters or not all(c.isupper() for c in letters):
        return False
    words = value[start:end].split()
    if all(len(word) <= 2 for word in words):
        return True
    rest = value[line_start:start] + value[end:line_end]
    return len(words) >= 2 and not any(c.isalnum() for c in rest)


def _word_before(value: str, start: int) -> str:
    words = value[max(0, start - 20) : start].split()
    return words[-1] if words and value[start - 1 : start].isspace() else ""


def _surnames(name: str) -> list[str]:
    words = slug(name).split("-")
    return ["-".join(words[i:]) for i in range(1, len(words))]


@dataclass
class _Found:
    field: str
    start: int
    end: int
    type: str
    listed: Listed | None


SURNAME_VOTE = 1


def _relabelled(span: Span, written: str, votes: dict[str, Counter]) -> Span:
    """``span`` with the type most of the article's mentions of its name got."""
    counts = votes.get(written)
    if span.type not in TYPES or not counts:
        return span
    (kind, top), *rest = counts.most_common(2)
    if kind != span.type and (not rest or top > rest[0][1]):
        return Span(span.start, span.end, kind)
    return span


def articled(value: str, spans: list[Span], language: str) -> list[Span]:
    """``spans`` with a one-word person after a definite article (``ARTICLES``)
    read as an organisation."""
    articles = ARTICLES.get(language)
    if not articles:
        return spans
    out = []
    for span in spans:
        start, end = trim(value, span)
        if (
            span.type == "PER"
            and " " not in value[start:end]
            and _word_before(value, start).lower() in articles
        ):
            span = Span(span.start, span.end, "ORG")
        out.append(span)
    return out


def _surname(kind: str, name: str) -> str:
    """The last word of a person named in full ("Barrichello" of "Rubens
    Barrichello"); "" for any other name."""
    return name.rsplit(" ", 1)[1] if kind == "PER" and " " in name else ""


def repeat_names(texts: dict[str, str], spans: dict[str, list[Span]]) -> dict[str, list[Span]]:
    """``spans`` plus the other capitalised occurrences of the names in them."""
    written = {
        field: [(span, value[slice(*trim(value, span))]) for span in spans.get(field, [])]
        for field, value in texts.items()
    }
    votes: dict[str, Counter] = defaultdict(Counter)
    for span, name in (pair for pairs in written.values() for pair in pairs):
        if span.type not in TYPES:
            continue
        votes[name][span.type] += 1
        surname = _surname(span.type, name)
        if surname:
            votes[surname]["PER"] += SURNAME_VOTE
    out = {
        field: [_relabelled(span, name, votes) for span, name in pairs]
        for field, pairs in written.items()
    }
    for name, counts in votes.items():
        if len(name) < 3 or not name[:1].isupper():
            continue
        kind = counts.most_common(1)[0][0]
        for field, value in texts.items():
            taken = out[field]
            for start, end in _occurrences(value, name):
                if not any(s.start < end and start < s.end for s in taken):
                    taken.append(Span(start, end, kind))
    return out


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _occurrences(value: str, name: str) -> Iterator[tuple[int, int]]:
    """Where ``name`` stands in ``value`` as whole words, left to right without
    overlaps (``str.find``: a regular expression per name cost more to compile
    than to run)."""
    start = value.find(name)
    while start != -1:
        end = start + len(name)
        if (start == 0 or not _is_word(value[start - 1])) and (
            end == len(value) or not _is_word(value[end])
        ):
            yield start, end
            start = value.find(name, end)
        else:
            start = value.find(name, start + 1)


def _a_country(entity: Listed | None) -> bool:
    return entity is not None and entity.id.startswith(COUNTRY_ID_PREFIX)


def context_wins(listed: Listed, kind: str, before: str = "", named_in_full: bool = False) -> bool:
    """Whether the model's type beats the listed one: a place read as an
    organisation is a club or firm named after it ("Barcelona" won), unless a
    locative preposition says it is the place ("de ambassade in Caracas") or
    it is a country (a country that acts, "Estados Unidos" decided, is still
    the country); a name read as a person is the person when the article
    names a person with that surname in full (``named_in_full``: "Vallejo"
    after "José Vallejo"); any other disagreement ("Israël" read as a person)
    is the model's mistake."""
    if kind == "PER" and named_in_full:
        return True
    return (
        listed.type == "LOC"
        and kind == "ORG"
        and before.lower() not in LOCATIVE
        and not _a_country(listed)
    )


def full_name_surnames(texts: dict[str, str], spans: dict[str, list[Span]]) -> frozenset[str]:
    """The last words of the persons the model names in full in an article."""
    return frozenset(
        surname
        for field, found in spans.items()
        for span in found
        if (surname := _surname(span.type, texts[field][slice(*trim(texts[field], span))]))
    )


def resolve(
    value: str,
    model: list[Span],
    listed: list[tuple[int, int, Listed]],
    link: Link | None = None,
    surnames: frozenset[str] = frozenset(),
    listed_alone: bool = True,
) -> list[_Found]:
    """The names of one field: model spans linked to listed entities, plus
    (``listed_alone``) the listed matches no model name overlaps. Sorted by
    position. ``surnames`` are those of the persons the article names in full."""
    names: list[_Found] = []
    blocked: list[tuple[int, int]] = []
    exact = {(s, e): entity for s, e, entity in listed}
    for span in model:
        start, end = trim(value, span)
        surface = value[start:end]
        if len(surface) < 2 or not _LETTER.search(surface) or furniture(value, start, end):
            continue
        blocked.append((min(start, span.start), max(end, span.end)))
        entity = exact.get((start, end))
        if span.type not in TYPES and not _a_country(entity):  # "Israël" read as MISC: LOC
            continue
        if entity is None and link is not None:
            entity = link(surface)
        kind = span.type
        if entity is not None and entity.type != kind:
            if context_wins(entity, kind, _word_before(value, start), surface in surnames):
                entity = None
            else:
                kind = entity.type
        names.append(_Found("", start, end, kind, entity))
    for start, end, entity in listed if listed_alone else []:
        if not any(s < end and start < e for s, e in blocked):
            names.append(_Found("", start, end, entity.type, entity))
    names.sort(key=lambda n: n.start)
    return names


def entities_from(texts: dict[str, str], names: list[_Found], source: str) -> list[Entity]:
    """Group names into entities: by listed id, else by type and folded name,
    a person's surname joining the person named in full."""
    by_id: dict[str, Entity] = {}
    first: dict[str, tuple[int, int]] = {}
    surnames: dict[str, Entity] = {}
    order = {f: i for i, f in enumerate(FIELDS)}
    # Longer names first, so a surname seen before the full name still joins it.
    ranked = sorted(
        names, key=lambda n: (n.listed is None, -len(slug(texts[n.field][n.start : n.end])))
    )
    for name in ranked:
        written = texts[name.field][name.start : name.end]
        mention = Mention(name.start, name.end, written, name.field)
        if name.listed is not None:
            key = name.listed.id
            entity = by_id.get(key)
            if entity is None:
                entity = by_id[key] = Entity(key, name.type, name.listed.name, 0, [], LISTED)
        else:
            key = f"name:{name.type.lower()}:{slug(written)}"
            entity = by_id.get(key) or (surnames.get(slug(written)) if name.type == "PER" else None)
            if entity is None:
                entity = by_id[key] = Entity(key, name.type, written, 0, [], source)
        if entity.type == "PER" and not entity.mentions:
            for tail in _surnames(entity.name) + _surnames(written):
                surnames.setdefault(tail, entity)
        entity.count += 1
        entity.mentions.append(mention)
        position = (order[name.field], name.start)
        first[entity.id] = min(first.get(entity.id, position), position)
    for entity in by_id.values():
        entity.mentions.sort(key=lambda m: (order[m.field], m.start))
    return sorted(by_id.values(), key=lambda e: (-e.count, first[e.id]))


def listed_matches(enriched: EnrichedArticle) -> dict[str, list[tuple[int, int, Listed]]]:
    """The fast path's gazetteer mentions, per field."""
    out: dict[str, list[tuple[int, int, Listed]]] = {f: [] for f in FIELDS}
    for entity in enriched.entities:
        if entity.source != LISTED:
            continue
        listed = Listed(entity.id, entity.type, entity.name)
        for m in entity.mentions:
            out.setdefault(m.field, []).append((m.start, m.end, listed))
    return out


def merge(
    enriched: EnrichedArticle,
    spans: dict[str, list[Span]],
    *,
    source: str,
    version: str,
    link: Link | None = None,
    listed_alone: bool = True,
) -> EnrichedArticle:
    """A new article whose entities are the model's names and the gazetteer's, merged.

    ``spans`` maps a field ("title", "text") to the model's spans in it;
    ``link`` finds the listed entity a name's text stands for; ``version`` is
    recorded as ``versions["recognition"]``; ``listed_alone=False`` drops the
    gazetteer matches the model has no name at (a model that reads them as
    features has decided against them). ``enriched`` is not changed.
    """
    texts = {"title": enriched.article.title, "text": enriched.article.text}
    listed = listed_matches(enriched)
    language = enriched.language.code
    spans = repeat_names(
        texts, {field: articled(texts[field], found, language) for field, found in spans.items()}
    )
    surnames = full_name_surnames(texts, spans)
    names: list[_Found] = []
    for field in FIELDS:
        for name in resolve(
            texts[field], spans.get(field, []), listed.get(field, []), link, surnames, listed_alone
        ):
            name.field = field
            names.append(name)
    return replace(
        enriched,
        entities=entities_from(texts, names, source),
        versions={**enriched.versions, "recognition": version},
    )
