"""Watchlist files: validation that names the bad entry, and live reload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contract.errors import ConfigError
from contract.settings import Settings
from processors.enrichment.watchlist import (
    WatchlistSource,
    default_watchlist_path,
    load_watchlist,
    open_watchlist,
    parse_watchlist,
    watchlist_path,
)

ROOT = Path(__file__).resolve().parents[3]


def test_the_example_watchlist_is_valid():
    watchlist = load_watchlist(ROOT / "seeds" / "actors.yaml")
    ids = {a.id for a in watchlist.actors}
    assert {"nicolas-maduro", "juan-guaido", "donald-trump", "nato", "united-nations"} <= ids
    assert all(a.kind in {"person", "organisation"} for a in watchlist.actors)


def test_default_path_is_the_example_watchlist():
    assert default_watchlist_path() == ROOT / "seeds" / "actors.yaml"
    assert watchlist_path(Settings(actors="")) == ROOT / "seeds" / "actors.yaml"
    assert watchlist_path(Settings(actors="/x/y.yaml")) == Path("/x/y.yaml")


def test_a_configured_watchlist_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="NEWSSTREAM_ACTORS: watchlist .*missing.yaml"):
        open_watchlist(Settings(actors=str(tmp_path / "missing.yaml")))
    assert len(open_watchlist(Settings(actors="")).get()) > 10


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "A", "kind": "person"}, "actor #1: 'id' is missing"),
        ({"id": "a", "kind": "person"}, "actor #1 (id 'a'): 'name' is missing"),
        ({"id": "a", "name": "A", "kind": "city"}, "'kind' must be person or organisation"),
        ({"id": "a", "name": "A", "kind": "person", "alias": ["x"]}, "unknown field(s) alias"),
        (
            {"id": "a", "name": "A", "kind": "person", "aliases": "A", "capitalised": ["B"]},
            "capitalised 'B' is not one of its aliases",
        ),
        (
            {"id": "a", "name": "A", "kind": "person", "aliases": [["nested"]]},
            "'aliases' has a non-string item",
        ),
        (
            {"id": "a", "name": "A", "kind": "person", "surname_alone": "no"},
            "'surname_alone' must be true or false",
        ),
        (
            {"id": "a", "name": "A", "kind": "person", "aliases": ["A"], "requires_context": ["A"]},
            "need 'context' words or another alias",
        ),
    ],
)
def test_errors_name_the_entry(entry, message):
    with pytest.raises(ConfigError) as err:
        parse_watchlist({"actors": [entry]}, origin="w.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("w.yaml: ")


def test_duplicate_ids_and_bad_shapes_are_refused():
    one = {"id": "a", "name": "A", "kind": "person"}
    with pytest.raises(ConfigError, match="actor #2: duplicate id 'a'"):
        parse_watchlist({"actors": [one, one]})
    with pytest.raises(ConfigError, match="'actors:' list"):
        parse_watchlist(["a"])
    with pytest.raises(ConfigError, match="unknown top-level"):
        parse_watchlist({"actors": [], "actor": []})


def test_organization_spelling_and_name_as_default_alias():
    [actor] = parse_watchlist(
        {"actors": [{"id": "o", "name": "ACME", "kind": "Organization"}]}
    ).actors
    assert (actor.kind, actor.aliases) == ("organisation", ("ACME",))


def test_a_broken_file_fails_at_start_with_its_path(tmp_path):
    path = tmp_path / "actors.yaml"
    path.write_text("actors: [id: x\n")
    with pytest.raises(ConfigError, match=f"watchlist {path}: not valid YAML"):
        WatchlistSource(path)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _write(path: Path, *ids: str, mtime: int) -> None:
    body = "".join(f"  - {{id: {i}, name: {i}, kind: person}}\n" for i in ids)
    path.write_text("actors:\n" + body)
    os.utime(path, ns=(mtime, mtime))


def test_source_reloads_a_changed_file_at_most_once_per_interval(tmp_path):
    path, clock = tmp_path / "actors.yaml", FakeClock()
    _write(path, "one", mtime=1_000_000_000)
    source = WatchlistSource(path, check_interval=1.0, clock=clock)
    assert [a.id for a in source.get().actors] == ["one"]

    _write(path, "one", "two", mtime=2_000_000_000)
    clock.now += 0.5
    assert [a.id for a in source.get().actors] == ["one"]  # not checked yet
    clock.now += 0.6
    assert [a.id for a in source.get().actors] == ["one", "two"]
    assert source.reloads == 1


def test_a_broken_edit_keeps_the_previous_watchlist(tmp_path):
    path, clock = tmp_path / "actors.yaml", FakeClock()
    _write(path, "one", mtime=1_000_000_000)
    source = WatchlistSource(path, check_interval=1.0, clock=clock)
    path.write_text("actors:\n  - {id: two}\n")
    os.utime(path, ns=(2_000_000_000, 2_000_000_000))
    clock.now += 2
    assert [a.id for a in source.get().actors] == ["one"]
    _write(path, "three", mtime=3_000_000_000)
    clock.now += 2
    assert [a.id for a in source.get().actors] == ["three"]


def test_a_missing_file_tracks_nobody_until_it_appears(tmp_path):
    path, clock = tmp_path / "actors.yaml", FakeClock()
    source = WatchlistSource(path, check_interval=1.0, clock=clock)
    assert len(source.get()) == 0
    _write(path, "one", mtime=1_000_000_000)
    clock.now += 2
    assert [a.id for a in source.get().actors] == ["one"]


def test_relaxing_fields_name_the_actors_own_names_or_all_of_them():
    from processors.enrichment.watchlist import parse_watchlist as parse

    base = {
        "id": "t",
        "name": "Donald Trump",
        "kind": "person",
        "aliases": ["Donald Trump"],
        "surnames": ["Trump"],
    }
    actor = parse(
        {
            "actors": [
                {
                    **base,
                    "any_case": True,
                    "inside_names": ["Trump"],
                    "appears_as": ["Place", "organization"],
                }
            ]
        }
    ).actors[0]
    assert set(actor.any_case) == {"Donald Trump", "Trump"}
    assert actor.inside_names == ("Trump",)
    assert actor.appears_as == ("place", "organisation")
    with pytest.raises(ConfigError, match="any_case 'Trumpf' is not one of its aliases"):
        parse({"actors": [{**base, "any_case": ["Trumpf"]}]})
    with pytest.raises(ConfigError, match="appears_as 'city' must be place"):
        parse({"actors": [{**base, "appears_as": ["city"]}]})
