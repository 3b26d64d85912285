"""Train the packaged name recogniser from annotated newswire: one command.

    python -m processors.recognition.train --data DIR [--lang en ...] [--out DIR]

One NER-only pipeline (``ner.cfg``: its own hashed-feature CNN embedding, no
downloaded vectors) is trained on the CoNLL training splits of all the given
languages together (default: English, Dutch and Spanish), with their
development splits (``testa``) for early stopping. Names look alike across
these languages and each split is small, so the shared model recognises each
language better than one trained on that language alone. It reads every
language with spaCy's language-neutral ("xx") tokenizer, in training and at
run time alike (on the development splits, swapping in each language's own
tokenizer at run time scored lower in every language). The best
pipeline is copied to ``--out/<name>`` (default: ``pipelines/multi``) with a
model card. Intermediate files go to ``--work`` (default ``build/ner``,
ignored by git). Training uses one thread.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from processors.recognition import conll

CONFIG = Path(__file__).with_name("ner.cfg")
PIPELINES = Path(__file__).with_name("pipelines")
WORK = Path("build/ner")
NAME = "multi"
MULTI_LANG = "xx"  # spaCy's language-neutral tokenizer, for every language
# The files a loaded pipeline needs; the trainer's extras stay behind.
KEEP = ("config.cfg", "meta.json", "tokenizer", "vocab", "ner", "tok2vec")

log = logging.getLogger(__name__)

LICENCES = {
    "en": (
        "CoNLL-2003 English (Reuters RCV1 newswire, 1996). The text belongs to Reuters "
        "and is used under the Reuters Corpus agreement (research use). The weights "
        "contain no text, but users redistributing them should respect those terms."
    ),
    "nl": (
        "CoNLL-2002 Dutch (De Morgen, 2000), distributed by the CoNLL-2002 organisers "
        "for research use."
    ),
    "es": (
        "CoNLL-2002 Spanish (EFE news agency, 2000), distributed by the CoNLL-2002 "
        "organisers for research use."
    ),
}


def add_docs(path: Path, language: str, docbin: Any) -> int:
    """Add ``path`` (CoNLL) to ``docbin`` as spaCy docs with their names,
    tokenised by ``language``'s tokenizer; the number of docs added."""
    import spacy

    nlp = spacy.blank(language)
    golds = conll.gold_docs(path)
    for gold in golds:
        doc = nlp.make_doc(gold.text)
        ents = []
        for start, end, label in gold.spans:
            span = doc.char_span(start, end, label=label)
            if span is None:
                raise ValueError(f"{path}: name {gold.text[start:end]!r} splits a token")
            ents.append(span)
        doc.ents = ents
        docbin.add(doc)
    return len(golds)


def train_joint(
    data: Path, languages: Sequence[str], name: str, out: Path, work: Path, overrides: dict
) -> Path:
    """Train one pipeline on all ``languages``; the directory of the installed pipeline."""
    from spacy.cli.train import train
    from spacy.tokens import DocBin

    work = work / name
    work.mkdir(parents=True, exist_ok=True)
    train_bin, dev_bin = DocBin(), DocBin()
    for language in languages:
        for split, docbin in (("train", train_bin), ("dev", dev_bin)):
            n = add_docs(conll.data_file(data, language, split), language, docbin)
            log.info("%s: %d %s docs", language, n, split)
    train_path, dev_path = work / "train.spacy", work / "dev.spacy"
    train_bin.to_disk(train_path)
    dev_bin.to_disk(dev_path)
    settings = {
        "nlp.lang": MULTI_LANG,
        "paths.train": str(train_path),
        "paths.dev": str(dev_path),
        **overrides,
    }
    started = time.monotonic()
    train(CONFIG, work / "output", overrides=settings, use_gpu=-1)
    return install(
        work / "output" / "model-best",
        data,
        languages,
        name,
        out,
        overrides,
        time.monotonic() - started,
    )


