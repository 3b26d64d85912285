"""Speed of the statistical recognition stage, in-process and through a real worker.

    python benchmarks/recognition_speed.py [--articles 300] [--in-process 200] [--workers 1]
                                           [--skip-kafka]

Articles are French (the one language with a model in the registry), about
400 words each, built from the hand-written French paragraphs of
``seeds/eval/language.jsonl`` (shuffled per article) and enriched by the
fast path first, as the stage receives them. In-process it reports the
model's articles/s by batch size and how long the event loop stalls while a
batch runs inline versus on the worker thread the agent uses. Through a
worker it starts a real ``newsstream process --stage recognise`` on the real
Kafka (topics unique to the run, deleted afterwards), produces N enriched
articles to the enriched topic and times until all N recognised versions
have come back; then it reports the worker's CPU per article and resident
memory, and how many workers would keep up with 300 articles/s.
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

from procstats import cpu_seconds, memory_kib  # noqa: E402

from newsstream.contract.records import EnrichedArticle, encode  # noqa: E402
from processors.enrichment.pipeline import enrich, warm_up  # noqa: E402
from processors.recognition.models import REGISTRY, recogniser_for  # noqa: E402
from processors.recognition.recognise import recognise  # noqa: E402
from tests.processors.enrichment.conftest import make_article  # noqa: E402

TARGET_WORDS = 400
GOAL = 300  # articles/s the whole service must keep up with
# Share of French articles assumed: 3 of the 17 feeds in seeds/feeds/starter.yaml.
FRENCH_SHARE = 3 / 17


def french_articles(n: int, seed: int = 5) -> list[EnrichedArticle]:
    """``n`` French articles of about :data:`TARGET_WORDS` words, fast-path enriched."""
    rng = random.Random(seed)
    with open(ROOT / "seeds" / "eval" / "language.jsonl", encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if '"lang": "fr"' in line]
    out = []
    for i in range(n):
        paragraphs: list[str] = []
        while sum(len(p.split()) for p in paragraphs) < TARGET_WORDS:
            paragraphs.append(rng.choice(items)["text"])
        article = make_article(rng.choice(items)["title"], "\n\n".join(paragraphs),
                               url=f"https://bench.example/fr/{i}")
        out.append(enrich(article))
    assert all(a.language.code == "fr" for a in out)
    return out


async def loop_stall(articles: list[EnrichedArticle], batch: int, threaded: bool) -> float:
    """Longest gap (ms) between ticks of a 1 ms timer while batches are recognised."""
    model = recogniser_for("fr")
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


def in_process(articles: list[EnrichedArticle]) -> float:
    rss0, _ = memory_kib()
    started = time.perf_counter()
    model = recogniser_for("fr")
    loaded = time.perf_counter() - started
    rss1, _ = memory_kib()
    recognise(model, articles[:8])  # warm
    words = statistics.mean(len(a.article.text.split()) for a in articles)
    print(f"model: {model.version} ({', '.join(model.nlp.pipe_names)} only), "
          f"loaded in {loaded:.1f}s, +{(rss1 - rss0) / 1024:.0f} MiB resident")
    print(f"in-process, {len(articles)} French articles of {words:.0f} words, one thread:")
    best = 0.0
    for batch in (1, 16, 64):
        started = time.perf_counter()
        added = 0
        for i in range(0, len(articles), batch):
            chunk = articles[i : i + batch]
            for before, after in zip(chunk, recognise(model, chunk), strict=True):
                added += len(after.entities) - len(before.entities)
        elapsed = time.perf_counter() - started
        per_s = len(articles) / elapsed
        best = max(best, per_s)
        print(f"  batch {batch:>3}: {per_s:6.1f} articles/s ({elapsed / len(articles) * 1000:.1f} "
              f"ms each), {added / len(articles):.1f} names added per article")
    _, hwm = memory_kib()
    print(f"  process peak resident memory: {hwm / 1024:.0f} MiB")
    sample = articles[:48]
    for threaded in (False, True):
        stall = asyncio.run(loop_stall(sample, 16, threaded))
        how = "on a worker thread" if threaded else "inline"
        print(f"  event loop's longest stall, batches of 16 {how}: {stall:.0f} ms")
    return best


def through_worker(articles: list[EnrichedArticle], log_dir: Path, workers: int = 1) -> float:
    import contextlib

    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient

    from newsstream.kafka_admin import ensure_topics, topic_names
    from tests.conftest import isolated_settings
    from tests.workers import running_worker

    run = uuid.uuid4().hex[:8]
    settings = isolated_settings(
        run, log_dir / f"bench{run}", prefix="bench", topic_partitions=4
    )
    servers = settings.kafka_bootstrap_servers.split(",")
    ensure_topics(settings)
    consumer = KafkaConsumer(
        settings.topic_enriched, settings.topic_deadletter, bootstrap_servers=servers,
        auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
        fetch_max_bytes=50 * 1024 * 1024,
    )
    consumer.poll(timeout_ms=1000)
    try:
        with contextlib.ExitStack() as stack:
            procs = [
                stack.enter_context(running_worker(
                    settings, ("recognise",), log_path=log_dir / f"w{run}-{i}.log"
                ))
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
    print(f"through {workers} `newsstream process --stage recognise` worker(s) on the real "
          f"Kafka ({n} articles, 4 partitions):")
    print(f"  {len(recognised)} recognised versions back after {elapsed:.1f}s -> "
          f"{per_s:.1f} articles/s; {parked} parked")
    print(f"  workers' CPU: {cpu:.1f}s = {cpu / n * 1000:.1f} ms per article -> "
          f"{n / cpu:.1f} articles/s per fully available core")
    for i, (rss, hwm) in enumerate(memory):
        print(f"  worker {i} resident memory: {rss / 1024:.0f} MiB (peak {hwm / 1024:.0f} MiB)")
    print(f"  machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return n / cpu  # per core: the wall-clock rate depends on what else the machine runs


def sizing(per_worker: float) -> None:
    print(f"workers to keep up with {GOAL} articles/s at {per_worker:.1f} French articles/s "
          "per worker (one core each):")
    for label, share in (("every article French", 1.0),
                         (f"French share of the starter feeds ({FRENCH_SHARE:.0%})",
                          FRENCH_SHARE)):
        need = GOAL * share
        print(f"  {label}: {need:.0f} articles/s -> {math.ceil(need / per_worker)} workers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="through the worker")
    parser.add_argument("--in-process", type=int, default=200)
    parser.add_argument("--skip-kafka", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="recognise workers in one group")
    args = parser.parse_args()
    print(f"registry: {REGISTRY}")
    warm_up()
    articles = french_articles(max(args.articles, args.in_process))
    per_worker = in_process(articles[: args.in_process])
    if not args.skip_kafka:
        with tempfile.TemporaryDirectory() as tmp:
            per_worker = through_worker(articles[: args.articles], Path(tmp), args.workers)
    sizing(per_worker)


if __name__ == "__main__":
    main()
