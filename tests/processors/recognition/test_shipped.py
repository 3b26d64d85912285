"""The shipped CRF taggers: package data, model cards, real sentences, the complete enrichment."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from processors.enrichment.samples import SEED_ARTICLE, make_article
from processors.enrichment.watchlist import default_watchlist_path, load_watchlist
from processors.recognition import models
from processors.recognition.recognise import enrich_article
from tests.processors.recognition.conftest import require_crfsuite

MAX_BYTES = 60 * 1000 * 1000  # all languages' weights together

# News sentences with a name of each type, per language.
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
        {("José María Aznar", "PER"), ("Madrid", "LOC"), ("Telefónica", "ORG")},
    ),
    "de": (
        "Bundeskanzlerin Angela Merkel hat am Dienstag in Hamburg mit dem Vorstand der "
        "Siemens AG über die Zukunft der Industrie gesprochen.",
        {("Angela Merkel", "PER"), ("Hamburg", "LOC"), ("Siemens AG", "ORG")},
    ),
    "fr": (
        "Le président Emmanuel Macron a rencontré mardi à Marseille les dirigeants de la SNCF.",
        {("Emmanuel Macron", "PER"), ("Marseille", "LOC"), ("SNCF", "ORG")},
    ),
    "it": (
        "Il presidente del Consiglio Mario Draghi ha incontrato a Milano i vertici della "
        "Fiat, secondo fonti del governo.",
        {("Mario Draghi", "PER"), ("Milano", "LOC"), ("Fiat", "ORG")},
    ),
    "pt": (
        "O ministro Fernando Haddad reuniu-se ontem em Brasília com diretores da Petrobras.",
        {("Fernando Haddad", "PER"), ("Brasília", "LOC"), ("Petrobras", "ORG")},
    ),
}


@pytest.fixture
def crfsuite_installed() -> None:
    require_crfsuite()


def test_every_language_ships_weights_settings_and_a_model_card():
    directory = Path(str(files("processors.recognition") / "weights"))
    assert sorted(models.REGISTRY) == sorted(SENTENCES)
    total = 0
    for language in SENTENCES:
        weights = directory / f"{language}.crfsuite"
        assert models.REGISTRY[language] == weights
        assert weights.with_suffix(".json").is_file()
        card = weights.with_suffix(".md").read_text(encoding="utf-8")
        assert "python -m processors.recognition.train_crf --data DIR" in card
        assert "licence" in card and "Development-split scores" in card
        total += weights.stat().st_size
    assert total <= MAX_BYTES


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_shipped_tagger_finds_a_person_a_place_and_an_organisation(lang, crfsuite_installed):
    recogniser = models.recogniser_for(lang)
    assert recogniser is not None
    sentence, expected = SENTENCES[lang]
    [spans] = recogniser.spans([sentence])
    found = {(sentence[s.start : s.end], s.type) for s in spans}
    assert expected <= found


def test_seed_article_complete_enrichment_keeps_its_names_and_actors(crfsuite_installed):
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
