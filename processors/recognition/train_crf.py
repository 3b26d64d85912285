"""Train a language's CRF name tagger from annotated text: one command.

    python -m processors.recognition.train_crf --data DIR [--lang de ...]
                                               [--c1 0.05] [--c2 0.05] [--iterations 100]

``DIR`` is the annotated-data directory (``conll.FILES`` names its files:
the CoNLL-2002/2003 newswire at the top, the other languages in one folder
each). Each language is trained on its training files with CRFsuite's
L-BFGS (elastic-net: ``c1`` L1, ``c2`` L2), with the installed lexicon of
that language as features (``lexicons.py``; training refuses to run without
it, so the weights never expect features that were not there). Written to
``weights/<lang>.crfsuite`` with ``<lang>.json`` (the settings) and the
model card ``<lang>.md``: data and licence terms, development-split scores
per type of the tagger alone and of the complete enrichment
(``recognise.enrich_article``), CPU per article, size. One thread.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from contract.ids import article_id
from contract.records import Article, Source
from processors.enrichment.common_words import common_words
from processors.enrichment.gazetteer import default_gazetteer
from processors.recognition import conll, scoring
from processors.recognition.crf import WEIGHTS, featurise, load
from processors.recognition.features import FEATURES_VERSION
from processors.recognition.lexicons import NAMES, lexicon
from processors.recognition.tokens import Token

VERSION = "1.0.0"
# Silver WikiANN "sentences" are mostly titles and list items: on them a German
# tagger learns that any capitalised noun is a name. Only its running
# sentences are used (GermEval development F1 0.51 -> 0.53).
FULL_SENTENCES_ONLY = {"de": ("wikiann.train.tsv",)}
TYPES = ("PER", "ORG", "LOC")


def labels(tokens: list[Token], spans: tuple[tuple[int, int, str], ...]) -> list[str]:
    """IOB2 tags of ``tokens`` from gold character spans."""
    tags = ["O"] * len(tokens)
    i = 0
    for start, end, kind in sorted(spans):
        while i < len(tokens) and tokens[i][0] < start:
            i += 1
        j = i
        while j < len(tokens) and tokens[j][1] <= end:
            tags[j] = ("B-" if j == i else "I-") + kind
            j += 1
    return tags


def full_sentence(sentence: conll.Sentence) -> bool:
    """At least six tokens, ending in . ! or ?: running text, not a title."""
    return len(sentence) >= 6 and sentence[-1][0] in (".", "!", "?")


def training_docs(path: Path, full_sentences: bool = False) -> list[conll.GoldDoc]:
    """``path``'s texts with their names; only its full sentences if asked."""
    if not full_sentences:
        return conll.gold_docs(path)
    documents = [[s for s in d if full_sentence(s)] for d in conll.read_documents(path)]
    return [conll.gold_doc(chunk) for chunk in conll.chunks([d for d in documents if d])]


def train(data: Path, language: str, c1: float, c2: float, iterations: int, out: Path) -> dict:
    """Train ``language`` and write its weights and settings; the settings."""
    import pycrfsuite

    lex = lexicon(language)
    if language in NAMES and not lex:
        raise SystemExit(f"{language}: install its lexicon first ({NAMES[language]})")
    common_words(language)
    gazetteer = default_gazetteer()
    trainer = pycrfsuite.Trainer(verbose=False)
    tokens_seen = 0
    started = time.process_time()
    for path in conll.data_files(data, language, "train"):
        for gold in training_docs(
            path, full_sentences=path.name in FULL_SENTENCES_ONLY.get(language, ())
        ):
            tagged, tokens = featurise(gold.text, language, gazetteer, lex)
            tags = labels(tokens, gold.spans)
            at = 0
            for sentence, features in tagged:
                trainer.append(features, tags[at : at + len(sentence)])
                at += len(sentence)
            tokens_seen += len(tokens)
    trainer.set_params(
        {"c1": c1, "c2": c2, "max_iterations": iterations, "feature.possible_transitions": True}
    )
    out.mkdir(parents=True, exist_ok=True)
    weights = out / f"{language}.crfsuite"
    trainer.train(str(weights))
    settings = {
        "language": language,
        "version": VERSION,
        "features": FEATURES_VERSION,
        "lexicon": NAMES.get(language, ""),
        "training_files": list(conll.FILES[language][0]),
        "development_file": conll.FILES[language][1],
        "tokens": tokens_seen,
        "c1": c1,
        "c2": c2,
        "iterations": iterations,
        "cpu_seconds": round(time.process_time() - started),
    }
    weights.with_suffix(".json").write_text(json.dumps(settings, indent=2) + "\n")
    return settings


def article(text: str, language: str, number: int) -> Article:
    """A development text as an article with no title, in ``language``."""
    url = f"https://annotated.example/{language}/{number}"
    return Article(
        id=article_id(url),
        url=url,
        title="",
        text=text,
        published="",
        source=Source("annotated", "https://annotated.example/"),
        fetched_at="",
        language_hint=language,
    )


def dev_scores(data: Path, language: str, weights: Path) -> dict:
    """Development-split scores of the tagger alone and of the complete
    enrichment, and the tagger's CPU per 3,000 characters."""
    from processors.enrichment.pipeline import enrich
    from processors.recognition.recognise import recognise

    recogniser = load(language, weights)
    golds = conll.gold_docs(conll.data_file(data, language, "dev"))
    started = time.process_time()
    found = recogniser.spans([g.text for g in golds])
    cpu = time.process_time() - started
    alone = scoring.score(golds, [[(s.start, s.end, s.type) for s in f] for f in found])
    complete = []
    for i, gold in enumerate(golds):
        [enriched] = recognise(recogniser, [enrich(article(gold.text, language, i))])
        complete.append(
            [
                (m.start, m.end, e.type)
                for e in enriched.entities
                for m in e.mentions
                if m.field == "text"
            ]
        )
    chars = sum(len(g.text) for g in golds)
    return {
        "alone": alone.table(),
        "complete": scoring.score(golds, complete).table(),
        "ms_per_3000_chars": cpu / chars * 3000 * 1000,
        "texts": len(golds),
    }


