import pytest

from processors.enrichment.gazetteer import find_entities
from processors.enrichment.propernames import find_unlisted


def unlisted(text: str, title: str = "") -> dict[str, tuple[str, list[str]]]:
    return {e.name: (e.type, [m.text for m in e.mentions]) for e in find_unlisted(title, text, {})}


@pytest.mark.parametrize(
    "text, name, type_",
    [
        ("Volgens minister Eelco Heinen is de begroting op orde.", "Eelco Heinen", "PER"),
        ("Het plan van Sophie Hermans kreeg steun.", "Sophie Hermans", "PER"),
        ("Daarna sprak minister Heinen de Kamer toe.", "Heinen", "PER"),
        ("Shares in Thames Water fell sharply.", "Thames Water", "ORG"),
        ("De wedstrijd tegen FC Groningen eindigde gelijk.", "FC Groningen", "ORG"),
        ("De vakbond Unite wil praten.", "Unite", "ORG"),
        ("Het festival in Giethoorn trok duizenden bezoekers.", "Giethoorn", "LOC"),
        ("A storm hit the harbour near Ullapool overnight.", "Ullapool", "LOC"),
    ],
)
def test_names_typed_by_context(text, name, type_):
    assert unlisted(text)[name][0] == type_


@pytest.mark.parametrize(
    "text",
    [
        "Gisteren was het druk. Morgen wordt het rustiger.",  # sentence starts
        "In januari en op Maandag was het koud.",  # months and days
        "Topman van Jumbo zei niets.",  # head of an organisation is no person "van Jumbo"
        "Het debat in Parliament duurde lang.",
        "Support for the plan in Parliament is uncertain.",
    ],
)
def test_capitalised_words_that_are_not_names(text):
    found = unlisted(text)
    assert not any(kind in ("PER", "ORG", "LOC") for kind, _ in found.values()), found


def test_surname_alone_joins_the_full_name_across_title_and_text():
    found = unlisted(
        "Van Weel zei later dat hij tevreden is.  Minister David van Weel opende.",
        title="Kritiek op Van Weel",
    )
    kind, mentions = found["David van Weel"]
    assert kind == "PER"
    assert sorted(mentions) == ["David van Weel", "Van Weel", "Van Weel"]


def test_a_surname_beats_a_place_cue():
    found = unlisted(
        "Wes Streeting presented the budget.", title="Opposition attacks budget from Streeting"
    )
    assert found["Wes Streeting"][1] == ["Wes Streeting", "Streeting"]
    assert "Streeting" not in found


def test_title_case_headlines_are_skipped():
    assert unlisted("", title="Opposition Attacks Budget From Reeves Again") == {}


def test_taken_spans_are_left_to_the_gazetteer():
    text = "Minister David van Weel sprak."
    assert find_unlisted("", text, {"text": [(9, 23)]}) == []


def test_someone_elses_given_name_blocks_a_listed_surname():
    names = {e.name: e.type for e in find_entities("", "Lieke Klaver won de 400 meter.")}
    assert "Jesse Klaver" not in names
    names = {e.name: e.type for e in find_entities("", "Jesse Klaver en Klaver zelf.")}
    assert names["Jesse Klaver"] == "PER"


def test_heuristic_entities_are_labelled():
    [entity] = find_unlisted("", "Volgens minister Eelco Heinen klopt het.", {})
    assert entity.source == "heuristic" and entity.id.startswith("name:per:")


def test_german_capitalised_nouns_are_not_taken_for_names():
    text = "Die Polizei meldete am Abend schwere Unfälle auf der Autobahn bei Kassel Nord."
    assert find_unlisted("", text, {}, language="de") == []
    found = {
        e.name: e.type
        for e in find_unlisted(
            "", "Laut Ministerin Katherina Reiche steigt der Strompreis.", {}, language="de"
        )
    }
    assert found == {"Katherina Reiche": "PER"}
