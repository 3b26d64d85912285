"""Feed lists in YAML and OPML, both directions."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.errors import ConfigError
from ingest import feedlist
from ingest.feedlist import Feed

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "feeds"

READER_OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>Subscriptions</title></head><body>
  <outline text="Nieuws" title="Nieuws">
    <outline type="rss" text="NOS" xmlUrl="https://feeds.nos.nl/nosnieuwsalgemeen"/>
    <outline type="rss" text="NOS again" xmlUrl="https://feeds.nos.nl/nosnieuwsalgemeen"/>
  </outline>
  <outline type="rss" title="Le Monde" text="lm" xmlUrl="https://www.lemonde.fr/rss/une.xml"
           category="fr,general"/>
  <outline text="no feed here"/>
</body></opml>"""


def test_yaml_round_trip_keeps_every_option(tmp_path):
    feeds = [
        Feed(
            url="https://a.example/rss",
            name="A",
            interval=900,
            language="es",
            tags=("es", "world"),
            enabled=False,
        ),
        Feed(url="https://b.example/atom"),
    ]
    feedlist.save(feeds, tmp_path / "feeds.yaml")
    assert feedlist.load(tmp_path / "feeds.yaml") == feeds


def test_opml_round_trip_keeps_every_option(tmp_path):
    feeds = [
        Feed(
            url="https://a.example/rss?x=1&y=2",
            name="A & B",
            interval=900,
            language="de",
            tags=("de",),
            enabled=False,
        ),
        Feed(url="https://b.example/atom", name="B"),
    ]
    (tmp_path / "f.opml").write_text(feedlist.to_opml(feeds), encoding="utf-8")
    assert feedlist.load(tmp_path / "f.opml") == feeds


def test_reader_opml_folders_become_tags_and_repeats_collapse():
    feeds = feedlist.from_opml(READER_OPML)
    assert [(f.name, f.tags) for f in feeds] == [
        ("NOS", ("Nieuws",)),
        ("Le Monde", ("fr", "general")),
    ]


def test_opml_with_entity_declarations_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>'
    with pytest.raises(ConfigError):
        feedlist.from_opml(bomb)


@pytest.mark.parametrize(
    "text",
    [
        "feeds: [{name: no url}]",
        "feeds: {a: 1}",
        "feeds: [{url: x, interval: soon}]",
        "feeds: [unclosed",
    ],
)
def test_bad_yaml_names_the_problem(text):
    with pytest.raises(ConfigError):
        feedlist.from_yaml(text)


def test_shipped_lists_load_and_cover_five_languages():
    starter = feedlist.load(SEEDS / "starter.yaml")
    assert {f.language for f in starter} >= {"nl", "en", "es", "de", "fr"}
    assert feedlist.load(SEEDS / "starter.opml") == starter
    fixtures = feedlist.load(SEEDS / "fixtures.yaml")
    assert {f.language for f in fixtures} >= {"nl", "en", "es", "de", "fr"}
    assert all(f.url.startswith("http://127.0.0.1:8765/") for f in fixtures)
    assert {f.url.rsplit("/", 1)[1] for f in fixtures} == {
        p.name for p in (SEEDS / "fixtures").iterdir()
    }