def card(language: str, settings: dict, scores: dict, size: int) -> str:
    """The model card of ``language``'s weights."""

    def table(result: dict) -> str:
        rows = "\n".join(
            f"| {kind} | {p * 100:.1f} | {r * 100:.1f} | {f * 100:.1f} |"
            for kind, (p, r, f) in result.items()
        )
        return f"| type | P | R | F1 |\n| --- | --- | --- | --- |\n{rows}\n"

    counts = Counter(settings["training_files"])
    files = ", ".join(f"`{f}`" + (f" (weighted {n}x)" if n > 1 else "") for f, n in counts.items())
    lexicon_line = (
        f"Lexicon features: {settings['lexicon']}, installed separately ({LEXICON_TERMS}); "
        "the weights hold what each lexicon feature is worth, not the lexicon."
        if settings["lexicon"]
        else "No lexicon: the features are computed from the text and "
        "the project's own gazetteer and common-word lists."
    )
    return f"""# CRF name tagger, {language}

A linear-chain CRF (CRFsuite via python-crfsuite) that tags person (PER),
organisation (ORG), location (LOC) and, where the data has them, other
(MISC) names in {language} text. Features: `features.py` (version
{settings["features"]}): word, shape, affixes, capitalisation, the
gazetteer's reading, common words, a window of two words each side.
{lexicon_line}

Weights `{language}.crfsuite`: {size / 1e6:.1f} MB. Version {settings["version"]}.

## Data and licence terms

Trained on {files} ({settings["tokens"]:,} tokens); tuned on
`{settings["development_file"]}`.

{DATA_TERMS[language]}

The annotated files are not part of the project.

## Command

    python -m processors.recognition.train_crf --data DIR --lang {language} \\
        --c1 {settings["c1"]} --c2 {settings["c2"]} --iterations {settings["iterations"]}

({settings["cpu_seconds"]} s of CPU on one thread.)

## Development-split scores

`{settings["development_file"]}`, {scores["texts"]} texts of up to
{conll.SENTENCES_PER_DOC} sentences; exact span and type, PER/ORG/LOC.

The complete enrichment (`processors.recognition.recognise.enrich_article`:
fast path, this tagger, the merge):

{table(scores["complete"])}
The tagger alone:

{table(scores["alone"])}
Speed: {scores["ms_per_3000_chars"]:.1f} ms of CPU per 3,000 characters for the
tagger (tokens, features, gazetteer reading, tagging), one thread;
`benchmarks/recognition_speed.py` measures the stage.
"""


LEXICON_TERMS = "GPL-3+; not part of the project"
RESEARCH = "distributed by its organisers for research use only"
DATA_TERMS = {
    "en": "CoNLL-2003 English (Reuters RCV1 newswire, 1996): the text belongs to Reuters and "
    "is used under the Reuters Corpus agreement, for **research only**. The weights "
    "contain no text, but whoever redistributes them should respect those terms.",
    "nl": f"CoNLL-2002 Dutch (De Morgen, 2000), {RESEARCH}.",
    "es": f"CoNLL-2002 Spanish (EFE news agency, 2000), {RESEARCH}.",
    "de": "German Europarl NER (Faruqui and Padó 2010; no licence stated in the copy used) "
    "and German WikiANN (Pan et al. 2017, silver labels; its authors state no licence, "
    "the copy used comes from a repository whose licence is CC BY-NC-SA 4.0, "
    "**non-commercial**). Development: GermEval 2014 (CC BY 4.0).",
    "it": "KIND Wikinews (Paccosi and Palmero Aprosio 2022): annotations CC BY-NC 4.0, "
    "**non-commercial**; text CC BY 2.5. EVALITA 2009 NER on I-CAB (Speranza 2009): "
    "free for **research only**, on acceptance of a licence agreement.",
    "pt": "Universal NER v1 on UD Portuguese Bosque (Mayhew et al. 2024): CC BY-SA 4.0.",
    "fr": "French WikiANN (Pan et al. 2017, silver labels: annotated automatically from "
    "Wikipedia links): no licence stated by its authors. Europeana Newspapers French NER "
    "(Neudecker 2016; OCR of Bibliothèque nationale de France newspapers 1870-1939, "
    "annotated by hand on noisy text): CC0.",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="annotated-data directory")
    parser.add_argument("--lang", action="append", choices=sorted(conll.FILES))
    parser.add_argument("--c1", type=float, default=0.05)
    parser.add_argument("--c2", type=float, default=0.05)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    for language in args.lang or sorted(conll.FILES):
        settings = train(args.data, language, args.c1, args.c2, args.iterations, args.out)
        weights = args.out / f"{language}.crfsuite"
        scores = dev_scores(args.data, language, weights)
        text = card(language, settings, scores, weights.stat().st_size)
        weights.with_suffix(".md").write_text(text, encoding="utf-8")
        f1 = scores["complete"]["micro"][2]
        print(
            f"{language}: {weights} ({weights.stat().st_size / 1e6:.1f} MB), "
            f"development F1 (complete) {f1:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
