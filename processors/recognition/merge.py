"""Merge the names a model found into an enriched article (pure).

The fast path's entities stay as they are: a model span that overlaps one of
their mentions is dropped, and a model span whose folded form equals an
existing entity's name or one of its surface forms becomes another mention
of that entity. What remains becomes new entities, merged within the article
by folded name ("Roussel-Marchand" and "ROUSSEL-MARCHAND" are one), and a
person's surname alone joins the person named in full ("Jeanne
Roussel-Marchand" ... "Roussel-Marchand"), whichever comes first. A name
the fast path's heuristic could not type (MISC) takes the model's type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from newsstream.contract.ids import fold
from newsstream.contract.records import EnrichedArticle, Entity, Mention

FIELDS = ("title", "text")
HEURISTIC = "heuristic"  # Entity.source of the fast path's unlisted names
_LETTER = re.compile(r"[^\W\d_]")
# Punctuation a model sometimes leaves at a span's edge ("«Lyon", "Danone,").
_EDGE = " \t\n\r.,;:!?\"'«»“”„‘’()[]–—-"


@dataclass(frozen=True)
class Span:
    """A name a model found: character offsets and the contract's type."""

    start: int
    end: int
    type: str  # PER | ORG | LOC | MISC


def slug(text: str) -> str:
    """The folded name with punctuation and spacing normalised: the merge key."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def _trim(value: str, span: Span) -> tuple[int, int]:
    start, end = span.start, span.end
    while start < end and value[start] in _EDGE:
        start += 1
    while end > start and value[end - 1] in _EDGE:
        end -= 1
    return start, end


def _retype(
    entities: list[Entity], spans: dict[str, list[Span]], texts: dict[str, str]
) -> None:
    """Give an untyped heuristic name the type the model gives the same name.

    The heuristic keeps a capitalised run it cannot type as MISC; when the
    model reads the same name as a person, organisation or place, that type
    is better evidence (and a person's surname can then join them).
    """
    untyped = {
        slug(e.name): e for e in entities if e.source == HEURISTIC and e.type == "MISC"
    }
    if not untyped:
        return
    for field, value in texts.items():
        for span in spans.get(field, []):
            entity = untyped.get(slug(value[slice(*_trim(value, span))]))
            if entity is not None and span.type != "MISC" and entity.type == "MISC":
                entity.type = span.type
                if entity.id.startswith("name:misc:"):
                    entity.id = f"name:{span.type.lower()}:{entity.id[len('name:misc:'):]}"


def _add_surnames(surnames: dict[str, Entity], key: str, entity: Entity) -> None:
    """The trailing words of a person's name, which later refer to them alone."""
    words = key.split("-")
    for i in range(1, len(words)):
        surnames.setdefault("-".join(words[i:]), entity)


def _copy(entity: Entity) -> Entity:
    return replace(entity, mentions=[replace(m) for m in entity.mentions])


def merge(
    enriched: EnrichedArticle, spans: dict[str, list[Span]], *, source: str, version: str
) -> EnrichedArticle:
    """A new article with the model's names added; ``enriched`` is not changed.

    ``spans`` maps a field ("title", "text") to the model's spans in it;
    ``version`` is recorded as ``versions["recognition"]``.
    """
    texts = {"title": enriched.article.title, "text": enriched.article.text}
    entities = [_copy(e) for e in enriched.entities]
    taken: dict[str, list[tuple[int, int]]] = {f: [] for f in FIELDS}
    known: dict[str, Entity] = {}
    surnames: dict[str, Entity] = {}
    _retype(entities, spans, texts)
    for entity in entities:
        known.setdefault(entity.id, entity)
        for form in [entity.name] + [m.text for m in entity.mentions]:
            known.setdefault(slug(form), entity)
        for m in entity.mentions:
            taken.setdefault(m.field, []).append((m.start, m.end))
        if entity.type == "PER":
            _add_surnames(surnames, slug(entity.name), entity)

    found: dict[str, Entity] = {}
    candidates: list[tuple[str, int, int, str, str]] = []  # field, start, end, type, key
    for field in FIELDS:
        value = texts[field]
        for span in spans.get(field, []):
            start, end = _trim(value, span)
            surface = value[start:end]
            if len(surface) < 2 or not _LETTER.search(surface):
                continue
            if any(s < end and start < e for s, e in taken[field]):
                continue
            candidates.append((field, start, end, span.type, slug(surface)))
    # Longer names first, so a surname seen before the full name still joins it.
    candidates.sort(key=lambda c: -len(c[4].split("-")))
    touched: dict[int, Entity] = {}
    for field, start, end, kind, key in candidates:
        mention = Mention(start, end, texts[field][start:end], field)
        entity = known.get(key) or found.get(key) or (surnames.get(key) if kind == "PER" else None)
        if entity is None:
            entity = found[key] = Entity(
                f"name:{kind.lower()}:{key}", kind, mention.text, 0, [], source
            )
            if kind == "PER":
                _add_surnames(surnames, key, entity)
        entity.count += 1
        entity.mentions.append(mention)
        touched[id(entity)] = entity

    order = {f: i for i, f in enumerate(FIELDS)}
    for entity in touched.values():
        entity.mentions.sort(key=lambda m: (order.get(m.field, 9), m.start))
    added = sorted(
        found.values(), key=lambda e: (-e.count, order[e.mentions[0].field], e.mentions[0].start)
    )
    return replace(
        enriched,
        entities=entities + added,
        versions={**enriched.versions, "recognition": version},
    )
