"""Build the labelled entity/topic evaluation sets (nl, en) from templates.

Deterministic: ``python seeds/eval/build_entity_sets.py`` rewrites
``entities_nl.jsonl`` and ``entities_en.jsonl`` byte for byte. Templates are
plain news sentences; slots are filled from pools of real public names, half
of which the gazetteer does NOT list, so that recall is measured honestly.
Template syntax: ``{POL}`` fills a slot with a full name, ``{POL.short}``
repeats the surname of the same slot's person, ``[Tweede Kamer|ORG]`` is a
fixed, annotated name. See README.md in this folder.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
PER_LANGUAGE = 120
SEED = 20190312

# (full name, short form or "", listed in the gazetteer seeds/registry data):
# the flag is copied into the gold spans so recall can be split by it.
POOLS = {
    "nl": {
        "POL": (
            "PER",
            [
                ("Dick Schoof", "Schoof", 1),
                ("Geert Wilders", "Wilders", 1),
                ("Dilan Yeşilgöz", "Yeşilgöz", 1),
                ("Frans Timmermans", "Timmermans", 1),
                ("Mark Rutte", "Rutte", 1),
                ("Pieter Omtzigt", "Omtzigt", 1),
                ("Caroline van der Plas", "Van der Plas", 1),
                ("Rob Jetten", "Jetten", 1),
                ("Eelco Heinen", "Heinen", 0),
                ("Mona Keijzer", "Keijzer", 0),
                ("Marjolein Faber", "Faber", 0),
                ("Fleur Agema", "Agema", 0),
                ("Eddy van Hijum", "Van Hijum", 0),
                ("David van Weel", "Van Weel", 0),
                ("Judith Uitermark", "Uitermark", 0),
                ("Sophie Hermans", "Hermans", 0),
                ("Henri Bontenbal", "Bontenbal", 0),
                ("Esther Ouwehand", "Ouwehand", 0),
            ],
        ),
        "WORLD": (
            "PER",
            [
                ("Donald Trump", "Trump", 1),
                ("Vladimir Poetin", "Poetin", 1),
                ("Volodymyr Zelensky", "Zelensky", 1),
                ("Emmanuel Macron", "Macron", 1),
                ("Olaf Scholz", "Scholz", 1),
                ("Ursula von der Leyen", "Von der Leyen", 1),
                ("Xi Jinping", "", 1),
                ("Benjamin Netanyahu", "Netanyahu", 1),
                ("Keir Starmer", "Starmer", 1),
                ("Pedro Sánchez", "", 1),
                ("Kaja Kallas", "Kallas", 1),
                ("Recep Tayyip Erdoğan", "Erdoğan", 1),
                ("Andrej Plenković", "Plenković", 0),
                ("Petteri Orpo", "Orpo", 0),
                ("Micheál Martin", "", 0),
                ("Luc Frieden", "Frieden", 0),
            ],
        ),
        "ATH": (
            "PER",
            [
                ("Max Verstappen", "Verstappen", 1),
                ("Virgil van Dijk", "Van Dijk", 1),
                ("Femke Bol", "", 1),
                ("Sifan Hassan", "", 1),
                ("Cody Gakpo", "Gakpo", 1),
                ("Mathieu van der Poel", "Van der Poel", 1),
                ("Jutta Leerdam", "Leerdam", 1),
                ("Xavi Simons", "Simons", 0),
                ("Tijjani Reijnders", "Reijnders", 0),
                ("Daphne Schippers", "Schippers", 0),
                ("Dylan Groenewegen", "Groenewegen", 0),
                ("Lieke Klaver", "", 0),
                ("Kjeld Nuis", "Nuis", 0),
                ("Puck Pieterse", "Pieterse", 0),
            ],
        ),
        "CO": (
            "ORG",
            [
                ("ASML", "", 1),
                ("Shell", "", 1),
                ("Philips", "", 1),
                ("KLM", "", 1),
                ("ING", "", 1),
                ("Rabobank", "", 1),
                ("Heineken", "", 1),
                ("Ahold Delhaize", "", 1),
                ("Vattenfall", "", 0),
                ("Eneco", "", 0),
                ("Coolblue", "", 0),
                ("Jumbo", "", 0),
                ("Gasunie", "", 0),
                ("Stedin", "", 0),
                ("Bavaria", "", 0),
                ("Randstad", "", 0),
            ],
        ),
        "CLUB": (
            "ORG",
            [
                ("Ajax", "", 1),
                ("PSV", "", 1),
                ("Feyenoord", "", 1),
                ("AZ Alkmaar", "", 1),
                ("FC Twente", "", 1),
                ("FC Utrecht", "", 1),
                ("FC Groningen", "", 0),
                ("Sparta Rotterdam", "", 0),
                ("Go Ahead Eagles", "", 0),
                ("NEC", "", 0),
                ("sc Heerenveen", "", 0),
                ("Fortuna Sittard", "", 0),
            ],
        ),
        "INST": (
            "ORG",
            [
                ("Europese Commissie", "", 1),
                ("NAVO", "", 1),
                ("Verenigde Naties", "", 1),
                ("RIVM", "", 1),
                ("Openbaar Ministerie", "", 1),
                ("Raad van State", "", 1),
                ("Europese Centrale Bank", "", 1),
                ("Wereldgezondheidsorganisatie", "", 1),
                ("Rijkswaterstaat", "", 0),
                ("Belastingdienst", "", 0),
                ("UWV", "", 0),
                ("Staatsbosbeheer", "", 0),
                ("Inspectie Gezondheidszorg en Jeugd", "", 0),
                ("Nederlandse Voedsel- en Warenautoriteit", "", 0),
                ("Sanquin", "", 0),
            ],
        ),
        "CITY": (
            "LOC",
            [
                ("Amsterdam", "", 1),
                ("Rotterdam", "", 1),
                ("Utrecht", "", 1),
                ("Den Haag", "", 1),
                ("Groningen", "", 1),
                ("Zwolle", "", 1),
                ("Maastricht", "", 1),
                ("Eindhoven", "", 1),
                ("Brussel", "", 1),
                ("Antwerpen", "", 1),
                ("Giethoorn", "", 0),
                ("Pieterburen", "", 0),
                ("Vaals", "", 0),
                ("Appingedam", "", 0),
                ("Loppersum", "", 0),
                ("Kinderdijk", "", 0),
                ("Hollandscheveld", "", 0),
                ("Zoutelande", "", 0),
            ],
        ),
        "COUNTRY": (
            "LOC",
            [
                ("Duitsland", "", 1),
                ("Frankrijk", "", 1),
                ("België", "", 1),
                ("Oekraïne", "", 1),
                ("Rusland", "", 1),
                ("China", "", 1),
                ("Venezuela", "", 1),
                ("Turkije", "", 1),
                ("Verenigde Staten", "", 1),
                ("Spanje", "", 1),
                ("Polen", "", 1),
                ("Marokko", "", 1),
                ("Indonesië", "", 1),
                ("Suriname", "", 1),
            ],
        ),
    },
    "en": {
        "POL": (
            "PER",
            [
                ("Keir Starmer", "Starmer", 1),
                ("Rachel Reeves", "", 1),
                ("Nigel Farage", "Farage", 1),
                ("Kemi Badenoch", "Badenoch", 1),
                ("Joe Biden", "Biden", 1),
                ("Kamala Harris", "Harris", 1),
                ("Marco Rubio", "Rubio", 1),
                ("Gavin Newsom", "Newsom", 1),
                ("Yvette Cooper", "Cooper", 0),
                ("Wes Streeting", "Streeting", 0),
                ("Lisa Nandy", "Nandy", 0),
                ("Angela Rayner", "Rayner", 0),
                ("Ed Miliband", "Miliband", 0),
                ("Pam Bondi", "Bondi", 0),
                ("Kristi Noem", "Noem", 0),
                ("Chuck Schumer", "Schumer", 0),
                ("Hakeem Jeffries", "Jeffries", 0),
                ("Andy Burnham", "Burnham", 0),
            ],
        ),
        "WORLD": (
            "PER",
            [
                ("Donald Trump", "Trump", 1),
                ("Vladimir Putin", "Putin", 1),
                ("Volodymyr Zelensky", "Zelensky", 1),
                ("Emmanuel Macron", "Macron", 1),
                ("Olaf Scholz", "Scholz", 1),
                ("Ursula von der Leyen", "von der Leyen", 1),
                ("Xi Jinping", "", 1),
                ("Benjamin Netanyahu", "Netanyahu", 1),
                ("Narendra Modi", "Modi", 1),
                ("Giorgia Meloni", "Meloni", 1),
                ("Mark Rutte", "Rutte", 1),
                ("Javier Milei", "Milei", 1),
                ("Anwar Ibrahim", "Anwar", 0),
                ("Christopher Luxon", "Luxon", 0),
                ("Micheál Martin", "", 0),
                ("Mette Frederiksen", "Frederiksen", 1),
            ],
        ),
        "ATH": (
            "PER",
            [
                ("Lewis Hamilton", "Hamilton", 1),
                ("Lando Norris", "Norris", 1),
                ("Harry Kane", "", 1),
                ("Jude Bellingham", "Bellingham", 1),
                ("Erling Haaland", "Haaland", 1),
                ("Mohamed Salah", "Salah", 1),
                ("Coco Gauff", "", 1),
                ("Carlos Alcaraz", "Alcaraz", 1),
                ("Bukayo Saka", "Saka", 0),
                ("Cole Palmer", "Palmer", 0),
                ("Emma Raducanu", "Raducanu", 0),
                ("Jack Draper", "Draper", 0),
                ("Keely Hodgkinson", "Hodgkinson", 0),
                ("Tom Pidcock", "Pidcock", 0),
            ],
        ),
        "CO": (
            "ORG",
            [
                ("Apple", "", 1),
                ("Microsoft", "", 1),
                ("Tesla", "", 1),
                ("BP", "", 1),
                ("HSBC", "", 1),
                ("Barclays", "", 1),
                ("Nvidia", "", 1),
                ("Boeing", "", 1),
                ("Tesco", "", 0),
                ("Rolls-Royce", "", 0),
                ("Vodafone", "", 0),
                ("Aviva", "", 0),
                ("Greggs", "", 0),
                ("Jaguar Land Rover", "", 0),
                ("Thames Water", "", 0),
                ("Network Rail", "", 0),
            ],
        ),
        "CLUB": (
            "ORG",
            [
                ("Arsenal", "", 1),
                ("Manchester United", "", 1),
                ("Manchester City", "", 1),
                ("Liverpool FC", "", 1),
                ("Chelsea FC", "", 1),
                ("Tottenham", "", 1),
                ("Aston Villa", "", 0),
                ("Newcastle United", "", 0),
                ("Brighton", "", 0),
                ("Nottingham Forest", "", 0),
                ("Celtic", "", 0),
                ("Rangers", "", 0),
            ],
        ),
        "INST": (
            "ORG",
            [
                ("European Commission", "", 1),
                ("NATO", "", 1),
                ("United Nations", "", 1),
                ("Bank of England", "", 1),
                ("Federal Reserve", "", 1),
                ("NHS", "", 1),
                ("World Health Organization", "", 1),
                ("Supreme Court", "", 1),
                ("Ofcom", "", 0),
                ("Environment Agency", "", 0),
                ("Met Office", "", 0),
                ("Competition and Markets Authority", "", 0),
                ("Serious Fraud Office", "", 0),
                ("Crown Prosecution Service", "", 0),
                ("Office for National Statistics", "", 0),
            ],
        ),
        "CITY": (
            "LOC",
            [
                ("London", "", 1),
                ("Manchester", "", 1),
                ("Birmingham", "", 1),
                ("Glasgow", "", 1),
                ("Leeds", "", 1),
                ("Bristol", "", 1),
                ("Washington", "", 1),
                ("New York", "", 1),
                ("Chicago", "", 1),
                ("Paris", "", 1),
                ("Grimsby", "", 0),
                ("Tenby", "", 0),
                ("Aberystwyth", "", 0),
                ("Whitby", "", 0),
                ("Skegness", "", 0),
                ("Keswick", "", 0),
                ("Padstow", "", 0),
                ("Ullapool", "", 0),
            ],
        ),
        "COUNTRY": (
            "LOC",
            [
                ("Germany", "", 1),
                ("France", "", 1),
                ("Ukraine", "", 1),
                ("Russia", "", 1),
                ("China", "", 1),
                ("Venezuela", "", 1),
                ("Turkey", "", 1),
                ("Ireland", "", 1),
                ("Spain", "", 1),
                ("Poland", "", 1),
                ("India", "", 1),
                ("Japan", "", 1),
                ("Canada", "", 1),
                ("Mexico", "", 1),
            ],
        ),
    },
}

TEMPLATES = {
    "nl": {
        "politics": [
            (
                "{POL} wil snel nieuwe afspraken over asiel",
                "Minister {POL} zei dinsdag in {CITY} dat het kabinet nog voor de zomer met "
                "voorstellen komt. In de [Tweede Kamer|ORG] is de steun voor het plan onzeker. "
                "{POL.short} wil ook overleggen met {COUNTRY} en {COUNTRY2}.",
            ),
            (
                "Oppositie kritisch over begroting van {POL.short}",
                "De begroting die {POL} presenteerde, krijgt veel kritiek. Volgens fractievoorzitter "
                "{POL2} gaat het kabinet voorbij aan de problemen in {CITY}. Het debat gaat "
                "woensdag verder.",
            ),
            (
                "{WORLD} ontvangt {POL} voor overleg",
                "{WORLD} en {POL} spraken in {CITY} over de oorlog in [Oekraïne|LOC] en over "
                "handel. De [Europese Unie|ORG] wil dat {COUNTRY} meer doet. Na afloop zei "
                "{WORLD.short} dat het gesprek constructief was.",
            ),
            (
                "Verkiezingen in {COUNTRY}: partij van {WORLD.short} wint",
                "Bij de parlementsverkiezingen in {COUNTRY} heeft de partij van {WORLD} de meeste "
                "zetels gehaald. Waarnemers van de [OVSE|ORG] meldden geen grote problemen. "
                "Minister {POL} feliciteerde de winnaar vanuit {CITY}.",
            ),
        ],
        "economy": [
            (
                "{CO} verhoogt verwachting na sterk kwartaal",
                "{CO} heeft in het afgelopen kwartaal meer omzet en winst geboekt dan verwacht. "
                "Het bedrijf uit {CITY} profiteert van de vraag uit {COUNTRY}. Het aandeel steeg "
                "op de beurs in [Amsterdam|LOC] met 4 procent.",
            ),
            (
                "{INST} houdt rente gelijk",
                "De {INST} laat de rente ongewijzigd, ondanks de hogere inflatie. Topman van {CO} "
                "noemde het besluit verstandig. Economen in {CITY} verwachten dat de rente later "
                "dit jaar daalt.",
            ),
            (
                "{CO} schrapt honderden banen",
                "{CO} gaat honderden banen schrappen, vooral in {CITY}. Minister {POL} noemt het "
                "slecht nieuws voor de regio. De vakbond [FNV|ORG] wil met het bedrijf in gesprek.",
            ),
        ],
        "sport": [
            (
                "{CLUB} wint van {CLUB2} na doelpunt in blessuretijd",
                "{CLUB} heeft in de eredivisie met 2-1 gewonnen van {CLUB2}. De wedstrijd in "
                "{CITY} werd pas in blessuretijd beslist. Trainer en spelers vierden de zege met "
                "de supporters.",
            ),
            (
                "{ATH} pakt goud op EK",
                "{ATH} heeft op het EK in {CITY} de gouden medaille gewonnen. {ATH.short} was in "
                "de finale duidelijk sneller dan de concurrentie uit {COUNTRY}. Het is haar of "
                "zijn eerste Europese titel.",
            ),
            (
                "{ATH} wint Grand Prix van {COUNTRY}",
                "{ATH} heeft de race in {COUNTRY} gewonnen. {ATH.short} hield in de slotfase de "
                "aanval van {ATH2} af. Het kampioenschap is nog volop spannend.",
            ),
        ],
        "crime": [
            (
                "Drie verdachten aangehouden na overval in {CITY}",
                "De politie heeft in {CITY} drie verdachten aangehouden na een gewapende overval "
                "op een juwelier. Het {INST} onderzoekt of er een verband is met eerdere "
                "overvallen. De verdachten komen maandag voor de rechter.",
            ),
            (
                "Rechtbank veroordeelt man voor fraude bij {CO}",
                "De rechtbank in {CITY} heeft een oud-medewerker van {CO} veroordeeld tot twee "
                "jaar cel voor fraude. Volgens het [Openbaar Ministerie|ORG] ging het om miljoenen "
                "euro's. De man gaat in hoger beroep.",
            ),
        ],
        "health": [
            (
                "{INST} waarschuwt voor griepgolf",
                "Het {INST} ziet het aantal patiënten met griep snel stijgen. Ziekenhuizen in "
                "{CITY} en {CITY2} melden drukte op de spoedeisende hulp. Minister {POL} roept "
                "ouderen op zich te laten vaccineren.",
            ),
            (
                "Nieuw ziekenhuis in {CITY} opent deuren",
                "In {CITY} is een nieuw ziekenhuis geopend. Volgens {POL} verbetert de zorg "
                "daarmee voor honderdduizenden patiënten. De bouw kostte 400 miljoen euro.",
            ),
        ],
        "disaster": [
            (
                "Zware aardbeving treft {COUNTRY}",
                "Een zware aardbeving heeft het zuiden van {COUNTRY} getroffen. Reddingswerkers "
                "zoeken naar overlevenden onder het puin. De {INST} stuurt hulp; ook {COUNTRY2} "
                "biedt steun aan.",
            ),
            (
                "Grote brand in {CITY}, brandweer blust de hele nacht",
                "Bij een grote brand in een bedrijfspand in {CITY} is niemand gewond geraakt. De "
                "brandweer was de hele nacht bezig. Bewoners moesten ramen en deuren sluiten.",
            ),
        ],
        "conflict": [
            (
                "Raketaanval op {CITYW}, tientallen doden",
                "Bij een raketaanval op {CITYW} zijn tientallen doden gevallen. {WORLD} sprak van "
                "een oorlogsmisdaad. De [NAVO|ORG] komt bijeen om de aanval te bespreken.",
            ),
            (
                "Staakt-het-vuren in {COUNTRY} onder druk",
                "Het staakt-het-vuren in {COUNTRY} staat onder druk na nieuwe gevechten. De "
                "{INST} roept beide partijen op de wapens neer te leggen. {WORLD} dreigt met "
                "sancties.",
            ),
        ],
        "weather": [
            (
                "[KNMI|ORG] geeft code oranje af voor storm",
                "Het [KNMI|ORG] heeft code oranje afgegeven vanwege zware windstoten. In {CITY} en "
                "{CITY2} kan het verkeer hinder ondervinden. Het weer blijft de hele week onstuimig.",
            ),
        ],
    },
    "en": {
        "politics": [
            (
                "{POL} pledges new deal on asylum",
                "Speaking in {CITY} on Tuesday, {POL} said the government would publish proposals "
                "before the summer. Support for the plan in [Parliament|ORG] is uncertain. "
                "{POL.short} also wants talks with {COUNTRY} and {COUNTRY2}.",
            ),
            (
                "Opposition attacks budget from {POL.short}",
                "The budget presented by {POL} has drawn sharp criticism. According to {POL2}, the "
                "government is ignoring the problems facing {CITY}. The debate continues on "
                "Wednesday.",
            ),
            (
                "{WORLD} hosts {POL} for talks",
                "{WORLD} and {POL} met in {CITY} to discuss the war in [Ukraine|LOC] and trade. The "
                "[European Union|ORG] wants {COUNTRY} to do more. Afterwards {WORLD.short} called "
                "the meeting constructive.",
            ),
            (
                "Election in {COUNTRY}: party of {WORLD.short} wins most seats",
                "In the parliamentary election in {COUNTRY}, the party of {WORLD} won the most "
                "seats. Observers from the [OSCE|ORG] reported no major problems. {POL} "
                "congratulated the winner from {CITY}.",
            ),
        ],
        "economy": [
            (
                "{CO} raises forecast after strong quarter",
                "{CO} reported higher revenue and profit than expected in the last quarter. The "
                "company, based in {CITY}, is benefiting from demand in {COUNTRY}. Its shares rose "
                "4 percent on [Wall Street|ORG].",
            ),
            (
                "{INST} holds interest rates",
                "The {INST} left interest rates unchanged despite higher inflation. The chief "
                "executive of {CO} called the decision sensible. Economists in {CITY} expect rates "
                "to fall later this year.",
            ),
            (
                "{CO} to cut hundreds of jobs",
                "{CO} will cut hundreds of jobs, mainly in {CITY}. {POL} called it bad news for the "
                "region. The union [Unite|ORG] wants talks with the company.",
            ),
        ],
        "sport": [
            (
                "{CLUB} beat {CLUB2} with stoppage-time goal",
                "{CLUB} won 2-1 against {CLUB2} in the league. The match in {CITY} was only decided "
                "in stoppage time. The coach and players celebrated the win with the fans.",
            ),
            (
                "{ATH} takes gold at European Championships",
                "{ATH} won the gold medal at the European Championships in {CITY}. {ATH.short} was "
                "clearly faster in the final than the rivals from {COUNTRY}. It is a first European "
                "title.",
            ),
            (
                "{ATH} wins Grand Prix in {COUNTRY}",
                "{ATH} won the race in {COUNTRY}. {ATH.short} held off an attack from {ATH2} in the "
                "closing laps. The championship remains wide open.",
            ),
        ],
        "crime": [
            (
                "Three arrested after robbery in {CITY}",
                "Police in {CITY} have arrested three suspects after an armed robbery at a "
                "jeweller. The {INST} is investigating links to earlier robberies. The suspects "
                "will appear in court on Monday.",
            ),
            (
                "Court convicts former {CO} employee of fraud",
                "A court in {CITY} has sentenced a former employee of {CO} to two years in prison "
                "for fraud. Prosecutors said millions of pounds were involved. The man plans to "
                "appeal.",
            ),
        ],
        "health": [
            (
                "{INST} warns of flu wave",
                "The {INST} says the number of flu patients is rising quickly. Hospitals in {CITY} "
                "and {CITY2} report crowded emergency departments. {POL} urged older people to get "
                "vaccinated.",
            ),
            (
                "New hospital opens its doors in {CITY}",
                "A new hospital has opened in {CITY}. According to {POL}, it will improve care for "
                "hundreds of thousands of patients. Construction cost 400 million pounds.",
            ),
        ],
        "disaster": [
            (
                "Powerful earthquake hits {COUNTRY}",
                "A powerful earthquake has struck the south of {COUNTRY}. Rescue workers are "
                "searching for survivors under the rubble. The {INST} is sending aid, and "
                "{COUNTRY2} has also offered support.",
            ),
            (
                "Major fire in {CITY}, firefighters work through the night",
                "Nobody was hurt in a major fire at a warehouse in {CITY}. Firefighters worked "
                "through the night. Residents were told to keep windows and doors closed.",
            ),
        ],
        "conflict": [
            (
                "Missile strike on {CITYW} kills dozens",
                "Dozens of people were killed in a missile strike on {CITYW}. {WORLD} called it a "
                "war crime. [NATO|ORG] will meet to discuss the attack.",
            ),
            (
                "Ceasefire in {COUNTRY} under pressure",
                "The ceasefire in {COUNTRY} is under pressure after fresh fighting. The {INST} "
                "urged both sides to lay down their weapons. {WORLD} threatened sanctions.",
            ),
        ],
        "weather": [
            (
                "[Met Office|ORG] issues amber warning for storm",
                "The [Met Office|ORG] has issued an amber warning for strong winds. Travel in "
                "{CITY} and {CITY2} may be disrupted. The weather will stay unsettled all week.",
            ),
        ],
    },
}

# Cities struck in conflict templates (all in the gazetteer).
WAR_CITIES = {
    "nl": ["Kyiv", "Charkiv", "Gaza", "Odessa", "Beiroet", "Dnipro"],
    "en": ["Kyiv", "Kharkiv", "Gaza", "Odesa", "Beirut", "Dnipro"],
}

TOPIC_LABELS = {
    "politics": "politics",
    "economy": "economy, business and finance",
    "sport": "sport",
    "crime": "crime, law and justice",
    "health": "health",
    "disaster": "disaster, accident and emergency incident",
    "conflict": "conflict, war and peace",
    "weather": "weather",
}

_TOKEN = re.compile(r"\{([A-Z]+)(\d?)(\.short)?\}|\[([^|\]]+)\|([A-Z]+)\]")


def render(template: str, fills: dict, pools: dict, lang: str) -> tuple[str, list[dict]]:
    """Fill ``template``; return the text and its gold entity spans."""
    out: list[str] = []
    gold: list[dict] = []
    pos = 0
    length = 0
    for m in _TOKEN.finditer(template):
        literal = template[pos : m.start()]
        out.append(literal)
        length += len(literal)
        listed = None  # fixed names: not recorded
        if m.group(4):
            surface, type_ = m.group(4), m.group(5)
        else:
            slot = m.group(1) + m.group(2)
            pool = m.group(1)
            if pool == "CITYW":
                type_, surface, listed = "LOC", fills[slot], True
            else:
                type_ = pools[pool][0]
                full, short, flag = fills[slot]
                surface = (short or full) if m.group(3) else full
                listed = bool(flag)
        gold.append(
            {
                "start": length,
                "end": length + len(surface),
                "text": surface,
                "type": type_,
                "listed": listed,
            }
        )
        out.append(surface)
        length += len(surface)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), gold


def build(lang: str, rng: random.Random) -> list[dict]:
    pools = POOLS[lang]
    items = []
    pairs = [(topic, t) for topic, ts in TEMPLATES[lang].items() for t in ts]
    for n in range(PER_LANGUAGE):
        topic, (title_t, text_t) = pairs[n % len(pairs)]
        fills: dict = {}
        for pool, (_, members) in pools.items():
            a, b = rng.sample(members, 2)
            fills[pool], fills[pool + "2"] = a, b
        fills["CITYW"] = rng.choice(WAR_CITIES[lang])
        title, title_gold = render(title_t, fills, pools, lang)
        text, text_gold = render(text_t, fills, pools, lang)
        entities = [dict(g, field="title") for g in title_gold]
        entities += [dict(g, field="text") for g in text_gold]
        items.append(
            {
                "id": f"{lang}-{n:03d}",
                "lang": lang,
                "title": title,
                "text": text,
                "entities": entities,
                "topic": TOPIC_LABELS[topic],
            }
        )
    return items


def main() -> None:
    for lang in ("nl", "en"):
        rng = random.Random(f"{SEED}-{lang}")
        with open(HERE / f"entities_{lang}.jsonl", "w", encoding="utf-8") as fh:
            for item in build(lang, rng):
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
