"""Named entities from a multilingual gazetteer compiled into one automaton.

Every surface form of every known entity is folded (case and accents) and
added to an Aho-Corasick automaton that maps it to one entity id, so
"Nicolas Maduro", "Maduro", "MADURO" and "regering-Maduro" all land on the
same entity. Matches must start and end on word boundaries; a possessive
("Maduro's") or genitive ("Maduros", "Trumps") ending is allowed for people
and organisations. Case still matters where folding would lose a name:
a capitalised form only matches capitalised text, an acronym ("VS", "WHO")
only its exact spelling.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache

from contract.ids import fold
from contract.records import Entity, Mention
from contract.text import fold_text, match_key
from processors.enrichment.names import NameEntry, all_entries, seed_hash
from processors.enrichment.textmatch import build_automaton, raw_hits

log = logging.getLogger(__name__)

SOURCE = "gazetteer"  # the layer that found an entity (the data source is in its id)
NOUN_CAPITALISING = frozenset({"de", "lb"})  # every noun is capitalised: no adjacency rule
SENTENCE_END = frozenset(".!?:;\"'«»„“”‘’()[]\n\r\t")
MAX_ACRONYM = 6


@dataclass(frozen=True)
class Surface:
    """What a folded key stands for."""

    length: int
    entry: int  # index into Gazetteer.entries
    form: str  # the alias as written in the seed
    exact: bool  # acronym: must match the seed spelling exactly
    capital: bool  # must start with a capital letter in the text


def _is_acronym(form: str) -> bool:
    letters = form.replace(".", "").replace("&", "").replace("*", "").replace("+", "")
    return form.isupper() and len(letters) <= MAX_ACRONYM


class Gazetteer:
    """An automaton over folded names; :meth:`find` returns merged entities."""

    def __init__(
        self,
        entries: list[NameEntry],
        given_names: frozenset[str] = frozenset(),
        common_words: frozenset[str] = frozenset(),
    ):
        self.given_names = given_names  # "Lieke Klaver" is not Jesse Klaver
        self.common_words = common_words  # "Paris Tuesday" is still Paris
        merged: dict[str, NameEntry] = {}
        for entry in entries:
            if entry.id in merged:
                merged[entry.id].aliases.extend(entry.aliases)
            else:
                merged[entry.id] = NameEntry(
                    entry.id,
                    entry.type,
                    entry.name,
                    list(entry.aliases),
                    entry.field,
                    entry.source,
                )
        self.entries = list(merged.values())
        self._fields = {e.id: e.field for e in self.entries}
        keys: dict[str, tuple[bool, Surface]] = {}
        for index, entry in enumerate(self.entries):
            for form in dict.fromkeys(entry.aliases):  # the name only if listed
                key = match_key(form)
                acronym = _is_acronym(form)
                if key in keys or len(key) < 2 or (len(key) < 3 and not acronym):
                    continue
                surface = Surface(len(key), index, form, acronym, form[:1].isupper())
                keys[key] = (False, surface)
        self.size = len(keys)
        self._surfaces = {key: surface for key, (_, surface) in keys.items()}
        self._automaton = build_automaton(keys)

    def entry_for(self, name: str) -> NameEntry | None:
        """The listed entity ``name`` is written as exactly (a whole name, not
        a search in text): links a name found by other means to its entity."""
        surface = self._surfaces.get(match_key(name))
        if surface is None:
            return None
        if surface.exact and name.replace(" ", "") != surface.form.replace(" ", ""):
            return None
        if surface.capital and not name[:1].isupper():
            return None
        return self.entries[surface.entry]

    def field_of(self, entity_id: str) -> str:
        """The news field (politics, sport...) of a listed person or organisation."""
        return self._fields.get(entity_id, "")

    def matches(
        self, text: str, *, field: str = "text", language: str = ""
    ) -> list[tuple[int, int, NameEntry]]:
        """Non-overlapping (start, end, entry) in ``text``, leftmost-longest."""
        if not text:
            return []
        ft = fold_text(text)
        folded = ft.folded
        all_caps = text.isupper()
        candidates = []
        for start, end, _, surface in raw_hits(self._automaton, folded):
            entry = self.entries[surface.entry]
            o_start, o_end = ft.span(start, end)
            before = text[o_start - 1] if o_start else " "
            if not _ending_ok(folded, end, entry, surface, before):
                continue
            if entry.type == "PER" and self._other_given_name(text, o_start, entry, surface):
                continue
            if surface.form.endswith(".") and text[o_end : o_end + 1] == ".":
                o_end += 1  # the key drops an acronym's last full stop: "U.S." keeps it
            written = text[o_start:o_end]
            if surface.exact:
                if all_caps or written.replace(" ", "") != surface.form.replace(" ", ""):
                    continue
            elif surface.capital and not written[:1].isupper():
                continue
            if (
                entry.type == "LOC"
                and field == "text"
                and " " not in written
                and language not in NOUN_CAPITALISING
                and self._next_to_capitalised(text, o_start, o_end)
            ):
                continue
            candidates.append((o_start, o_end, entry))
        candidates.sort(key=lambda c: (c[0], c[0] - c[1]))
        chosen = []
        last_end = -1
        for start, end, entry in candidates:
            if start >= last_end:
                chosen.append((start, end, entry))
                last_end = end
        return chosen

    def _other_given_name(self, text: str, start: int, entry: NameEntry, surface: Surface) -> bool:
        """A bare surname after someone else's given name ("Lieke Klaver" is
        not Jesse Klaver) belongs to another person."""
        if " " in surface.form or not self.given_names:
            return False
        before, _ = _word_before(text, start)
        key = fold(before)
        return key in self.given_names and key not in fold(entry.name).split()

    def _next_to_capitalised(self, text: str, start: int, end: int) -> bool:
        """A one-word place glued to another capitalised word is likely part
        of a longer name ("Michael Jackson", "Paris Hilton"), not the place.
        Weekdays, months and sentence openers do not count as such words."""
        before, pos = _word_before(text, start)
        key = fold(before)
        if (
            before[:1].isupper()
            and key not in self.common_words
            and (key in self.given_names or not _sentence_start(text, pos))
        ):
            return True
        after = _word_after(text, end)
        return after[:1].isupper() and fold(after) not in self.common_words

    def find(self, title: str, text: str, *, language: str = "") -> list[Entity]:
        """Entities in title and text, one per id, most mentioned first."""
        found: dict[str, Entity] = {}
        order: dict[str, tuple[int, int]] = {}
        for field_name, value, rank in (("title", title, 0), ("text", text, 1)):
            for start, end, entry in self.matches(value, field=field_name, language=language):
                entity = found.get(entry.id)
                if entity is None:
                    entity = found[entry.id] = Entity(
                        id=entry.id,
                        type=entry.type,
                        name=entry.name,
                        count=0,
                        mentions=[],
                        source=SOURCE,
                    )
                    order[entry.id] = (rank, start)
                entity.count += 1
                entity.mentions.append(Mention(start, end, value[start:end], field_name))
        return sorted(found.values(), key=lambda e: (-e.count, order[e.id]))


def _ending_ok(folded: str, end: int, entry: NameEntry, surface: Surface, before: str) -> bool:
    """A word boundary, or a genitive "s" after a person or organisation
    (not inside a hyphenated compound: "Champs-Élysées" is not the Élysée's)."""
    if end >= len(folded) or not folded[end].isalnum():
        return True
    return (
        entry.type in ("PER", "ORG")
        and surface.length >= 4
        and folded[end] == "s"
        and (end + 1 == len(folded) or not folded[end + 1].isalnum())
        and before not in "-‐‑–"
    )


def _word_before(text: str, start: int) -> tuple[str, int]:
    """The word right before ``start`` (one space apart) and where it starts."""
    i = start - 1
    if i < 1 or text[i] != " ":
        return "", -1
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "-'"):
        j -= 1
    return text[j:i], j


def _word_after(text: str, end: int) -> str:
    if end + 1 >= len(text) or text[end] != " ":
        return ""
    j = end + 1
    while j < len(text) and text[j].isalnum():
        j += 1
    return text[end + 1 : j]


def _sentence_start(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and text[i] == " ":
        i -= 1
    return i < 0 or text[i] in SENTENCE_END


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer built from the shipped seeds and registry data (built once)."""
    started = time.perf_counter()
    from processors.enrichment.propernames import cues

    gazetteer = Gazetteer(all_entries(), cues().given_names, cues().not_names)
    log.info(
        "gazetteer built: %d entities, %d surface forms in %.2fs",
        len(gazetteer.entries),
        gazetteer.size,
        time.perf_counter() - started,
    )
    return gazetteer


def version() -> str:
    return f"gazetteer/{seed_hash()}"


def find_entities(title: str, text: str, *, language: str = "") -> list[Entity]:
    return default_gazetteer().find(title, text, language=language)
