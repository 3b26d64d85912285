"""Exact-span scoring of predicted names against annotated ones (pure).

A predicted name counts only when its start, end and type all equal a gold
name's. Scored types are PER, ORG and LOC (the types the service uses);
MISC is left out on both sides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from processors.recognition.conll import GoldDoc

TYPES = ("PER", "ORG", "LOC")
Triple = tuple[int, int, str]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class Score:
    """Counts per type plus the most frequent false positives and misses."""

    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    false_positives: Counter = field(default_factory=Counter)  # (text, type) -> count
    misses: Counter = field(default_factory=Counter)

    def per_type(self, kind: str) -> tuple[float, float, float]:
        return prf(self.tp[kind], self.fp[kind], self.fn[kind])

    def micro(self) -> tuple[float, float, float]:
        return prf(sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values()))

    def table(self) -> dict[str, tuple[float, float, float]]:
        """``{"micro": (p, r, f), "PER": ..., "ORG": ..., "LOC": ...}``."""
        return {"micro": self.micro(), **{kind: self.per_type(kind) for kind in TYPES}}


def score(golds: Sequence[GoldDoc], predicted: Iterable[Iterable[Triple]]) -> Score:
    """Score each document's predicted (start, end, type) names against its gold ones."""
    result = Score()
    for gold, spans in zip(golds, predicted, strict=True):
        want = {s for s in gold.spans if s[2] in TYPES}
        got = {s for s in spans if s[2] in TYPES}
        for s in want & got:
            result.tp[s[2]] += 1
        for s in got - want:
            result.fp[s[2]] += 1
            result.false_positives[(gold.text[s[0] : s[1]], s[2])] += 1
        for s in want - got:
            result.fn[s[2]] += 1
            result.misses[(gold.text[s[0] : s[1]], s[2])] += 1
    return result
