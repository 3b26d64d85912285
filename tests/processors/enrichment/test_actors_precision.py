"""The false alerts a plain watchlist used to raise, and the rules that stop them.

Each watchlist here is written the way a user writes one: a full name and a
surname, or an organisation's name, with no rule relaxed or tightened.
"""

from __future__ import annotations

import pytest

from contract.records import Entity, Mention
from processors.enrichment.actors import find_hits, match_actors
from processors.enrichment.pipeline import enrich
from processors.enrichment.samples import make_article
from processors.enrichment.watchlist import parse_watchlist


def person(ident: str, full: str, *surnames: str, **rules) -> dict:
    return {
        "id": ident,
        "name": full,
        "kind": "person",
        "aliases": [full],
        "surnames": list(surnames),
        **rules,
    }


def organisation(ident: str, *aliases: str, **rules) -> dict:
    return {
        "id": ident,
        "name": aliases[0],
        "kind": "organisation",
        "aliases": list(aliases),
        **rules,
    }


PLAIN = parse_watchlist(
    {
        "actors": [
            person("donald-trump", "Donald Trump", "Trump"),
            person("mike-pompeo", "Mike Pompeo", "Pompeo"),
            person("john-major", "John Major", "Major"),
            person("bill-clinton", "Bill Clinton", "Clinton"),
            organisation("onderwijs", "Onderwijs"),
            organisation("ad", "AD"),
            organisation("fifa", "FIFA"),
        ]
    }
)


def actors_in(text: str, watchlist=PLAIN, entities=(), title: str = "") -> list[str]:
    return [m.actor_id for m in match_actors(watchlist, title, text, entities)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # lower-case words are not names
        ("She played her trump card in the last round.", []),
        ("It was a major step for the club.", []),
        ("Het onderwijs in Vlaanderen kampt met een tekort aan leraren.", []),
        ("Trump said on Tuesday that talks would go on.", ["donald-trump"]),
        ("TRUMP VOWS TO FIGHT ON", ["donald-trump"]),
        ("Major said the party would stay united.", ["john-major"]),
        ("De vakbond Onderwijs eist meer geld.", ["onderwijs"]),
        # a surname inside someone else's longer name
        ("Il ritratto di Pompeo Batoni è esposto a Roma.", []),
        ("Clinton Whitelaw scored twice for Auckland.", []),
        ("President Clinton met Pompeo in Washington.", ["mike-pompeo", "bill-clinton"]),
        ("Yesterday Clinton signed the bill.", ["bill-clinton"]),
        ("Shares of Major & Co rose while Smith & Major fell.", []),
        ("The former prime minister, P. Major, was not there.", []),
        ("Then J. Major spoke.", ["john-major"]),  # his own initial
        # acronyms: all capitals or Title case, never lower case or a longer word
        ("Het AD meldt dat de trein uitvalt.", ["ad"]),
        ("De ADS-software en de ads op de site.", []),
        ("An ad for the new season.", []),
        ("FIFA and Fifa are one body.", ["fifa"]),
        ("fifa in lower case is not it", []),
        ("FIFAS", []),
        # possessives for names, not for acronyms
        ("Clinton's speech and Clintons rivals", ["bill-clinton"]),
        ("FIFA's decision", ["fifa"]),
    ],
)
def test_a_plain_watchlist_raises_no_false_alert(text, expected):
    assert actors_in(text) == expected


def test_a_surname_inside_a_name_the_recognisers_found_does_not_count():
    text = "Whitelaw said Clinton was the best player he had seen."
    other = Entity(
        id="name:per:clinton-whitelaw",
        type="PER",
        name="Clinton Whitelaw",
        count=1,
        mentions=[Mention(14, 21, "Clinton", "text")],
    )
    assert actors_in(text, entities=[other]) == ["bill-clinton"]  # same span: the name itself
    longer = Entity(
        id="name:per:x",
        type="PER",
        name="Clinton Whitelaw",
        count=1,
        mentions=[Mention(0, 21, "Whitelaw said Clinton", "text")],
    )
    rejected = []
    assert find_hits(PLAIN, "", text, [longer], rejected=rejected) == []
    assert rejected[0].rule.startswith("inside PER")


