"""Quality of enrichment on public annotated newswire, then on the project's own sets.

    python benchmarks/enrichment_quality.py [--data DIR] [--lang en ...]

With ``--data`` (the annotated-data directory, see ``processors/recognition/conll.py``)
it first scores the entity layer on the development splits (``*.testa``):
exact span and type, PER/ORG/LOC, per type and micro-averaged, for the fast
path alone and for the complete enrichment (``enrich_article``: fast path and
statistical names merged), with the most frequent false positives and misses.
Then, labelled as the project's own template-built sets, the ``seeds/eval``
tables: language accuracy on full articles and on titles alone; entity
precision/recall/F1 by type for nl and en with recall split into names the
gazetteer lists and names it does not; topic accuracy. Deterministic.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import results  # noqa: E402

from processors.enrichment import language as lang_step  # noqa: E402
from processors.enrichment.gazetteer import default_gazetteer  # noqa: E402
from processors.enrichment.pipeline import enrich  # noqa: E402
from processors.enrichment.samples import make_article  # noqa: E402
from processors.recognition import conll, scoring  # noqa: E402
from processors.recognition.models import REGISTRY  # noqa: E402
from processors.recognition.recognise import enrich_article  # noqa: E402

EVAL = ROOT / "seeds" / "eval"
TYPES = ("PER", "ORG", "LOC")


def load(name: str) -> list[dict]:
    with open(EVAL / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def fasttext_only(text: str) -> str:
    result = lang_step._fasttext().detect(" ".join(text.split()), model="lite", k=1)
    return str(result[0]["lang"]) if result else "und"


def language_table(items: list[dict]) -> None:
    rows: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        row = rows[item["lang"]]
        row["n"] += 1
        row["full"] += lang_step.detect_language(item["title"], item["text"]).code == item["lang"]
        row["title"] += lang_step.detect_language(item["title"], "").code == item["lang"]
        row["title_ft"] += fasttext_only(item["title"]) == item["lang"]
    print("\nLanguage identification (seeds/eval/language.jsonl)")
    print(f"{'lang':<6}{'n':>4}{'full article':>14}{'title only':>12}{'title, fastText alone':>23}")
    total = Counter()
    for lang, row in sorted(rows.items()):
        total.update(row)
        n = row["n"]
        print(
            f"{lang:<6}{n:>4}{row['full'] / n:>14.1%}{row['title'] / n:>12.1%}"
            f"{row['title_ft'] / n:>23.1%}"
        )
    n = total["n"]
    print(
        f"{'all':<6}{n:>4}{total['full'] / n:>14.1%}{total['title'] / n:>12.1%}"
        f"{total['title_ft'] / n:>23.1%}"
    )


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def entity_table(lang: str, items: list[dict]) -> dict[str, Counter]:
    counts: dict[str, Counter] = {t: Counter() for t in TYPES}
    listed: dict[str, Counter] = defaultdict(Counter)
    errors: Counter = Counter()
    for item in items:
        article = make_article(item["title"], item["text"], url=f"https://eval/{item['id']}")
        enriched = enrich_article(article)
        predicted = {
            (m.field, m.start, m.end, e.type)
            for e in enriched.entities
            for m in e.mentions
            if e.type in TYPES
        }
        gold = {(g["field"], g["start"], g["end"], g["type"]) for g in item["entities"]}
        for key in predicted & gold:
            counts[key[3]]["tp"] += 1
        for key in predicted - gold:
            counts[key[3]]["fp"] += 1
            source = item[key[0]]
            errors[f"FP {key[3]} {source[key[1] : key[2]]!r}"] += 1
        for key in gold - predicted:
            counts[key[3]]["fn"] += 1
        for g in item["entities"]:
            hit = (g["field"], g["start"], g["end"], g["type"]) in predicted
            flag = {True: "listed", False: "unlisted", None: "fixed"}[g["listed"]]
            listed[flag]["n"] += 1
            listed[flag]["hit"] += hit
            if not hit and g["listed"]:
                errors[f"FN {g['type']} {g['text']!r}"] += 1
    print(
        f"\nEntities, {lang} (seeds/eval/entities_{lang}.jsonl, {len(items)} articles; "
        "exact span and type)"
    )
    print(f"{'type':<6}{'gold':>6}{'pred':>6}{'P':>8}{'R':>8}{'F1':>8}")
    total = Counter()
    for t in TYPES:
        c = counts[t]
        total.update(c)
        p, r, f = _prf(c["tp"], c["fp"], c["fn"])
        print(f"{t:<6}{c['tp'] + c['fn']:>6}{c['tp'] + c['fp']:>6}{p:>8.1%}{r:>8.1%}{f:>8.1%}")
    p, r, f = _prf(total["tp"], total["fp"], total["fn"])
    print(
        f"{'all':<6}{total['tp'] + total['fn']:>6}{total['tp'] + total['fp']:>6}"
        f"{p:>8.1%}{r:>8.1%}{f:>8.1%}"
    )
    parts = ", ".join(f"{k} {v['hit'] / v['n']:.1%} of {v['n']}" for k, v in sorted(listed.items()))
    print(f"recall by gold kind: {parts}")
    if errors:
        print(
            "most frequent errors on listed names / false positives:",
            "; ".join(f"{k} x{v}" for k, v in errors.most_common(6)),
        )
    return counts


def topic_table(title: str, items: list[dict]) -> None:
    rows: dict[str, Counter] = defaultdict(Counter)
    for item in items:
        enriched = enrich(make_article(item["title"], item["text"], url=f"https://e/{item['id']}"))
        labels = [t.label for t in enriched.topics]
        row = rows[item["lang"]]
        row["n"] += 1
        row["top"] += bool(labels) and labels[0] == item["topic"]
        row["among"] += item["topic"] in labels
        row["none"] += not labels
    print(f"\nTopics ({title})")
    print(f"{'lang':<6}{'n':>4}{'top label':>11}{'among returned':>16}{'no topic':>10}")
    total = Counter()
    for lang, row in sorted(rows.items()):
        total.update(row)
        n = row["n"]
        print(
            f"{lang:<6}{n:>4}{row['top'] / n:>11.1%}{row['among'] / n:>16.1%}"
            f"{row['none'] / n:>10.1%}"
        )
    n = total["n"]
    print(
        f"{'all':<6}{n:>4}{total['top'] / n:>11.1%}{total['among'] / n:>16.1%}"
        f"{total['none'] / n:>10.1%}"
    )


def predicted_spans(enriched) -> list[tuple[int, int, str]]:
    return [
        (m.start, m.end, e.type) for e in enriched.entities for m in e.mentions if m.field == "text"
    ]


def public_table(lang: str, data: Path, top: int) -> dict:
    """Exact-span scores on a development split, fast path alone and complete."""
    path = conll.data_file(data, lang, "dev")
    golds = conll.gold_docs(path)
    articles = [
        make_article("", g.text, url=f"https://conll/{lang}/{i}", hint=lang)
        for i, g in enumerate(golds)
    ]
    runs = {"fast path": enrich}
    if lang in REGISTRY:
        runs["complete (fast path + model)"] = enrich_article
    print(
        f"\nEntities on public annotated text, {lang}: {path.name} (development split, "
        f"{len(golds)} texts of up to {conll.SENTENCES_PER_DOC} sentences, "
        f"{sum(len(g.spans) for g in golds)} gold names incl. MISC)"
    )
    print(f"{'layer':<30}{'type':<7}{'gold':>6}{'pred':>6}{'P':>8}{'R':>8}{'F1':>8}")
    figures: dict = {"split": path.name, "texts": len(golds), "layers": {}}
    for label, run in runs.items():
        started = time.process_time()
        enriched = [run(a) for a in articles]
        seconds = time.process_time() - started
        wrong_language = sum(r.language.code != lang for r in enriched)
        score = scoring.score(golds, [predicted_spans(r) for r in enriched])
        layer = "complete" if run is enrich_article else "fast path"
        figures["layers"][layer] = {
            kind: {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}
            for kind, (p, r, f) in score.table().items()
        }
        for kind, (p, r, f) in score.table().items():
            gold = (
                sum(score.tp.values()) + sum(score.fn.values())
                if kind == "micro"
                else (score.tp[kind] + score.fn[kind])
            )
            pred = (
                sum(score.tp.values()) + sum(score.fp.values())
                if kind == "micro"
                else (score.tp[kind] + score.fp[kind])
            )
            print(f"{label:<30}{kind:<7}{gold:>6}{pred:>6}{p:>8.1%}{r:>8.1%}{f:>8.1%}")
        print(
            f"{'':<30}({seconds:.1f} s CPU; language detected other than {lang}: "
            f"{wrong_language} of {len(enriched)})"
        )
        if run is enrich_article or len(runs) == 1:
            fps = ", ".join(
                f"{t!r} {k} x{n}" for (t, k), n in score.false_positives.most_common(top)
            )
            misses = ", ".join(f"{t!r} {k} x{n}" for (t, k), n in score.misses.most_common(top))
            print(f"top false positives: {fps}")
            print(f"top misses: {misses}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="annotated-data directory (development splits)")
    parser.add_argument("--lang", action="append", choices=sorted(conll.FILES))
    parser.add_argument("--top", type=int, default=12, help="false positives/misses shown")
    parser.add_argument(
        "--public-only", action="store_true", help="skip the project's own template sets"
    )
    args = parser.parse_args()
    load_avg = results.load_start()
    gazetteer = default_gazetteer()
    print(f"gazetteer: {len(gazetteer.entries)} entities, {gazetteer.size} surface forms")
    if args.data is None:
        print("\nPublic annotated text: not scored (pass --data DIR, the annotated-data directory)")
    else:
        print("\n== Public annotated text (development splits) ==")
        public = {
            lang: public_table(lang, args.data, args.top) for lang in args.lang or conll.FILES
        }
        results.write("enrichment_quality", {"public": public}, started_load=load_avg)
    if args.public_only:
        return
    print(
        "\n== The project's own sets (seeds/eval; template-built from the gazetteer's "
        "name pools, so listed names are easy) =="
    )
    language_items = load("language.jsonl")
    language_table(language_items)
    for lang in ("nl", "en"):
        entity_table(lang, load(f"entities_{lang}.jsonl"))
    topic_table(
        "seeds/eval/language.jsonl: hand-written, 12 languages; keyword lists for "
        "nl en de fr es it pt, all lists together for the others",
        language_items,
    )
    topic_table(
        "seeds/eval/entities_*.jsonl: template-built",
        load("entities_nl.jsonl") + load("entities_en.jsonl"),
    )


if __name__ == "__main__":
    main()
