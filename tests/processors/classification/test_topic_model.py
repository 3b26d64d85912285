"""The shipped topic model: what an article gets, how sure it is and why."""

from __future__ import annotations

import pytest

from processors.classification import calibration
from processors.classification.model import NO_TOPIC, Prediction, default_model
from processors.classification.text import model_input
from processors.enrichment import samples
from processors.enrichment.topics import classify_topics, combine, default_classifier

SPORT = (
    "Liverpool beat Chelsea 3-1 to go top of the Premier League",
    "Mohamed Salah scored twice as Liverpool came from behind to beat Chelsea at Anfield. "
    "The striker's second goal, a curling shot in the 78th minute, sealed the win, and the "
    "manager praised his players after the match. Chelsea's goalkeeper made several saves "
    "but could not stop the home side, who extend their lead over Arsenal to three points.",
)


def test_a_clear_sports_article_gets_sport_first():
    found = classify_topics(*SPORT, language="en")
    assert found[0].label == "sport"
    assert found[0].source == "model"
    assert found[0].score > 0.8


@pytest.mark.parametrize(
    "title, text, label",
    [
        (
            "Bundestag stimmt über neuen Haushalt ab",
            "Die Koalition und die Opposition stritten im Parlament über die Regierung und "
            "die Wahl des Kanzlers; der Minister verteidigte das Gesetz.",
            "politics",
        ),
        (
            "Le nouveau vaccin contre le paludisme réduit les décès d'enfants",
            "Les médecins de l'hôpital ont traité des milliers de patients; l'Organisation "
            "mondiale de la santé recommande le vaccin.",
            "health",
        ),
        (
            "Apple presenta un nuevo iPhone con inteligencia artificial",
            "El teléfono incluye un procesador más rápido, software nuevo y una cámara "
            "mejorada, según la empresa tecnológica.",
            "science and technology",
        ),
    ],
)
def test_the_model_reads_other_languages(title, text, label):
    assert classify_topics(title, text)[0].label == label


def test_probabilities_are_in_range_and_sorted():
    prediction = default_model().predict(*SPORT)
    probs = [p for _, p in prediction.probabilities]
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert probs == sorted(probs, reverse=True)
    assert 0.0 <= prediction.unsure <= 1.0
    assert sum(probs) + prediction.unsure == pytest.approx(1.0, abs=1e-6)
    assert NO_TOPIC not in dict(prediction.probabilities)
    found = classify_topics(*SPORT, language="en")
    assert 1 <= len(found) <= 3
    assert [t.score for t in found] == sorted((t.score for t in found), reverse=True)


def test_explanation_words_come_from_the_article():
    found = classify_topics(*SPORT, language="en")
    words = model_input(*SPORT).split()
    assert found[0].evidence
    assert all(w in words for w in found[0].evidence)
    assert {"goal", "striker", "match", "premier", "league", "liverpool"} & set(found[0].evidence)
    assert all(not t.evidence for t in found[1:])


def test_a_topic_the_data_lacks_is_reached_by_keywords():
    found = classify_topics(
        "Earthquake kills dozens in eastern Turkey",
        "Rescue workers searched for survivors after the earthquake destroyed buildings; "
        "the death toll rose as aftershocks hit the region.",
        language="en",
    )
    assert found[0].label == "disaster, accident and emergency incident"
    assert found[0].source == "keywords"
    assert "earthquake" in found[0].evidence


def test_empty_text_gets_no_topic():
    assert default_model().predict("", "") == Prediction((), ())
    assert classify_topics("", "", language="en") == []


def test_keyword_topics_take_their_share_and_learnt_topics_stay_with_the_model():
    prediction = Prediction((("politics", 0.7), ("economy", 0.3)), ("minister",))
    keywords = [("conflict", 0.5, ("war",)), ("politics", 0.5, ("vote",))]
    found = combine(
        prediction,
        keywords,
        learnt=frozenset({"politics"}),
        first_min=0.1,
        more_min=0.25,
        keyword_weight=0.6,
    )
    assert [(k, round(p, 2), s) for k, p, _, s in found] == [
        ("politics", 0.49, "model"),
        ("conflict", 0.3, "keywords"),
    ]
    assert found[0][2] == ("minister",)


def test_unsure_model_gives_no_topic():
    flat = Prediction(tuple((k, 0.1) for k in "abcdefghij"), ())
    assert combine(flat, [], learnt=frozenset(), first_min=0.2, more_min=0.2) == []


def test_keyword_lists_alone_still_classify():
    found = default_classifier().classify(
        "Kabinet valt na ruzie over asielbeleid",
        "De coalitie van premier Schoof is uit elkaar gevallen.",
        "nl",
    )
    assert found[0].label == "politics" and found[0].source == "keywords"


def test_temperature_keeps_order_and_fits_overconfidence():
    probs = [0.9, 0.08, 0.02]
    flatter = calibration.scale(probs, 2.0)
    assert sum(flatter) == pytest.approx(1.0)
    assert flatter[0] < 0.9 and flatter == sorted(flatter, reverse=True)
    # right only half the time at 0.9 confidence: the fitted temperature flattens
    rows = [(probs, 0), (probs, 1)] * 20
    assert calibration.fit_temperature(rows) > 1.0


def test_keywords_speak_for_learnt_topics_where_the_model_has_no_news_in_the_language():
    seed = samples.seed_article()  # a Dutch article on Venezuela's political crisis
    model_alone = default_model().predict(seed.title, seed.text)
    assert model_alone.probabilities[0][0] != "politics"
    found = classify_topics(seed.title, seed.text, language="nl")
    assert found[0].label == "politics"
    assert found[0].source == "keywords"
    assert {"regering", "president"} <= set(found[0].evidence)
