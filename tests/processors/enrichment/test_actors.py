"""How actor matching treats the name variants news actually prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.records import Entity, Mention
from processors.enrichment.actors import find_hits, match_actors
from processors.enrichment.watchlist import load_watchlist, parse_watchlist

ROOT = Path(__file__).resolve().parents[3]
SEED_TEXT = (ROOT / "seeds" / "000_91a08a025cc7bc70.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seeds():
    return load_watchlist(ROOT / "seeds" / "actors.yaml")


def found(watchlist, text: str, title: str = "") -> list[tuple[str, str]]:
    return [(h.actor_id, h.text) for h in find_hits(watchlist, title, text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # case and accents
        ("Juan Guaidó riep zichzelf uit", [("juan-guaido", "Juan Guaidó")]),
        ("Juan Guaido said", [("juan-guaido", "Juan Guaido")]),
        ("GUAIDO EN MADURO", [("juan-guaido", "GUAIDO"), ("nicolas-maduro", "MADURO")]),
        ("NICOLÁS MADURO", [("nicolas-maduro", "NICOLÁS MADURO")]),
        ("nicolas maduro habló", []),  # capitalised names want capitals
        # decomposed accent (e + combining acute) keeps the accent in the span
        ("Guaide\u0301?", []),
        ("Guaido\u0301 sprak", [("juan-guaido", "Guaido\u0301")]),
        # inflected and compound forms
        ("De regering-Maduro beschuldigt", [("nicolas-maduro", "Maduro")]),
        ("Maduros Regierung", [("nicolas-maduro", "Maduro")]),
        ("Maduro's regime", [("nicolas-maduro", "Maduro")]),
        ("Maduro\u2019s regime", [("nicolas-maduro", "Maduro")]),
        ("het Maduro-regime", [("nicolas-maduro", "Maduro")]),
        ("la regering\u2011Maduro", [("nicolas-maduro", "Maduro")]),
        ("Merkels Nachfolger", [("angela-merkel", "Merkel")]),
        ("Putina i Putinowi", [("vladimir-putin", "Putin"), ("vladimir-putin", "Putin")]),
        ("«Maduro»", [("nicolas-maduro", "Maduro")]),
        ("Madu\u00adro zei", [("nicolas-maduro", "Madu\u00adro")]),  # soft hyphen
        ("Nicolás\u00a0Maduro", [("nicolas-maduro", "Nicolás\u00a0Maduro")]),  # no-break space
        # a longer word that merely contains an alias
        ("Madurodam in Den Haag", []),
        ("Het miniatuurpark Madurodam", []),
        ("Trumpism and Trumpian politics", []),
        ("Putinversteher", []),
        ("Merkelraute", []),
        # full name versus surname: one mention each, longest form wins
        (
            "Nicolas Maduro en later Maduro",
            [
                ("nicolas-maduro", "Nicolas Maduro"),
                ("nicolas-maduro", "Maduro"),
            ],
        ),
        # ordinary words that are also names count only with their capitals
        ("un plátano maduro", []),
        ("that trumps everything", []),
        ("è nato a Roma", []),
        ("un homme et une femme", []),
        ("the UN said", [("united-nations", "UN")]),
        ("Nato-top in Vilnius", [("nato", "Nato")]),
        ("NATO allies", [("nato", "NATO")]),
        # exclusions: someone else with the same surname
        ("Melania Trump visited", []),
        ("Donald Trump Jr. said", []),
        ("Melania Trump and Donald Trump", [("donald-trump", "Donald Trump")]),
        # surname_alone: false needs the full name in the same article
        ("Sánchez dijo", []),
        (
            "Pedro Sánchez habló. Sánchez dijo",
            [
                ("pedro-sanchez", "Pedro Sánchez"),
                ("pedro-sanchez", "Sánchez"),
            ],
        ),
        # ambiguous short aliases need context
        ("Xi said so", []),
        ("Xi met officials in Beijing", [("xi-jinping", "Xi")]),
        ("Xi Jinping and later Xi", [("xi-jinping", "Xi Jinping"), ("xi-jinping", "Xi")]),
        ("in de VN", []),
        ("de VN-Veiligheidsraad", [("united-nations", "VN")]),
        # other scripts
        (
            "Путин встретился с Мадуро",
            [
                ("vladimir-putin", "Путин"),
                ("nicolas-maduro", "Мадуро"),
            ],
        ),
        ("заявил Путину", [("vladimir-putin", "Путин")]),
        ("Путинизм", []),
        ("Володимир Зеленський заявив", [("volodymyr-zelensky", "Володимир Зеленський")]),
        ("特朗普说", [("donald-trump", "特朗普")]),
        ("美国总统唐纳德·特朗普表示", [("donald-trump", "唐纳德·特朗普")]),
        ("习近平会见马克龙", [("xi-jinping", "习近平"), ("emmanuel-macron", "马克龙")]),
        ("トランプ大統領", [("donald-trump", "トランプ")]),
        ("트럼프는 말했다", [("donald-trump", "트럼프")]),
        ("قال ترامب", [("donald-trump", "ترامب")]),
    ],
)
def test_name_variants(seeds, text, expected):
    assert found(seeds, text) == expected


def test_offsets_point_into_the_original_text(seeds):
    text = "Straße: ﬁrst Guaidó, then «Nicolás Maduro»."
    for hit in find_hits(seeds, "", text):
        assert text[hit.start : hit.end] == hit.text
    assert [h.text for h in find_hits(seeds, "", text)] == ["Guaidó", "Nicolás Maduro"]


def test_seed_article_names_its_four_tracked_people(seeds):
    mentions = {m.actor_id: m for m in match_actors(seeds, "Venezuela", SEED_TEXT)}
    assert set(mentions) == {"nicolas-maduro", "juan-guaido", "donald-trump", "mike-pompeo"}
    maduro = mentions["nicolas-maduro"]
    assert maduro.count == 7  # incl. "regering-Maduro" and "Nicolas Maduro" once each
    assert SEED_TEXT[maduro.start : maduro.end] == maduro.matched_text == "Maduro"
    assert mentions["juan-guaido"].matched_text == "Juan Guaidó"


def test_mention_prefers_the_text_over_the_title(seeds):
    [m] = match_actors(seeds, "Pompeo in Caracas", "Secretary Mike Pompeo arrived.")
    assert (m.field, m.matched_text, m.count) == ("text", "Mike Pompeo", 2)
    [m] = match_actors(seeds, "Pompeo in Caracas", "No names here.")
    assert (m.field, m.start, m.end) == ("title", 0, 6)


def test_an_entity_of_the_actors_type_gives_context():
    watchlist = parse_watchlist(
        {
            "actors": [
                {
                    "id": "xi",
                    "name": "Xi Jinping",
                    "kind": "person",
                    "aliases": ["Xi Jinping"],
                    "requires_context": ["Xi"],
                    "context": ["Beijing"],
                }
            ]
        }
    )
    text = "Then Xi spoke."
    assert match_actors(watchlist, "", text) == []
    person = Entity(
        id="xi",
        type="PER",
        name="Xi",
        count=1,
        mentions=[Mention(start=5, end=7, text="Xi", field="text")],
    )
    place = Entity(
        id="xi",
        type="LOC",
        name="Xi",
        count=1,
        mentions=[Mention(start=5, end=7, text="Xi", field="text")],
    )
    assert match_actors(watchlist, "", text, [place]) == []
    assert [m.actor_id for m in match_actors(watchlist, "", text, [person])] == ["xi"]


def test_custom_suffixes_and_cjk_aliases_without_boundaries():
    watchlist = parse_watchlist(
        {
            "actors": [
                {
                    "id": "p",
                    "name": "Putin",
                    "kind": "person",
                    "aliases": ["Putin", "普京"],
                    "suffixes": ["a"],
                }
            ]
        }
    )
    assert [h.text for h in find_hits(watchlist, "", "wizyta Putina, 普京说")] == ["Putin", "普京"]
    assert find_hits(watchlist, "", "Putinami") == []


def test_an_empty_watchlist_finds_nobody():
    assert match_actors(parse_watchlist({"actors": []}), "Maduro", "Maduro") == []