def install(
    best: Path,
    data: Path,
    languages: Sequence[str],
    name: str,
    out: Path,
    overrides: dict,
    seconds: float,
) -> Path:
    """Copy a trained pipeline to ``out/<name>`` with its model card."""
    target = out / name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for item in KEEP:
        source = best / item
        if source.is_dir():
            shutil.copytree(source, target / item)
        elif source.exists():
            shutil.copy2(source, target / item)
    meta = json.loads((target / "meta.json").read_text())
    meta.update(name=f"newsstream_ner_{name}", version="2.0.0", languages=list(languages))
    meta.pop("performance", None)  # spaCy's figures include MISC; the card has ours
    (target / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    write_card(target, data, languages, name, meta, overrides, seconds)
    return target


def write_card(
    target: Path,
    data: Path,
    languages: Sequence[str],
    name: str,
    meta: dict,
    overrides: dict,
    seconds: float,
) -> None:
    """The model card: data, licence, the command, development-split scores."""
    from processors.recognition import scoring
    from processors.recognition.models import load

    nlp = load(target).nlp
    tables = []
    for language in languages:
        golds = conll.gold_docs(conll.data_file(data, language, "dev"))
        predicted = [
            [(e.start_char, e.end_char, e.label_) for e in doc.ents]
            for doc in nlp.pipe(g.text for g in golds)
        ]
        dev = scoring.score(golds, predicted).table()
        rows = "\n".join(
            f"| {kind} | {p * 100:.1f} | {r * 100:.1f} | {f * 100:.1f} |"
            for kind, (p, r, f) in dev.items()
        )
        tables.append(
            f"### {language}: `{conll.FILES[language][1]}`\n\n| type | P | R | F1 |\n"
            f"| --- | --- | --- | --- |\n{rows}\n"
        )
    embed = nlp.config["components"]["tok2vec"]["model"]["embed"]
    encode = nlp.config["components"]["tok2vec"]["model"]["encode"]
    architecture = (
        f"its own CNN embedding (hashed {', '.join(embed['attrs'])} features, width "
        f"{encode['width']}, depth {encode['depth']})"
    )
    options = " ".join(
        shlex.quote(f"{k}={json.dumps(v, separators=(',', ':'))}") for k, v in overrides.items()
    )
    langs = " ".join(f"--lang {language}" for language in languages)
    size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    duration = f"(about {seconds / 60:.0f} minutes on one thread.)" if seconds else ""
    data_lines = "\n".join(
        f"- {language}: `{conll.FILES[language][0]}`, tuned on `{conll.FILES[language][1]}`: "
        f"{LICENCES[language]}"
        for language in languages
    )
    card = f"""# newsstream_ner_{name}

A spaCy {meta.get("spacy_version", "")} pipeline that recognises person (PER),
organisation (ORG), location (LOC) and other (MISC) names in news text in
{", ".join(repr(x) for x in languages)}: one model trained on all of them
together, reading them all with spaCy's language-neutral tokenizer.
NER only: {architecture}, no pretrained or downloaded vectors.
{size / 1e6:.1f} MB on disk.

## Data and licence terms

{data_lines}

The annotated files are not part of the project.

## Command

    python -m processors.recognition.train --data DIR {langs} {options}

{duration}

## Development-split scores (this model alone)

Exact span and type, PER/ORG/LOC (MISC is recognised but not used by the service).

{chr(10).join(tables)}
The figures of the complete entity layer (this model merged with the
gazetteer) are printed by `benchmarks/enrichment_quality.py --data DIR`.
"""
    (target / "README.md").write_text(card)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="CoNLL data directory")
    parser.add_argument(
        "--lang",
        action="append",
        choices=sorted(conll.FILES),
        help="language to train on (repeatable; default: all)",
    )
    parser.add_argument("--name", default=NAME, help="the installed pipeline's directory name")
    parser.add_argument("--out", type=Path, default=PIPELINES)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument(
        "--installed-from",
        type=Path,
        metavar="MODEL_DIR",
        help="do not train: install MODEL_DIR (the model-best of an earlier "
        "run with the same options) and write its card",
    )
    parser.add_argument("overrides", nargs="*", help="config overrides: section.key=value")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    overrides = {}
    for item in args.overrides:
        key, _, value = item.partition("=")
        try:
            overrides[key.lstrip("-")] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key.lstrip("-")] = value
    languages = args.lang or list(conll.FILES)
    if args.installed_from is not None:
        target = install(
            args.installed_from, args.data, languages, args.name, args.out, overrides, 0
        )
    else:
        target = train_joint(args.data, languages, args.name, args.out, args.work, overrides)
    print(f"{', '.join(languages)}: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
