import pytest

from processors.enrichment.topics import _parse_terms, classify_topics, default_classifier


@pytest.mark.parametrize(
    "lang, title, text, label",
    [
        (
            "nl",
            "Kabinet valt na ruzie over asielbeleid",
            "De coalitie van premier Schoof is uit elkaar gevallen. De Tweede Kamer debatteert "
            "over nieuwe verkiezingen.",
            "politics",
        ),
        (
            "en",
            "Earthquake kills dozens in eastern Turkey",
            "Rescue workers searched for survivors after the earthquake destroyed buildings.",
            "disaster, accident and emergency incident",
        ),
        (
            "de",
            "Bayern gewinnt das Spitzenspiel gegen Dortmund",
            "Die Mannschaft siegte im Stadion mit zwei Toren; der Trainer lobte die Spieler.",
            "sport",
        ),
        (
            "fr",
            "La Banque centrale européenne relève ses taux",
            "L'inflation reste élevée selon la BCE, qui relève les taux d'intérêt; les marchés "
            "et la bourse ont réagi.",
            "economy, business and finance",
        ),
        (
            "es",
            "La policía detiene a tres sospechosos del robo",
            "Los detenidos pasarán a disposición judicial; el juez investiga el robo.",
            "crime, law and justice",
        ),
        (
            "nl",
            "Hittegolf: KNMI geeft code oranje af",
            "Het weer blijft de komende dagen zonnig met temperaturen tot 36 graden.",
            "weather",
        ),
    ],
)
def test_top_topic_per_language(lang, title, text, label):
    topics = classify_topics(title, text, language=lang)
    assert topics and topics[0].label == label
    assert topics[0].code.startswith("medtop:")
    assert 0 < topics[0].score <= 1


def test_war_news_gets_conflict_from_the_keywords_beside_the_models_politics():
    topics = classify_topics(
        "Russian missile strikes hit Kyiv overnight",
        "The army said troops repelled an offensive as the war entered its fourth year.",
        language="en",
    )
    labels = [t.label for t in topics]
    assert "conflict, war and peace" in labels[:2]
    conflict = topics[labels.index("conflict, war and peace")]
    assert conflict.source == "keywords" and 0.2 <= conflict.score <= 1


def test_people_of_a_field_add_keyword_evidence():
    keywords = default_classifier()
    text = "Het gesprek duurde twee uur."
    assert keywords.classify("", text, "nl") == []
    topics = keywords.classify("", text, "nl", entity_fields=["politics"] * 2)
    assert [t.label for t in topics] == ["politics"]


def test_scores_are_probabilities_in_descending_order():
    topics = classify_topics(
        "Minister bezoekt ziekenhuis",
        "De minister van zorg sprak met patiënten en artsen "
        "in het ziekenhuis over de wachtlijsten en het kabinet.",
        language="nl",
    )
    scores = [t.score for t in topics]
    assert scores == sorted(scores, reverse=True)
    assert sum(scores) <= 1.0001


def test_unknown_language_uses_every_language():
    topics = classify_topics(
        "Terremoto", "Il terremoto ha causato danni; i soccorsi continuano.", language="it"
    )
    assert topics and topics[0].label.startswith("disaster")


def test_no_evidence_no_topic():
    assert classify_topics("", "", language="en") == []


@pytest.mark.parametrize(
    "line, parsed",
    [
        ("war:3", [("war", 3.0, False, False)]),
        ("verkiez*:2, *oorlog*", [("verkiez", 2.0, True, False), ("oorlog", 1.0, True, True)]),
        ("Prime Minister", [("prime minister", 1.0, False, False)]),
        ("taux d'intérêt:3", [("taux d interet", 3.0, False, False)]),
    ],
)
def test_term_syntax(line, parsed):
    assert _parse_terms(line) == parsed
