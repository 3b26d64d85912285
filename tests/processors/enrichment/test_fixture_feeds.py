"""The offline sample feeds (seeds/feeds/fixtures), parsed by ingest, enriched."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from ingest.feedlist import Feed
from ingest.normalise import normalise
from ingest.parse import parse_feed
from processors.enrichment.pipeline import enrich
from tests.conftest import ROOT

FIXTURES = ROOT / "seeds" / "feeds"


def _enriched_items():
    spec = yaml.safe_load((FIXTURES / "fixtures.yaml").read_text(encoding="utf-8"))
    for f in spec["feeds"]:
        feed = Feed(url=f["url"], name=f["name"], language=f["language"], tags=tuple(f["tags"]))
        body = (FIXTURES / "fixtures" / feed.url.rsplit("/", 1)[1]).read_bytes()
        parsed = parse_feed(body, url=feed.url)
        for entry in parsed.entries:
            article = normalise(
                entry,
                feed=feed,
                fetched=datetime(2019, 3, 20, tzinfo=UTC),
                feed_language=parsed.language,
            )
            yield f["language"], enrich(article)


ITEMS = list(_enriched_items())


@pytest.mark.parametrize("declared, enriched", ITEMS, ids=[e.article.title[:40] for _, e in ITEMS])
def test_every_fixture_item_gets_its_language_entities_and_a_topic(declared, enriched):
    assert enriched.language.code == declared
    assert enriched.entities
    assert enriched.topics
    for entity in enriched.entities:
        for m in entity.mentions:
            source = enriched.article.title if m.field == "title" else enriched.article.text
            assert source[m.start : m.end] == m.text


def test_the_venezuela_story_in_every_language_names_guaido_and_maduro():
    venezuela = [e for _, e in ITEMS if "Venezuela" in {x.name for x in e.entities}]
    assert {e.language.code for e in venezuela} >= {"nl", "en", "es", "de", "fr"}
    for e in venezuela:
        people = {x.name for x in e.entities if x.type == "PER"}
        assert {"Nicolás Maduro", "Juan Guaidó"} & people, e.article.title
        assert "politics" in [t.label for t in e.topics], e.article.title


def test_a_compound_street_name_is_not_the_palace():
    # "Champs-Élysées" must not read as the Élysée (the presidency) plus a genitive "s".
    [item] = [e for _, e in ITEMS if "Champs" in e.article.title]
    names = {x.name: x.type for x in item.entities}
    assert names.get("Champs-Élysées") == "LOC"
    assert "Élysée" not in names
