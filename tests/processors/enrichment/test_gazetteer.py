import pytest

from processors.enrichment.gazetteer import Gazetteer, find_entities
from processors.enrichment.names import NameEntry


def found(text: str, language: str = "", title: str = "") -> dict[str, tuple[str, int]]:
    return {e.name: (e.type, e.count) for e in find_entities(title, text, language=language)}


@pytest.mark.parametrize(
    "text, name, type_",
    [
        ("De regering-Maduro beschuldigt de VS.", "Nicolás Maduro", "PER"),
        ("Maduro's regime is under pressure.", "Nicolás Maduro", "PER"),
        ("Maduro’s speech was broadcast.", "Nicolás Maduro", "PER"),
        ("Trumps beslissing verraste velen.", "Donald Trump", "PER"),
        ("GUAIDO ROEPT OP TOT PROTEST", "Juan Guaidó", "PER"),
        ("Wladimir Putin traf Xi Jinping.", "Vladimir Putin", "PER"),
        ("Poetin sprak met Macron.", "Vladimir Putin", "PER"),
        ("De Verenigde Staten trekken diplomaten terug.", "United States", "LOC"),
        ("Les États-Unis ont réagi.", "United States", "LOC"),
        ("Die Vereinigten Staaten reagierten.", "United States", "LOC"),
        ("De VS trekken diplomaten terug.", "United States", "LOC"),
        ("Protest in Caracas tegen de regering.", "Caracas", "LOC"),
        ("Het kabinet in Den Haag besloot.", "Den Haag", "LOC"),
        ("Demonstratie in Zwolle en Nijmegen.", "Zwolle", "LOC"),
        ("La NAVO en de VN zijn bezorgd.", "NATO", "ORG"),
        ("Die Europäische Zentralbank erhöht die Zinsen.", "European Central Bank", "ORG"),
        ("ASML verhoogt de omzetprognose.", "ASML", "ORG"),
        ("Duitsland en Frankrijk zijn het eens.", "Germany", "LOC"),
    ],
)
def test_known_names_are_found(text, name, type_):
    assert found(text).get(name, ("missing",))[0] == type_


@pytest.mark.parametrize(
    "text, absent",
    [
        ("Wij gaan vs. zij, zei hij.", "United States"),  # acronym only in capitals
        ("Let us trump the odds.", "Donald Trump"),  # lower case is not the name
        ("He played a trump card.", "Donald Trump"),
        ("De trumpettist speelde.", "Donald Trump"),  # no match inside a word
        ("Michael Jackson zong.", "Jackson"),
        ("Het was een nice dag in Split.", "Nice"),
        ("THE WHO IS BACK ON TOUR", "World Health Organization"),  # all-caps headline
    ],
)
def test_look_alikes_are_not_names(text, absent):
    assert absent not in found(text)


def test_variants_merge_into_one_entity_with_offsets():
    text = "Nicolas Maduro sprak. De regering-Maduro zweeg. Maduros woorden, zei Maduro."
    entities = find_entities("Maduro spreekt", text, language="nl")
    maduro = [e for e in entities if e.name == "Nicolás Maduro"]
    assert len(maduro) == 1
    assert maduro[0].count == 5
    fields = {"title": "Maduro spreekt", "text": text}
    for m in maduro[0].mentions:
        assert fields[m.field][m.start : m.end] == m.text
    assert [m.text for m in maduro[0].mentions] == ["Maduro", "Nicolas Maduro"] + ["Maduro"] * 3


def test_longest_name_wins_over_a_shorter_one_inside_it():
    entities = find_entities("", "Premier Mark Rutte en koning Willem-Alexander.")
    names = {e.name for e in entities}
    assert {"Mark Rutte", "Koning Willem-Alexander"} <= names


def test_first_source_keeps_a_shared_surface_form():
    g = Gazetteer(
        [
            NameEntry("per:a", "PER", "Anna Jordan", ["Jordan"], "politics"),
            NameEntry("loc:b", "LOC", "Jordan", ["Jordan"], "", "pycountry"),
        ]
    )
    [(start, end, entry)] = g.matches("Jordan spoke.")
    assert (start, end, entry.id) == (0, 6, "per:a")
    assert g.field_of("per:a") == "politics"


def test_one_word_place_next_to_a_capitalised_word_is_skipped_except_in_german():
    g = Gazetteer(
        [NameEntry("loc:x", "LOC", "Essen", ["Essen"], "", "geonames")],
        common_words=frozenset({"tuesday"}),
    )
    assert g.matches("Zij aten bij Hans Essen thuis.", language="nl") == []
    assert g.matches("They met in Essen Tuesday.", language="en") != []
    assert g.matches("Sie fuhren nach Essen Freitag.", language="de") != []
    assert g.matches("In Essen regent es.", language="de") != []


@pytest.mark.parametrize(
    "text, name",
    [
        ("Paris Hilton arrived.", "Paris"),
        ("She met Paris Hilton.", "Paris"),
        ("Michael Jordan retired.", "Jordan"),
    ],
)
def test_place_names_inside_person_names(text, name):
    assert name not in found(text, language="en")


def test_entity_ids_say_where_the_name_comes_from():
    entities = {e.name: e for e in find_entities("", "Maduro bezocht Duitsland en Zwolle.")}
    assert entities["Nicolás Maduro"].id == "per:nicolas-maduro"
    assert entities["Germany"].id == "loc:country:de"
    assert entities["Zwolle"].id.startswith("loc:geonames:")
    assert {e.source for e in entities.values()} == {"gazetteer"}


@pytest.mark.parametrize("text", ["Talks with U.S. officials.", "He flew to the U.S."])
def test_acronym_with_a_final_full_stop_is_matched_whole(text):
    [us] = find_entities("", text)
    assert (us.name, us.mentions[0].text) == ("United States", "U.S.")


def test_spanish_para_opening_a_sentence_is_not_a_place():
    assert found("Para el Gobierno, la reforma es urgente.", language="es") == {}


def test_entry_for_links_a_whole_name_to_its_entity():
    from processors.enrichment.gazetteer import default_gazetteer

    gazetteer = default_gazetteer()
    assert gazetteer.entry_for("U.S.").name == "United States"
    assert gazetteer.entry_for("Verenigde Staten").name == "United States"
    assert gazetteer.entry_for("us") is None  # an acronym only as written
    assert gazetteer.entry_for("Atlantis of the Deep") is None
