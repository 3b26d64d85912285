"""Train the topic model: ``python -m processors.classification.train --data DIR``.

Trains fastText's supervised classifier (word n-grams and character n-grams,
one thread and a fixed seed, so the same data gives the same bytes) on the
train split, quantises it, fits the probability temperature and the
thresholds on the dev split and writes the table of words that explain each
topic. Training needs the full fastText bindings (the ``train`` extra); the
project itself runs the result with the predict-only ``fasttext-predict``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from processors.classification import calibration
from processors.classification.data import Item, load_split
from processors.classification.model import (
    CONFIG_NAME,
    LABEL_PREFIX,
    MODEL_DIR,
    MODEL_NAME,
    NO_TOPIC,
)
from processors.classification.text import TRAIN_CHARS, model_input

FULL_ARTICLE_SETS = (
    "bbc",
    "masakhanews_en",
    "masakhanews_fr",
    "10kgnad",
    "fakedes_es",
    "fakebr_pt",
    "ptbrnews_pt",
)
MAX_NO_TOPIC = 0.005  # share of dev full articles the model alone may leave without a topic
MORE_MIN = 0.2  # a second or third topic needs this calibrated probability
EXPLAIN_WORDS = 2000  # words kept per topic for the explanation table
PARAMS: dict[str, Any] = {
    "epoch": 20,
    "lr": 0.5,
    "dim": 40,
    "wordNgrams": 2,
    "minn": 3,
    "maxn": 5,
    "bucket": 2_000_000,
    "loss": "softmax",
}
QUANTISE: dict[str, Any] = {"cutoff": 150_000, "qnorm": True, "retrain": False, "dsub": 2}


def training_lines(sets: dict[str, list[Item]], keep_unmapped: bool, seed: int) -> list[str]:
    """fastText lines, shuffled with ``seed``; unmapped items as the no-topic class or left out."""
    lines = []
    for items in sets.values():
        for item in items:
            if item.topic is None and not keep_unmapped:
                continue
            label = item.topic or NO_TOPIC
            words = model_input(item.title, item.text, TRAIN_CHARS)
            lines.append(f"{LABEL_PREFIX}{label} {words}")
    random.Random(seed).shuffle(lines)
    return lines


def dev_rows(model: Any, sets: dict[str, list[Item]], labels: Sequence[str]):
    """(set name, probabilities in ``labels`` order, right index or -1) per dev item."""
    rows = []
    for name, items in sets.items():
        for item in items:
            got, probs = model.predict(model_input(item.title, item.text), k=-1, threshold=0.0)
            by_label = {g[len(LABEL_PREFIX) :]: float(p) for g, p in zip(got, probs, strict=True)}
            vector = [by_label.get(label, 0.0) for label in labels]
            right = labels.index(item.topic) if item.topic in labels else -1
            rows.append((name, vector, right))
    return rows


def first_min(rows, labels: Sequence[str], temperature: float) -> float:
    """Highest threshold on the first topic that leaves at most MAX_NO_TOPIC of full
    articles without a topic (every item of the dev split's full-article sets)."""
    tops = sorted(
        max(
            p
            for label, p in zip(labels, calibration.scale(v, temperature), strict=True)
            if label != NO_TOPIC
        )
        for name, v, _ in rows
        if name in FULL_ARTICLE_SETS
    )
    if not tops:
        return 0.0
    at = int(MAX_NO_TOPIC * len(tops))
    return round(max(0.0, tops[at] - 1e-4) if at else tops[0] * 0.99, 4)


def explanation_table(model: Any, labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per topic, the words whose vectors push the most toward it against the mean topic."""
    import numpy as np

    out_matrix = np.asarray(model.get_output_matrix(), dtype=np.float64)
    order = [model.labels.index(LABEL_PREFIX + label) for label in labels]
    out_matrix = out_matrix[order]
    centred = out_matrix - out_matrix.mean(axis=0, keepdims=True)
    words, counts = model.get_words(include_freq=True)
    kept = [
        w
        for w, c in zip(words, counts, strict=True)
        if c >= 3 and len(w) > 2 and not w.isdigit() and w != "</s>"
    ]
    vectors = np.stack([model.get_word_vector(w) for w in kept])
    rows_per_word = np.array([len(model.get_subwords(w)[1]) for w in kept], dtype=np.float64)
    scores = (vectors @ centred.T) * rows_per_word[:, None]
    table: dict[str, dict[str, float]] = {}
    for j, label in enumerate(labels):
        if label == NO_TOPIC:
            continue
        best = np.argsort(-scores[:, j], kind="stable")[:EXPLAIN_WORDS]
        table[label] = {kept[i]: round(float(scores[i, j]), 3) for i in best if scores[i, j] > 0}
    return table


def train(
    data: Path,
    out: Path,
    *,
    seed: int = 1,
    keep_unmapped: bool = True,
    quantise: bool = True,
    params: dict[str, Any] | None = None,
    quantise_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train, quantise, calibrate; write the model and its config into ``out``."""
    import fasttext  # type: ignore[import-untyped]  # the full bindings: the train extra

    params = {**PARAMS, **(params or {})}
    qparams = {**QUANTISE, **(quantise_params or {})}
    train_sets, dev_sets = load_split(data, "train"), load_split(data, "dev")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.txt"
        lines = training_lines(train_sets, keep_unmapped, seed)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        model = fasttext.train_supervised(str(path), thread=1, seed=seed, verbose=0, **params)
        labels = sorted(label[len(LABEL_PREFIX) :] for label in model.labels)
        explain = explanation_table(model, labels)
        if quantise:
            model.quantize(input=str(path), thread=1, verbose=0, **qparams)
    model.save_model(str(out / MODEL_NAME))
    rows = dev_rows(model, dev_sets, labels)
    fit_rows = [(v, r) for _, v, r in rows if r >= 0]
    temperature = calibration.fit_temperature(fit_rows)
    examples = Counter(line.split(" ", 1)[0][len(LABEL_PREFIX) :] for line in lines)
    config = {
        "labels": labels,
        "examples": dict(sorted(examples.items())),
        "temperature": temperature,
        "first_min": first_min(rows, labels, temperature),
        "more_min": MORE_MIN,
        "seed": seed,
        "params": params,
        "quantise": qparams if quantise else None,
        "keep_unmapped": keep_unmapped,
        "dev_calibration_error": round(
            calibration.expected_calibration_error(fit_rows, temperature), 4
        ),
        "explain": explain,
    }
    (out / CONFIG_NAME).write_text(
        json.dumps(config, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    return config


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the labelled data directory")
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="where to write the model")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--skip-unmapped",
        action="store_true",
        help="leave out items without a project topic (default: train them as a no-topic class)",
    )
    parser.add_argument("--no-quantise", action="store_true")
    parser.add_argument(
        "--params", default="{}", help="fastText parameters as JSON, over the defaults"
    )
    parser.add_argument("--quantise-params", default="{}", help="quantisation parameters as JSON")
    args = parser.parse_args(argv)
    config = train(
        args.data,
        args.out,
        seed=args.seed,
        keep_unmapped=not args.skip_unmapped,
        quantise=not args.no_quantise,
        params=json.loads(args.params),
        quantise_params=json.loads(args.quantise_params),
    )
    summary = {k: v for k, v in config.items() if k != "explain"}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
