"""The watchlist: which people and organisations to alert on, from a YAML file.

A file looks like::

    languages: [nl, en, es]          # optional: what `actors check` checks against
    actors:
      - id: nicolas-maduro
        name: Nicolás Maduro
        kind: person                 # person | organisation
        aliases: [Nicolás Maduro, Nicolas Maduro, Николас Мадуро, 马杜罗]
        surnames: [Maduro, Мадуро]   # count alone unless surname_alone: false
        surname_alone: true          # false: only once a full alias is in the article
        capitalised: [Maduro]        # also an ordinary word ("maduro" = ripe)
        requires_context: [NM]       # ambiguous short aliases ...
        context: [Venezuela]         # ... count only next to these or another alias
        exclude: [Maduro Moros Foundation]   # phrases that are not this actor
        suffixes: [a]                # extra inflection endings (default by script)
        any_case: [NM]               # relax: also lower-case text (true: every alias)
        inside_names: [Maduro]       # relax: may fire inside a longer name (true: all)
        appears_as: [place]          # relax: may fire where the text names a place
                                     # (or organisation/person) of that spelling

Loading validates every entry and names the offending one in the error, so a
typo in a watchlist fails loudly instead of silently tracking nobody.
:class:`WatchlistSource` re-reads the file when it changes, so an edit takes
effect in a running worker without a restart.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from contract.errors import ConfigError
from contract.settings import Settings

log = logging.getLogger(__name__)

KINDS = {"person": "person", "organisation": "organisation", "organization": "organisation"}
APPEARANCES = {**KINDS, "place": "place", "location": "place"}
_LIST_FIELDS = (
    "aliases",
    "surnames",
    "capitalised",
    "requires_context",
    "context",
    "exclude",
    "suffixes",
)
_RELAXING_FIELDS = ("any_case", "inside_names")  # a list of names, or true for all
_KNOWN_FIELDS = {
    "id",
    "name",
    "kind",
    "surname_alone",
    "appears_as",
    *_LIST_FIELDS,
    *_RELAXING_FIELDS,
}


@dataclass(frozen=True)
class Actor:
    """One tracked person or organisation and the ways news writes its name."""

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    surnames: tuple[str, ...] = ()
    surname_alone: bool = True
    capitalised: tuple[str, ...] = ()
    requires_context: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    any_case: tuple[str, ...] = ()  # names that also count written in lower case
    inside_names: tuple[str, ...] = ()  # partial names that may sit inside longer names
    appears_as: tuple[str, ...] = ()  # place | organisation | person: typed spans allowed

    @property
    def names(self) -> tuple[str, ...]:
        """Every alias, surname and requires_context alias, in that order."""
        return tuple(dict.fromkeys((*self.aliases, *self.surnames, *self.requires_context)))


@dataclass
class Watchlist:
    """The tracked actors, with a matcher compiled once per load."""

    actors: tuple[Actor, ...]
    path: str = ""
    languages: tuple[str, ...] = ()  # the languages its news is read in (for checks)
    _compiled: Any = field(default=None, repr=False, compare=False)

    def by_id(self, actor_id: str) -> Actor | None:
        return next((a for a in self.actors if a.id == actor_id), None)

    def __len__(self) -> int:
        return len(self.actors)


def parse_watchlist(data: Any, *, origin: str = "<watchlist>") -> Watchlist:
    """Validate parsed YAML into a :class:`Watchlist`; :class:`ConfigError` names the entry."""
    if data is None:
        data = {"actors": []}
    if not isinstance(data, dict) or not isinstance(data.get("actors", []), list):
        raise ConfigError(f"{origin}: expected a mapping with an 'actors:' list")
    unknown_top = set(data) - {"actors", "languages"}
    if unknown_top:
        raise ConfigError(f"{origin}: unknown top-level key(s): {', '.join(sorted(unknown_top))}")
    actors: list[Actor] = []
    seen: set[str] = set()
    for number, entry in enumerate(data.get("actors") or [], start=1):
        actor = _parse_actor(entry, f"{origin}: actor #{number}")
        if actor.id in seen:
            raise ConfigError(f"{origin}: actor #{number}: duplicate id {actor.id!r}")
        seen.add(actor.id)
        actors.append(actor)
    languages = _string_list(data.get("languages"), origin, "languages")
    return Watchlist(
        actors=tuple(actors), path=origin, languages=tuple(lang.lower() for lang in languages)
    )


def load_watchlist(path: str | Path) -> Watchlist:
    """Read and validate a watchlist file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"watchlist {path}: cannot read: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"watchlist {path}: not valid YAML: {exc}") from exc
    return parse_watchlist(data, origin=str(path))


def default_watchlist_path() -> Path:
    """``seeds/actors.yaml`` of this checkout, else of the working directory."""
    candidates = [
        Path(__file__).resolve().parents[2] / "seeds" / "actors.yaml",
        Path.cwd() / "seeds" / "actors.yaml",
    ]
    return next((p for p in candidates if p.is_file()), candidates[0])


def watchlist_path(settings: Settings) -> Path:
    """The watchlist file ``settings`` points to (``NEWSSTREAM_ACTORS``), or the default."""
    return Path(settings.actors).expanduser() if settings.actors else default_watchlist_path()


