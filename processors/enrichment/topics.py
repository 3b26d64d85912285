"""Topics: IPTC Media Topics (top level) from a trained model and keyword evidence.

The statistical model (``processors.classification``, trained on public
labelled news) gives a calibrated probability for the topics its data has
(arts, economy, health, politics, science, sport and, thinly, crime,
education, environment, religion). Topics the data lacks (disaster, weather,
labour, conflict, lifestyle, human interest, society...) stay reachable
through the weighted multilingual keyword lists (``seeds/gazetteer/
topics.yaml``, in the manner of the Europe Media Monitor's categories): a
keyword topic's share of the keyword evidence, scaled by a factor chosen on
the dev split, becomes its probability when the model knows the topic too
little. Up to three topics, best first; the first carries the words that
weighed most for it.
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
from processors.classification import model as topic_model
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
# A keyword topic's probability: its share of keyword evidence times this
# (chosen on the dev split: the largest that costs the learnt topics' first
# place on at most about a point there).
KEYWORD_WEIGHT = 0.4
FULL_EVIDENCE = 8.0  # raw keyword evidence at which a keyword topic counts fully
# Languages the model has news articles for; elsewhere (nl, it: single SIB-200
# sentences only; any other language) the keyword lists also speak for the
# learnt topics.
NEWS_LANGUAGES = frozenset({"en", "fr", "de", "es", "pt"})
LEARNT_MIN_EXAMPLES = 150  # a model label with fewer training items is helped by keywords
EXPLAIN_TOP = 5
STEP_VERSION = "2"  # bump to re-topic on replay when the combination changes
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

    def hits(self, text: str, language: str = "") -> dict[tuple[int, str], float]:
        """Weighted evidence per (topic index, folded term) found in ``text``."""
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
        return {k: weights[k] * min(count, MAX_REPEATS) for k, count in counts.items()}

    def evidence(self, text: str, language: str = "") -> dict[int, float]:
        """Raw evidence per topic index from the terms found in ``text``."""
        scores: dict[int, float] = defaultdict(float)
        for (topic, _), weight in self.hits(text, language).items():
            scores[topic] += weight
        return scores

    def weigh(
        self,
        title: str,
        text: str,
        language: str = "",
        entity_fields: list[str] | None = None,
    ) -> tuple[dict[int, float], dict[int, dict[str, float]]]:
        """Raw keyword evidence per topic index, and per topic the terms that gave it."""
        lang = language if language in self.languages else ""
        total: dict[int, float] = defaultdict(float)
        words: dict[int, dict[str, float]] = defaultdict(dict)
        for part, factor in ((title, TITLE_WEIGHT), (text, 1.0)):
            for (topic, key), weight in self.hits(part, lang).items():
                total[topic] += factor * weight
                words[topic][key] = words[topic].get(key, 0.0) + factor * weight
        for news_field in entity_fields or []:
            index = self.index.get(FIELD_TO_TOPIC.get(news_field, news_field))
            if index is not None:
                total[index] += ENTITY_WEIGHT
        return total, words

    def shares(
        self,
        title: str,
        text: str,
        language: str = "",
        entity_fields: list[str] | None = None,
    ) -> list[tuple[str, float, tuple[str, ...]]]:
        """(topic key, strength, terms) of the topics with enough evidence, best first.

        The strength is the topic's share of all keyword evidence, scaled down
        while its raw evidence is under :data:`FULL_EVIDENCE`: one weak word
        is not a topic.
        """
        total, words = self.weigh(title, text, language, entity_fields)
        overall = sum(total.values())
        if not overall:
            return []
        ranked = sorted(total.items(), key=lambda kv: kv[1], reverse=True)
        out = []
        for index, raw in ranked[:MAX_TOPICS]:
            share = raw / overall
            if raw >= MIN_EVIDENCE and share >= MIN_SHARE:
                terms = words.get(index, {})
                top = sorted(terms, key=lambda k: (-terms[k], k))[:EXPLAIN_TOP]
                strength = share * min(1.0, raw / FULL_EVIDENCE)
                out.append((self.topics[index].key, strength, tuple(top)))
        return out

    def topic(self, key: str, probability: float, evidence: tuple[str, ...], source: str) -> Topic:
        t = self.topics[self.index[key]]
        return Topic(t.code, t.label, round(probability, 4), list(evidence), source)

    def classify(
        self,
        title: str,
        text: str,
        language: str = "",
        entity_fields: list[str] | None = None,
    ) -> list[Topic]:
        """The keyword lists alone: up to :data:`MAX_TOPICS` topics scored by share of evidence."""
        total, _ = self.weigh(title, text, language, entity_fields)
        overall = sum(total.values()) or 1.0
        found = self.shares(title, text, language, entity_fields)
        return [
            self.topic(key, total[self.index[key]] / overall, terms if i == 0 else (), "keywords")
            for i, (key, _, terms) in enumerate(found)
        ]


@lru_cache(maxsize=1)
def default_classifier() -> TopicClassifier:
    with open(TOPICS_FILE, encoding="utf-8") as fh:
        return TopicClassifier(yaml.safe_load(fh))


def version(path: Path = TOPICS_FILE) -> str:
    """Changes with the keyword lists, the model and the way they are combined."""
    digest = hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()
    return f"topics/{STEP_VERSION}+{topic_model.version()}+keywords/{digest}"


def learnt_topics(model: topic_model.TopicModel) -> frozenset[str]:
    """The model's topics with enough training items to stand without keyword help."""
    return frozenset(key for key, n in model.examples.items() if n >= LEARNT_MIN_EXAMPLES)


