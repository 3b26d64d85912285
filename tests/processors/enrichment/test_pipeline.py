import json
from dataclasses import asdict

from contract.records import decode_enriched, encode
from processors.enrichment.pipeline import enrich, versions
from processors.enrichment.samples import make_article


def test_seed_article_is_dutch_with_its_people_places_and_politics(seed_article):
    enriched = enrich(seed_article, raw_timestamp_ms=1552384800000)

    assert enriched.language.code == "nl"
    by_name = {e.name: e for e in enriched.entities}
    for person in ("Nicolás Maduro", "Juan Guaidó", "Donald Trump", "Mike Pompeo"):
        assert by_name[person].type == "PER", person
    for place in ("Venezuela", "Caracas", "United States"):
        assert by_name[place].type == "LOC", place
    assert "Verenigde Staten" in {m.text for m in by_name["United States"].mentions}
    assert "regering-Maduro" in seed_article.text
    assert by_name["Nicolás Maduro"].count == 7  # "Maduro", "Nicolas Maduro", "regering-Maduro"
    assert "politics" in [t.label for t in enriched.topics]
    assert enriched.raw_timestamp_ms == 1552384800000


def test_mentions_point_at_the_text_they_name(seed_article):
    enriched = enrich(seed_article)
    for entity in enriched.entities:
        for m in entity.mentions:
            source = seed_article.title if m.field == "title" else seed_article.text
            assert source[m.start : m.end] == m.text


def test_versions_are_recorded_and_survive_the_wire(seed_article):
    enriched = enrich(seed_article)
    assert set(enriched.versions) >= {"pipeline", "language", "entities", "topics"}
    assert enriched.versions["entities"].startswith("gazetteer/")
    assert "fasttext/" in enriched.versions["topics"]
    assert "keywords/" in enriched.versions["topics"]
    assert enriched.versions == versions()
    decoded = decode_enriched(encode(enriched))
    assert decoded.entities == enriched.entities
    assert decoded.versions == enriched.versions


def test_short_english_item():
    enriched = enrich(
        make_article(
            "Pompeo pulls remaining US diplomats out of Venezuela",
            "Secretary of State Mike Pompeo said the decision reflects the deteriorating "
            "situation in Caracas.",
            hint="nl",
        )
    )
    assert enriched.language.code == "en"  # the feed's hint does not override the text
    names = {e.name for e in enriched.entities}
    assert {"Mike Pompeo", "United States", "Venezuela", "Caracas"} <= names
    assert enriched.actors == []


def test_fast_message_is_byte_identical_to_the_dataclass_encoding(seed_article):
    enriched = enrich(seed_article, raw_timestamp_ms=5)
    slow = json.dumps(asdict(enriched), ensure_ascii=False, separators=(",", ":")).encode()
    assert encode(enriched) == slow
    assert decode_enriched(encode(enriched)) == enriched


def test_an_empty_article_is_enriched_as_undetermined():
    enriched = enrich(make_article("", ""))
    assert enriched.language.code == "und"
    assert enriched.entities == [] and enriched.topics == []


def test_tracked_actors_are_matched_on_the_fast_path(seed_article, tmp_path):
    from processors.enrichment.watchlist import load_watchlist

    path = tmp_path / "actors.yaml"
    path.write_text(
        "actors:\n"
        "  - {id: maduro, name: Nicolás Maduro, kind: person, aliases: [Nicolás Maduro, Maduro]}\n"
        "  - {id: guaido, name: Juan Guaidó, kind: person, aliases: [Juan Guaidó, Guaidó]}\n"
        "  - {id: macron, name: Emmanuel Macron, kind: person, aliases: [Macron]}\n",
        encoding="utf-8",
    )
    watchlist = load_watchlist(path)
    enriched = enrich(seed_article, watchlist=watchlist)
    assert {a.actor_id for a in enriched.actors} == {"maduro", "guaido"}
    assert enriched.versions["actors"].startswith("watchlist/")
    assert "actors" not in enrich(seed_article).versions