def open_watchlist(settings: Settings, *, check_interval: float = 1.0) -> WatchlistSource:
    """The live watchlist for ``settings``: a configured file must exist (a typo in
    ``NEWSSTREAM_ACTORS`` would otherwise track nobody without a word)."""
    path = watchlist_path(settings)
    if settings.actors and not path.is_file():
        raise ConfigError(f"NEWSSTREAM_ACTORS: watchlist {path} does not exist")
    return WatchlistSource(path, check_interval=check_interval)


class WatchlistSource:
    """The current watchlist of a file, re-read when the file changes.

    ``get()`` is called for every article, so it only looks at the file's
    stat every ``check_interval`` seconds. A broken edit is logged and the
    previous watchlist stays in force: a typo must not stop alerting.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.check_interval = check_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._checked = float("-inf")
        self._current = Watchlist(actors=(), path=str(self.path))
        self.reloads = 0
        self._refresh(initial=True)

    def get(self) -> Watchlist:
        now = self._clock()
        if now - self._checked >= self.check_interval:
            with self._lock:
                if now - self._checked >= self.check_interval:
                    self._refresh()
        return self._current

    def _refresh(self, *, initial: bool = False) -> None:
        self._checked = self._clock()
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        if stamp == self._stamp:
            return
        if stamp is None:
            log.warning("watchlist %s is missing: no actors are tracked", self.path)
            self._stamp, self._current = None, Watchlist(actors=(), path=str(self.path))
            return
        try:
            watchlist = load_watchlist(self.path)
        except ConfigError as exc:
            if initial:
                raise
            log.error("watchlist not reloaded, keeping the previous one: %s", exc)
            self._stamp = stamp
            return
        self._stamp, self._current = stamp, watchlist
        if not initial:
            self.reloads += 1
        log.info(
            "%s watchlist %s: %d actors",
            "using" if initial else "reloaded",
            self.path,
            len(watchlist),
        )


def _parse_actor(entry: Any, where: str) -> Actor:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(entry).__name__}")
    ident = entry.get("id")
    if not isinstance(ident, str) or not ident.strip():
        raise ConfigError(f"{where}: 'id' is missing or not a string")
    where = f"{where} (id {ident!r})"
    unknown = set(entry) - _KNOWN_FIELDS
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
            f"known: {', '.join(sorted(_KNOWN_FIELDS))}"
        )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' is missing or not a string")
    kind = KINDS.get(str(entry.get("kind", "")).strip().lower())
    if kind is None:
        raise ConfigError(
            f"{where}: 'kind' must be person or organisation, got {entry.get('kind')!r}"
        )
    lists = {f: _string_list(entry.get(f), where, f) for f in _LIST_FIELDS}
    surname_alone = entry.get("surname_alone", True)
    if not isinstance(surname_alone, bool):
        raise ConfigError(f"{where}: 'surname_alone' must be true or false")
    aliases = lists["aliases"] or (name.strip(),)
    names = {*aliases, *lists["surnames"], *lists["requires_context"]}
    for listed in lists["capitalised"]:
        if listed not in names:
            raise ConfigError(
                f"{where}: capitalised {listed!r} is not one of its aliases, surnames "
                "or requires_context"
            )
    if lists["requires_context"] and not (lists["context"] or len(names) > 1):
        raise ConfigError(
            f"{where}: requires_context aliases need 'context' words or another alias"
        )
    relaxed = {f: _relaxed_names(entry.get(f), names, where, f) for f in _RELAXING_FIELDS}
    appears_as = []
    for item in _string_list(entry.get("appears_as"), where, "appears_as"):
        appearance = APPEARANCES.get(item.lower())
        if appearance is None:
            raise ConfigError(f"{where}: appears_as {item!r} must be place, organisation or person")
        appears_as.append(appearance)
    return Actor(
        id=ident.strip(),
        name=name.strip(),
        kind=kind,
        aliases=aliases,
        surnames=lists["surnames"],
        surname_alone=surname_alone,
        capitalised=lists["capitalised"],
        requires_context=lists["requires_context"],
        context=lists["context"],
        exclude=lists["exclude"],
        suffixes=lists["suffixes"],
        any_case=relaxed["any_case"],
        inside_names=relaxed["inside_names"],
        appears_as=tuple(dict.fromkeys(appears_as)),
    )


def _relaxed_names(value: Any, names: set[str], where: str, name: str) -> tuple[str, ...]:
    """A relaxing field: ``true`` (every name of the actor) or a list of its names."""
    if value is True:
        return tuple(sorted(names))
    if value is None or value is False:
        return ()
    listed = _string_list(value, where, name)
    for item in listed:
        if item not in names:
            raise ConfigError(
                f"{where}: {name} {item!r} is not one of its aliases, surnames or requires_context"
            )
    return listed


def _string_list(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {name!r} must be a list of strings")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise ConfigError(f"{where}: {name!r} has a non-string item {item!r}")
        text = str(item).strip()
        if not text:
            raise ConfigError(f"{where}: {name!r} has an empty item")
        if text not in out:
            out.append(text)
    return tuple(out)
