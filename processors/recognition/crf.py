"""The CRF name tagger at run time: shipped weights, one per language.

A linear-chain CRF (CRFsuite, through ``python-crfsuite``) over the
features of ``features.py``: fast (a few milliseconds of CPU per article)
and small (a few megabytes per language). Each language's weights sit in
``weights/<lang>.crfsuite`` with ``<lang>.json`` (what they were trained
with) and ``<lang>.md`` (the model card); ``train_crf.py`` writes all three.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from processors.enrichment.common_words import common_words
from processors.enrichment.gazetteer import Gazetteer, default_gazetteer
from processors.recognition.features import (
    FEATURES_VERSION,
    Lexicon,
    WordEntry,
    sentence_features,
)
from processors.recognition.lexicons import lexicon
from processors.recognition.merge import Span
from processors.recognition.tokens import Token, sentences, tokenize

WEIGHTS = Path(__file__).with_name("weights")
MAX_CACHED_WORDS = 200_000  # distinct words whose features a loaded tagger keeps
Tagged = list[tuple[list[Token], list[list[str]]]]  # sentences: tokens and their features


def shipped(root: Path = WEIGHTS) -> dict[str, Path]:
    """Language -> its shipped weights."""
    return {path.stem: path for path in sorted(root.glob("*.crfsuite"))}


def listed_tags(text: str, tokens: list[Token], language: str, gazetteer: Gazetteer) -> list[str]:
    """The gazetteer's IOB tag of each token ("" outside a listed name)."""
    tags = [""] * len(tokens)
    i = 0
    for start, end, entry in gazetteer.matches(text, language=language):
        while i < len(tokens) and tokens[i][1] <= start:
            i += 1
        j = i
        while j < len(tokens) and tokens[j][0] < end:
            tags[j] = ("B-" if j == i else "I-") + entry.type
            j += 1
    return tags


def featurise(
    text: str,
    language: str,
    gazetteer: Gazetteer,
    lex: Lexicon,
    cache: dict[str, WordEntry] | None = None,
) -> tuple[Tagged, list[Token]]:
    """The text's sentences with the features of each token, and all its tokens;
    ``cache`` keeps each distinct word's features for the next text."""
    tokens = tokenize(text)
    listed = listed_tags(text, tokens, language, gazetteer)
    lower = frozenset(w for s, e in tokens if (w := text[s:e])[:1].islower())
    common = common_words(language)
    cache = {} if cache is None else cache
    out: Tagged = []
    at = 0
    for sentence in sentences(text, tokens):
        words = [text[s:e] for s, e in sentence]
        tags = listed[at : at + len(sentence)]
        at += len(sentence)
        out.append((sentence, sentence_features(words, tags, common, lex, lower, cache)))
    return out, tokens


def to_spans(tokens: Sequence[Token], tags: Sequence[str]) -> list[Span]:
    """IOB2 tags over tokens as name spans (a stray ``I-`` starts a name)."""
    out: list[Span] = []
    current: list[Any] = []
    for (start, end), tag in zip(tokens, tags, strict=True):
        if tag.startswith("I-") and current and current[2] == tag[2:]:
            current[1] = end
            continue
        if current:
            out.append(Span(*current))
            current = []
        if tag != "O":
            current = [start, end, tag[2:]]
    if current:
        out.append(Span(*current))
    return out


@dataclass(frozen=True, eq=False)  # one per loaded model: hashed by identity
class CrfRecogniser:
    """A language's CRF weights, loaded, with what its features need."""

    language: str
    model_version: str
    tagger: Any  # pycrfsuite.Tagger
    lexicon: Lexicon
    words: dict[str, WordEntry] = field(default_factory=dict)  # features of words seen

    @property
    def source(self) -> str:
        """The ``Entity.source`` of what this model finds."""
        return f"crf:{self.language}-{self.model_version}"

    @property
    def version(self) -> str:
        """The ``versions["recognition"]`` of an article this model read."""
        return f"crf/{self.language}-{self.model_version}"

    def spans(self, texts: Sequence[str]) -> list[list[Span]]:
        """Name spans of each text, typed with the contract's types."""
        gazetteer = default_gazetteer()
        if len(self.words) > MAX_CACHED_WORDS:
            self.words.clear()
        out = []
        for text in texts:
            found: list[Span] = []
            tagged, _ = featurise(text, self.language, gazetteer, self.lexicon, self.words)
            for sentence, features in tagged:
                found += to_spans(sentence, self.tagger.tag(features))
            out.append(found)
        return out


def load(language: str, path: Path | None = None) -> CrfRecogniser:
    """The shipped weights of ``language`` (or ``path``), with its lexicon."""
    import pycrfsuite

    path = path or WEIGHTS / f"{language}.crfsuite"
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    if meta.get("features") != FEATURES_VERSION:
        raise OSError(
            f"{path} was trained with features {meta.get('features')!r}, "
            f"this code computes {FEATURES_VERSION!r}: retrain it"
        )
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    lex = lexicon(language) if meta.get("lexicon") else {}
    return CrfRecogniser(language, meta["version"], tagger, lex)