def test_the_real_enrichment_keeps_the_italian_painter_apart_from_the_secretary():
    article = make_article(
        "Mostra a Lucca",
        "Il ritratto di Pompeo Batoni è esposto a Lucca. Batoni dipinse molti viaggiatori inglesi.",
        url="https://example.org/batoni",
    )
    assert enrich(article, watchlist=PLAIN).actors == []


BARCELONA = organisation("fc-barcelona", "FC Barcelona", "Barcelona")
CITY = {"id": "loc:barcelona", "type": "LOC", "name": "Barcelona", "count": 1}


def city_at(text: str, word: str = "Barcelona") -> list[Entity]:
    start = text.index(word)
    return [Entity(**CITY, mentions=[Mention(start, start + len(word), word, "text")])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nacido en Barcelona, el pintor vivió en París.", []),
        ("Barcelona, 23 may (EFE). El ayuntamiento aprobó el presupuesto.", []),
        ("Madrid, Barcelona y Valencia tendrán lluvias.", []),
        ("Barcelona Dragons won the game.", []),
        ("El Barcelona ganó al Valencia por dos goles.", ["fc-barcelona"]),
    ],
)
def test_the_city_is_not_the_club(text, expected):
    watchlist = parse_watchlist({"actors": [BARCELONA]})
    entities = city_at(text)
    if "Valencia" in text:
        valencia = text.index("Valencia")
        entities.append(
            Entity(
                "loc:valencia",
                "LOC",
                "Valencia",
                1,
                [Mention(valencia, valencia + 8, "Valencia", "text")],
            )
        )
    if "Madrid" in text:
        entities.append(Entity("loc:madrid", "LOC", "Madrid", 1, [Mention(0, 6, "Madrid", "text")]))
    assert actors_in(text, watchlist, entities) == expected


def test_a_person_does_not_fire_on_a_place_unless_the_watchlist_allows_it():
    text = "Washington announced new sanctions."
    entities = city_at(text, "Washington")
    strict = parse_watchlist({"actors": [person("gw", "George Washington", "Washington")]})
    assert actors_in(text, strict, entities) == []
    relaxed = parse_watchlist(
        {
            "actors": [
                person("gw", "George Washington", "Washington", appears_as=["place"]),
            ]
        }
    )
    [mention] = match_actors(relaxed, "", text, entities)
    assert "may appear as place" in mention.rule
    assert mention.entity == "LOC Barcelona"  # the entity seen there, as typed


def test_every_rule_can_be_relaxed_in_the_watchlist():
    relaxed = parse_watchlist(
        {
            "actors": [
                person("donald-trump", "Donald Trump", "Trump", any_case=["Trump"]),
                person("bill-clinton", "Bill Clinton", "Clinton", inside_names=True),
                organisation("fifa", "FIFA", capitalised=["FIFA"]),  # exactly as written
            ]
        }
    )
    assert actors_in("her trump card", relaxed) == ["donald-trump"]
    assert actors_in("Clinton Whitelaw scored", relaxed) == ["bill-clinton"]
    assert actors_in("Fifa said", relaxed) == []
    assert actors_in("FIFA said", relaxed) == ["fifa"]


def test_an_alert_says_why_it_fired():
    text = "Het ministerie sprak met Clinton over de handel."
    entities = [
        Entity("per:bill-clinton", "PER", "Bill Clinton", 1, [Mention(25, 32, "Clinton", "text")])
    ]
    [mention] = match_actors(PLAIN, "", text, entities)
    assert (mention.matched_text, mention.alias) == ("Clinton", "Clinton")
    assert mention.rule == "surname, capitalised, not inside a longer name"
    assert mention.entity == "PER Bill Clinton"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("nl", "Dat zei Minister-president Rutte gisteren.", ["mark-rutte"]),
        ("de", "Die Regierung Rutte hat beschlossen.", ["mark-rutte"]),  # nouns have capitals
        ("en", "Then Secretary-General Rutte spoke.", ["mark-rutte"]),
        ("nl", "Volgens Marieke Rutte is dat zo.", []),
    ],
)
def test_a_role_or_an_everyday_word_before_a_surname_is_not_a_given_name(language, text, expected):
    watchlist = parse_watchlist({"actors": [person("mark-rutte", "Mark Rutte", "Rutte")]})
    found = match_actors(watchlist, "", text, language=language)
    assert [m.actor_id for m in found] == expected
