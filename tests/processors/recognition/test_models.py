"""The shipped CRF taggers on real text, the registry, and languages without a model."""

from __future__ import annotations

import json
import logging

from processors.enrichment.pipeline import enrich
from processors.enrichment.samples import make_article
from processors.recognition import models
from processors.recognition.recognise import recognise, select
from tests.processors.recognition.conftest import enriched

TITLE = "Jeanne Roussel-Marchand inaugure le tramway"
TEXT = (
    "Jeanne Roussel-Marchand a inauguré mardi la nouvelle ligne de tramway de Villeurbanne. "
    "La maire a remercié la SNCF et la métropole. « C'est un grand jour », a déclaré "
    "Roussel-Marchand devant la presse."
)


def test_french_article_gains_the_person_the_fast_path_missed(french_model):
    fast = enrich(make_article(TITLE, TEXT))
    assert fast.language.code == "fr"
    assert "Jeanne Roussel-Marchand" not in {e.name for e in fast.entities}
    model = select(fast)
    assert model is not None
    [out] = recognise(model, [fast])
    person = {e.name: e for e in out.entities}["Jeanne Roussel-Marchand"]
    assert person.type == "PER" and person.source == "crf:fr-1.0.0"
    assert [(m.field, m.text) for m in person.mentions] == [
        ("title", "Jeanne Roussel-Marchand"),
        ("text", "Jeanne Roussel-Marchand"),
        ("text", "Roussel-Marchand"),
    ]
    assert person.count == 3
    assert out.versions["recognition"] == "crf/fr-1.0.0"
    # Its own output is not for the stage again.
    assert select(out) is None


def test_language_without_a_model_is_left_alone():
    assert select(enriched("Regeringen avgår", "Statsministern avgår.", language="sv")) is None


def test_missing_weights_warn_once_and_pass_through(monkeypatch, caplog, tmp_path):
    monkeypatch.setitem(models.REGISTRY, "xx", tmp_path / "xx.crfsuite")
    models._cached.cache_clear()
    article = enriched("Titre", "Texte.", language="xx")
    with caplog.at_level(logging.WARNING, logger=models.__name__):
        assert select(article) is None
        assert select(article) is None
    warnings = [r for r in caplog.records if "xx.crfsuite" in r.getMessage()]
    assert len(warnings) == 1
    models._cached.cache_clear()


def test_weights_trained_with_other_features_are_not_loaded(monkeypatch, caplog, tmp_path):
    shipped = models.REGISTRY["fr"]
    weights = tmp_path / "fr.crfsuite"
    weights.write_bytes(shipped.read_bytes())
    settings = json.loads(shipped.with_suffix(".json").read_text())
    weights.with_suffix(".json").write_text(json.dumps({**settings, "features": "0"}))
    monkeypatch.setitem(models.REGISTRY, "xx", weights)
    models._cached.cache_clear()
    with caplog.at_level(logging.WARNING, logger=models.__name__):
        assert models.recogniser_for("xx") is None
    assert any("retrain" in r.getMessage() for r in caplog.records)
    models._cached.cache_clear()
