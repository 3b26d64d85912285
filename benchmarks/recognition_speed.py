"""Speed of the statistical recognition stage, in-process and through a real worker.

    python benchmarks/recognition_speed.py [--data DIR] [--lang en ...] [--in-process 200]
                                           [--articles 300] [--workers 1] [--skip-kafka]

Articles are 1,500 to 4,000 characters long, in each language with a model.
With ``--data`` (the annotated-data directory, ``processors/recognition/conll.py``)
they are cut from the real text of the development splits, at sentence boundaries; without it they
are built from the hand-written paragraphs of ``seeds/eval/language.jsonl``
(few, so repeated words flatter the speed). Each is enriched by the fast path
first, as the stage receives it. In-process it reports, per language, CPU
time per article (robust to other load on the machine) and articles/s per
core for the stage (model and merge) by batch size and for the complete
``enrich_article``; and how long the event loop stalls while a batch runs
inline versus on the worker thread the agent uses. Through a worker it
starts a real ``newsstream process --stage recognise`` on the real Kafka
(topics unique to the run, deleted afterwards), produces N enriched articles
of the first language to the enriched topic and times until all N recognised
versions have come back; then it reports the worker's CPU per article and
resident memory, and how many workers would keep up with 300 articles/s.
The in-process figures per language go to ``benchmarks/results/recognition_speed.json``;
"statistical part" is the stage (tagger and merge, batch 16) per 3,000 characters.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import results  # noqa: E402
from procstats import cpu_seconds, memory_kib  # noqa: E402

from contract.records import EnrichedArticle, encode  # noqa: E402
from processors.enrichment.pipeline import enrich, warm_up  # noqa: E402
from processors.enrichment.samples import make_article  # noqa: E402
from processors.recognition import conll  # noqa: E402
from processors.recognition.models import REGISTRY, recogniser_for  # noqa: E402
from processors.recognition.recognise import enrich_article, recognise  # noqa: E402

MIN_CHARS, MAX_CHARS = 1500, 4000
GOAL = 300  # articles/s the whole service must keep up with


def _paragraphs(lang: str, data: Path | None) -> list[str]:
    if data is not None and lang in conll.FILES:
        golds = conll.gold_docs(conll.data_file(data, lang, "dev"))
        return [line for g in golds for line in g.text.split("\n") if len(line) > 40]
    with open(ROOT / "seeds" / "eval" / "language.jsonl", encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh]
    return [i["text"] for i in items if i["lang"] == lang]


def make_articles(lang: str, n: int, data: Path | None, seed: int = 5) -> list[EnrichedArticle]:
    """``n`` articles of 1,500-4,000 characters in ``lang``, fast-path enriched."""
    rng = random.Random(seed)
    paragraphs = _paragraphs(lang, data)
    out = []
    at = rng.randrange(len(paragraphs))
    for i in range(n):
        target = rng.randint(MIN_CHARS, MAX_CHARS)
        parts: list[str] = []
        while sum(len(p) + 1 for p in parts) < target:
            parts.append(paragraphs[at % len(paragraphs)])
            at += 1
        text = " ".join(parts)[:MAX_CHARS]
        article = make_article(
            parts[0][:80], text, url=f"https://bench.example/{lang}/{i}", hint=lang
        )
        out.append(enrich(article))
    return out


async def loop_stall(
    lang: str, articles: list[EnrichedArticle], batch: int, threaded: bool
) -> float:
    """Longest gap (ms) between ticks of a 1 ms timer while batches are recognised."""
    model = recogniser_for(lang)
    loop = asyncio.get_running_loop()
    worst = 0.0
    done = False

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now

    tick = asyncio.create_task(ticker())
    for i in range(0, len(articles), batch):
        chunk = articles[i : i + batch]
        if threaded:
            await loop.run_in_executor(None, recognise, model, chunk)
        else:
            recognise(model, chunk)
        await asyncio.sleep(0)
    done = True
    await tick
    return worst * 1000


def in_process(lang: str, articles: list[EnrichedArticle]) -> dict:
    """CPU articles/s per core of the stage for ``lang``; prints the figures."""
    rss0, _ = memory_kib()
    started = time.perf_counter()
    model = recogniser_for(lang)
    loaded = time.perf_counter() - started
    rss1, _ = memory_kib()
    recognise(model, articles[:8])  # warm
    chars = statistics.mean(len(a.article.text) for a in articles)
    other = sum(a.language.code != lang for a in articles)
    print(
        f"\n{lang}: {model.version}, "
        f"loaded in {loaded:.1f}s, +{(rss1 - rss0) / 1024:.0f} MiB resident"
    )
    print(
        f"in-process, {len(articles)} articles of {chars:.0f} characters on average "
        f"({other} detected as another language, recognised anyway), one thread:"
    )
    best = 0.0
    by_batch: dict[str, float] = {}
    stage_ms = 0.0
    for batch in (1, 16, 64):
        cpu = time.process_time()
        changed = 0
        for i in range(0, len(articles), batch):
            chunk = articles[i : i + batch]
            for before, after in zip(chunk, recognise(model, chunk), strict=True):
                changed += len(after.entities) - len(before.entities)
        cpu = time.process_time() - cpu
        per_s = len(articles) / cpu
        best = max(best, per_s)
        by_batch[str(batch)] = round(per_s, 1)
        if batch == 16:
            stage_ms = cpu / len(articles) * 1000
        print(
            f"  stage, batch {batch:>3}: {per_s:6.1f} articles/s per core "
            f"({cpu / len(articles) * 1000:.1f} ms CPU each), "
            f"{changed / len(articles):+.1f} entities per article"
        )
    cpu = time.process_time()
    for a in articles:
        enrich_article(a.article)
    cpu = time.process_time() - cpu
    print(
        f"  enrich_article (fast path + model, one at a time): {len(articles) / cpu:6.1f} "
        f"articles/s per core ({cpu / len(articles) * 1000:.1f} ms CPU each)"
    )
    _, hwm = memory_kib()
    print(f"  process peak resident memory: {hwm / 1024:.0f} MiB")
    statistical_ms = stage_ms * 3000 / chars
    print(f"  statistical part: {statistical_ms:.1f} ms CPU per 3,000 characters")
    return {
        "articles": len(articles),
        "chars_mean": round(chars),
        "stage_per_s_per_core_by_batch": by_batch,
        "best_per_s_per_core": round(best, 1),
        "enrich_article_per_s_per_core": round(len(articles) / cpu, 1),
        "peak_rss_mib": round(hwm / 1024),
        "model": model.version,
        "stage_ms_per_3000_chars": round(statistical_ms, 2),
    }


def stalls(lang: str, articles: list[EnrichedArticle]) -> None:
    sample = articles[:48]
    for threaded in (False, True):
        stall = asyncio.run(loop_stall(lang, sample, 16, threaded))
        how = "on a worker thread" if threaded else "inline"
        print(f"  event loop's longest stall, batches of 16 {how}: {stall:.0f} ms")


def through_worker(articles: list[EnrichedArticle], log_dir: Path, workers: int = 1) -> dict:
    import contextlib

    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient

    from contract.isolated import isolated_settings
    from contract.kafka_admin import ensure_topics, topic_names
    from newsstream.workers import running_worker

    run = uuid.uuid4().hex[:8]
    settings = isolated_settings(run, log_dir / f"bench{run}", prefix="bench", topic_partitions=4)
    servers = settings.kafka_bootstrap_servers.split(",")
    ensure_topics(settings)
    consumer = KafkaConsumer(
        settings.topic_enriched,
        settings.topic_deadletter,
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
                    running_worker(settings, ("recognise",), log_path=log_dir / f"w{run}-{i}.log")
                )
                for i in range(workers)
            ]
            time.sleep(3 if workers == 1 else 6)  # model load; the group settles
            producer = KafkaProducer(bootstrap_servers=servers, linger_ms=20, acks=1)
            cpu_before = sum(cpu_seconds(p.pid) for p in procs)
            started = time.perf_counter()
            for a in articles:
                producer.send(settings.topic_enriched, key=a.id.encode(), value=encode(a))
            producer.flush()
            recognised: set[bytes] = set()
            parked = 0
            deadline = time.monotonic() + 600
            while len(recognised) + parked < len(articles) and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=500).values():
                    for r in records:
                        if r.topic == settings.topic_deadletter:
                            parked += 1
                        elif b'"recognition":' in r.value:
                            recognised.add(r.key)
            elapsed = time.perf_counter() - started
            cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu_before
            memory = [memory_kib(p.pid) for p in procs]
            producer.close()
    finally:
        consumer.close()
        admin = KafkaAdminClient(bootstrap_servers=servers)
        try:
            admin.delete_topics(topic_names(settings))
        finally:
            admin.close()
    n = len(articles)
    per_s = len(recognised) / elapsed
    print(
        f"through {workers} `newsstream process --stage recognise` worker(s) on the real "
        f"Kafka ({n} articles, 4 partitions):"
    )
    print(
        f"  {len(recognised)} recognised versions back after {elapsed:.1f}s -> "
        f"{per_s:.1f} articles/s; {parked} parked"
    )
    print(
        f"  workers' CPU: {cpu:.1f}s = {cpu / n * 1000:.1f} ms per article -> "
        f"{n / cpu:.1f} articles/s per fully available core"
    )
    for i, (rss, hwm) in enumerate(memory):
        print(f"  worker {i} resident memory: {rss / 1024:.0f} MiB (peak {hwm / 1024:.0f} MiB)")
    print(f"  machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return {  # per core: the wall-clock rate depends on what else the machine runs
        "workers": workers,
        "articles": n,
        "recognised": len(recognised),
        "parked": parked,
        "articles_per_s": round(per_s, 1),
        "worker_cpu_ms_per_article": round(cpu / n * 1000, 2),
        "per_s_per_core": round(n / cpu, 1),
    }


def sizing(per_worker: float) -> None:
    print(
        f"workers to keep up with {GOAL} articles/s at {per_worker:.1f} articles/s "
        "per worker (one core each), every article in a language with a model: "
        f"{math.ceil(GOAL / per_worker)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="annotated-data directory: real text")
    parser.add_argument("--lang", action="append", help="languages (default: every model)")
    parser.add_argument("--articles", type=int, default=300, help="through the worker")
    parser.add_argument("--in-process", type=int, default=200)
    parser.add_argument("--skip-kafka", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="recognise workers in one group")
    args = parser.parse_args()
    load = results.load_start()
    print(f"registry: {REGISTRY}")
    warm_up()
    languages = args.lang or list(REGISTRY)
    per_worker = 0.0
    figures: dict = {"real_newswire": args.data is not None, "languages": {}}
    for lang in languages:
        articles = make_articles(lang, args.in_process, args.data)
        figures["languages"][lang] = in_process(lang, articles)
        per_worker = per_worker or figures["languages"][lang]["best_per_s_per_core"]
        if lang == languages[0]:
            stalls(lang, articles)
    if not args.skip_kafka:
        articles = make_articles(languages[0], args.articles, args.data, seed=7)
        with tempfile.TemporaryDirectory() as tmp:
            figures["kafka"] = through_worker(articles, Path(tmp), args.workers)
            figures["kafka"]["language"] = languages[0]
            per_worker = figures["kafka"]["per_s_per_core"]
    sizing(per_worker)
    print("\nstatistical part per 3,000-character article (tagger + merge, batch 16), CPU:")
    for lang, row in figures["languages"].items():
        print(f"  {lang}: {row['stage_ms_per_3000_chars']:5.1f} ms")
    results.write("recognition_speed", figures, started_load=load)


if __name__ == "__main__":
    main()