def combine(
    prediction: topic_model.Prediction,
    keywords: list[tuple[str, float, tuple[str, ...]]],
    *,
    learnt: frozenset[str],
    first_min: float,
    more_min: float,
    keyword_weight: float = KEYWORD_WEIGHT,
) -> list[tuple[str, float, tuple[str, ...], str]]:
    """(key, probability, evidence, source) of up to :data:`MAX_TOPICS` topics, best first.

    A keyword topic the model has not learnt takes its keyword strength times
    ``keyword_weight``, or times the model's no-topic probability where that is
    higher (the model saying "none of mine" leaves the room to the keywords),
    as probability; a learnt topic takes the keyword strength times the
    no-topic probability where that beats the model's own. The model's topics
    share what is left, so the probabilities still sum to at most one. No
    topic at all only when neither the model's first topic nor a keyword topic
    reaches ``first_min``.
    """
    probs = dict(prediction.probabilities)
    evidence: dict[str, tuple[str, ...]] = {}
    source = dict.fromkeys(probs, "model")
    if prediction.probabilities:
        evidence[prediction.probabilities[0][0]] = prediction.evidence
    added: dict[str, float] = {}
    for key, share, terms in keywords:
        weight = max(0.0 if key in learnt else keyword_weight, prediction.unsure)
        p = weight * share
        if p > probs.get(key, 0.0):
            added[key] = p
            evidence[key] = terms
    if added:
        kept = {k: v for k, v in probs.items() if k not in added}
        room = 1.0 - sum(added.values())
        factor = min(1.0, room / sum(kept.values())) if kept and sum(kept.values()) else 1.0
        probs = {k: v * factor for k, v in kept.items()}
        probs.update(added)
        source.update(dict.fromkeys(added, "keywords"))
    model_top = prediction.probabilities[0][1] if prediction.probabilities else 0.0
    if max([model_top, *added.values()]) < first_min:
        return []  # neither the model nor the keywords are sure enough
    ranked = sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TOPICS]
    out = []
    for i, (key, p) in enumerate(ranked):
        if i and p < more_min:
            break
        out.append((key, p, evidence.get(key, ()) if i == 0 else (), source[key]))
    return out


def classify_topics(
    title: str, text: str, *, language: str = "", entity_fields: list[str] | None = None
) -> list[Topic]:
    """Up to three topics with calibrated probabilities, best first; see the module doc."""
    model = topic_model.default_model()
    keywords = default_classifier()
    found = combine(
        model.predict(title, text),
        keywords.shares(title, text, language, entity_fields),
        learnt=learnt_topics(model) if language in NEWS_LANGUAGES else frozenset(),
        first_min=model.first_min,
        more_min=model.more_min,
    )
    return [keywords.topic(key, p, words, source) for key, p, words, source in found]


def warm_up() -> None:
    """Load the model and build the keyword automata now, not on the first article."""
    default_classifier()
    topic_model.default_model()


def topic_names(path: Path = TOPICS_FILE) -> dict[str, str]:
    """Every way to name a topic (key, label, IPTC code; folded) -> its label."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for key, body in spec.items():
        for name in (key, body["label"], body["code"]):
            names[fold(str(name))] = body["label"]
    return names
