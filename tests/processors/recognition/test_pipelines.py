"""The shipped name recognisers: package data, real sentences, the complete enrichment."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from processors.enrichment.samples import SEED_ARTICLE, make_article
from processors.enrichment.watchlist import default_watchlist_path, load_watchlist
from processors.recognition import models
from processors.recognition.recognise import enrich_article
from tests.processors.recognition.conftest import require_spacy

MAX_BYTES = 25 * 1000 * 1000

# Real news sentences (Reuters, De Morgen, EFE style) with names of each type.
SENTENCES = {
    "en": (
        "German Chancellor Angela Merkel met Microsoft executives in Paris on Tuesday, "
        "officials said.",
        {("Angela Merkel", "PER"), ("Microsoft", "ORG"), ("Paris", "LOC")},
    ),
    "nl": (
        "Premier Guy Verhofstadt heeft gisteren in Brussel met de top van Sabena "
        "gepraat over de toekomst van de luchtvaartmaatschappij.",
        {("Guy Verhofstadt", "PER"), ("Brussel", "LOC"), ("Sabena", "ORG")},
    ),
    "es": (
        "El presidente del Gobierno, José María Aznar, se reunió hoy en Madrid con los "
        "directivos de Telefónica, informaron fuentes oficiales.",
        {("José María Aznar", "PER"), ("Madrid", "LOC"), ("Telefónica", None)},
    ),
}
# None: found as a name, of whatever type (the model reads "directivos de
# Telefónica" as a place); types are scored on the development splits.


@pytest.fixture
def spacy_installed() -> None:
    require_spacy()


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_shipped_pipeline_loads_from_package_data_and_finds_names(lang, spacy_installed):
    directory = Path(str(files("processors.recognition") / "pipelines" / "multi"))
    assert (directory / "meta.json").is_file(), "no shipped pipeline"
    assert models.REGISTRY[lang] == directory
    size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
    assert size <= MAX_BYTES
    card = (directory / "README.md").read_text()
    assert "python -m processors.recognition.train --data DIR" in card and "licence" in card
    recogniser = models.recogniser_for(lang)
    assert recogniser.nlp.pipe_names == ["tok2vec", "ner"]
    sentence, expected = SENTENCES[lang]
    [spans] = recogniser.spans([sentence])
    found = {(sentence[s.start : s.end], s.type) for s in spans}
    found |= {(name, None) for name, _ in found}
    assert expected <= found


def test_seed_article_complete_enrichment_keeps_its_names_and_actors(spacy_installed):
    article = make_article("", SEED_ARTICLE.read_text(encoding="utf-8"), hint="nl")
    watchlist = load_watchlist(default_watchlist_path())
    out = enrich_article(article, watchlist=watchlist)
    assert out.language.code == "nl" and "recognition" in out.versions
    names = {e.name: e for e in out.entities}
    for name, kind in (
        ("Nicolás Maduro", "PER"),
        ("Juan Guaidó", "PER"),
        ("Donald Trump", "PER"),
        ("Mike Pompeo", "PER"),
        ("Venezuela", "LOC"),
        ("Caracas", "LOC"),
        ("United States", "LOC"),
    ):
        assert names.get(name) is not None and names[name].type == kind, name
        assert names[name].source == "gazetteer"  # linked to the listed entity
    assert {"nicolas-maduro", "juan-guaido"} <= {a.actor_id for a in out.actors}
