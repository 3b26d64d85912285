"""Topics: IPTC Media Topics (top level) from weighted multilingual keywords.

Each topic is a list of weighted terms per language (``seeds/gazetteer/
topics.yaml``), in the manner of the Europe Media Monitor's categories: the
evidence is explainable (which words fired) and cheap enough for every
article. Terms of the article's language are used when the seed has that
language, all languages otherwise. Known people and organisations add
evidence for their field (a minister for politics, a striker for sport).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from contract.ids import fold
from contract.records import Topic
from contract.text import fold_text, match_key
from processors.enrichment.names import SEED_DIR
from processors.enrichment.textmatch import build_automaton, raw_hits

TOPICS_FILE = SEED_DIR / "topics.yaml"
TITLE_WEIGHT = 2.0  # a term in the headline says more than one in the body
MAX_REPEATS = 3  # a term repeated more often adds nothing
ENTITY_WEIGHT = 1.5  # per distinct known person/organisation of that field
MIN_EVIDENCE = 3.0  # raw evidence a topic needs at all
MIN_SHARE = 0.15  # and its share of all evidence
MAX_TOPICS = 3
FIELD_TO_TOPIC = {"culture": "arts"}  # person/organisation field -> topic key
ALL = "*"


@dataclass(frozen=True)
class Term:
    topic: int
    weight: float
    prefix: bool  # "term*": any word starting with term
    infix: bool  # "*term*": also inside a compound


@dataclass(frozen=True)
class TopicDef:
    key: str
    code: str
    label: str


def _parse_terms(line: str) -> list[tuple[str, float, bool, bool]]:
    out = []
    for item in str(line).split(","):
        item = item.strip()
        if not item:
            continue
        term, sep, weight = item.rpartition(":")
        if not sep:
            term, weight = item, ""
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            term, value = item, 1.0
        infix = term.startswith("*")
        prefix = term.endswith("*") or infix
        key = match_key(term.strip("*"))
        if key:
            out.append((key, value, prefix, infix))
    return out


def _by_edges(terms: list[Term]) -> tuple[tuple[tuple[int, float], ...], ...]:
    """For a key's terms, the (topic, best weight) pairs that count, by where
    the hit sits: index 2 * (starts a word) + (ends a word), worked out once
    here instead of per hit."""
    out = []
    for at_start in (False, True):
        for at_end in (False, True):
            best: dict[int, float] = {}
            for term in terms:
                if (at_start or term.infix) and (at_end or term.prefix):
                    best[term.topic] = max(best.get(term.topic, 0.0), term.weight)
            out.append(tuple(best.items()))
    return tuple(out)


class TopicClassifier:
    """Per-language automata over folded keyword terms."""

    def __init__(self, spec: dict):
        self.topics: list[TopicDef] = []
        per_language: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for index, (key, body) in enumerate(spec.items()):
            self.topics.append(TopicDef(key, body["code"], body["label"]))
            for lang, line in body.items():
                if lang in ("code", "label"):
                    continue
                for term, weight, prefix, infix in _parse_terms(line):
                    t = Term(index, weight, prefix, infix)
                    per_language[lang][term].append(t)
                    per_language[ALL][term].append(t)
        self.index = {t.key: i for i, t in enumerate(self.topics)}
        self.languages = sorted(k for k in per_language if k != ALL)
        self._automata = {
            lang: build_automaton(
                {k: (any(t.infix for t in v), _by_edges(v)) for k, v in terms.items()}
            )
            for lang, terms in per_language.items()
        }

    def evidence(self, text: str, language: str = "") -> dict[int, float]:
        """Raw evidence per topic index from the terms found in ``text``."""
        folded = fold_text(text).folded
        automaton = self._automata.get(language) or self._automata[ALL]
        counts: dict[tuple[int, str], int] = defaultdict(int)
        weights: dict[tuple[int, str], float] = {}
        n = len(folded)
        for start, end, _, by_edges in raw_hits(automaton, folded):
            at_start = start == 0 or not folded[start - 1].isalnum()
            at_end = end == n or not folded[end].isalnum()
            best = by_edges[2 * at_start + at_end]
            if best:
                key = folded[start:end]
                for topic, weight in best:
                    counts[(topic, key)] += 1
                    weights[(topic, key)] = weight
        scores: dict[int, float] = defaultdict(float)
        for (topic, key), count in counts.items():
            scores[topic] += weights[(topic, key)] * min(count, MAX_REPEATS)
        return scores

    def classify(
        self,
        title: str,
        text: str,
        language: str = "",
        entity_fields: list[str] | None = None,
    ) -> list[Topic]:
        """Up to :data:`MAX_TOPICS` topics, best first, scored by share of evidence."""
        lang = language if language in self.languages else ""
        total: dict[int, float] = defaultdict(float)
        for topic, score in self.evidence(title, lang).items():
            total[topic] += TITLE_WEIGHT * score
        for topic, score in self.evidence(text, lang).items():
            total[topic] += score
        for news_field in entity_fields or []:
            index = self.index.get(FIELD_TO_TOPIC.get(news_field, news_field))
            if index is not None:
                total[index] += ENTITY_WEIGHT
        overall = sum(total.values())
        if not overall:
            return []
        ranked = sorted(total.items(), key=lambda kv: kv[1], reverse=True)
        out = []
        for index, raw in ranked[:MAX_TOPICS]:
            share = raw / overall
            if raw >= MIN_EVIDENCE and share >= MIN_SHARE:
                t = self.topics[index]
                out.append(Topic(t.code, t.label, round(share, 4)))
        return out


@lru_cache(maxsize=1)
def default_classifier() -> TopicClassifier:
    with open(TOPICS_FILE, encoding="utf-8") as fh:
        return TopicClassifier(yaml.safe_load(fh))


def version(path: Path = TOPICS_FILE) -> str:
    digest = hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()
    return f"keywords/{digest}"


def classify_topics(
    title: str, text: str, *, language: str = "", entity_fields: list[str] | None = None
) -> list[Topic]:
    return default_classifier().classify(title, text, language, entity_fields)


def topic_names(path: Path = TOPICS_FILE) -> dict[str, str]:
    """Every way to name a topic (key, label, IPTC code; folded) -> its label."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for key, body in spec.items():
        for name in (key, body["label"], body["code"]):
            names[fold(str(name))] = body["label"]
    return names
