"""The shipped topic model: calibrated topic probabilities and the words behind the first.

fastText's supervised model (word and character n-grams, quantised) runs in
C++ through the predict-only ``fasttext-predict`` bindings, which the language
step already loads. Its softmax is rescaled by the temperature fitted on the
dev split (``topics.json``), which also holds the thresholds chosen there and,
per topic, the words whose vectors pushed most toward it: the explanation is
a dictionary look-up, not a second model run.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from processors.classification import calibration
from processors.classification.text import model_input

MODEL_DIR = Path(__file__).parent / "weights"
MODEL_NAME = "topics.ftz"
CONFIG_NAME = "topics.json"
LABEL_PREFIX = "__label__"
NO_TOPIC = "none"  # items whose source class has no single project topic
EXPLAIN_TOP = 5


@dataclass(frozen=True)
class Prediction:
    """Calibrated probability per learnt topic key (best first) and the first's evidence.

    ``unsure`` is the probability that the article has none of the learnt topics
    (the no-topic class, where the model has one): room for the keyword topics.
    """

    probabilities: tuple[tuple[str, float], ...]
    evidence: tuple[str, ...]
    unsure: float = 0.0


class TopicModel:
    """A fastText model with its calibration and explanation table."""

    def __init__(self, directory: Path = MODEL_DIR):
        import fasttext  # type: ignore[import-untyped]  # fasttext-predict: inference only

        config: dict[str, Any] = json.loads((directory / CONFIG_NAME).read_text("utf-8"))
        self.labels: list[str] = config["labels"]
        self.examples: dict[str, int] = config["examples"]  # training items per label
        self.temperature = float(config["temperature"])
        self.first_min = float(config["first_min"])
        self.more_min = float(config["more_min"])
        self.explain: dict[str, dict[str, float]] = config["explain"]
        self._model = fasttext.load_model(str(directory / MODEL_NAME))
        self._index = {LABEL_PREFIX + label: i for i, label in enumerate(self.labels)}

    def predict(self, title: str, text: str) -> Prediction:
        """Probabilities of every learnt topic for the article, best first."""
        words = model_input(title, text)
        if not words.strip():
            return Prediction((), ())
        got, probs = self._model.predict(words, k=-1, threshold=0.0)
        raw = [0.0] * len(self.labels)
        for label, p in zip(got, probs, strict=False):
            raw[self._index[label]] = float(p)
        scaled = calibration.scale(raw, self.temperature)
        ranked = sorted(
            ((label, p) for label, p in zip(self.labels, scaled, strict=True) if label != NO_TOPIC),
            key=lambda kv: kv[1],
            reverse=True,
        )
        evidence = self.evidence(words, ranked[0][0]) if ranked else ()
        unsure = scaled[self.labels.index(NO_TOPIC)] if NO_TOPIC in self.labels else 0.0
        return Prediction(tuple(ranked), evidence, unsure)

    def evidence(self, words: str, topic: str) -> tuple[str, ...]:
        """The words of ``words`` (model input) that pushed most toward ``topic``."""
        table = self.explain.get(topic, {})
        found = table.keys() & set(words.split())
        return tuple(heapq.nlargest(EXPLAIN_TOP, sorted(found), key=table.__getitem__))


@lru_cache(maxsize=1)
def default_model() -> TopicModel:
    return TopicModel(MODEL_DIR)


def version(directory: Path = MODEL_DIR) -> str:
    """Changes whenever the weights or the calibration change."""
    digest = hashlib.blake2b(digest_size=6)
    for name in (MODEL_NAME, CONFIG_NAME):
        digest.update((directory / name).read_bytes())
    return f"fasttext/{digest.hexdigest()}"
