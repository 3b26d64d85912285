"""Indexing throughput of the pipeline versus plain bulk, then search latency.

Usage::

    python benchmarks/indexing_benchmark.py [--count 100000] [--batch 500]
        [--kafka] [--queries 200] [--keep]

1. Generates ``--count`` enriched articles (2-5 KB of text in several
   languages, entities, topics, actors, published over six months),
   deterministically, in batches; generation is never timed.
2. Indexes them with the pipeline's :class:`search.bulk_indexer.BulkIndexer`
   (decode the Kafka bytes, build the document, bulk, check every item) into
   one layout, and with a plain ``elasticsearch.helpers.bulk`` of the same,
   ready-made documents into another layout with the same template. Prints
   both rates and their ratio (goal: the pipeline reaches >= 80%).
3. With ``--kafka``: produces the same messages to a fresh topic and times a
   real ``newsstream process --stage index`` worker draining it (first
   message to last commit), then the produce-to-searchable delay of single
   articles.
4. Runs a mix of queries (text, filters, facets + histogram, deep pages) on
   the pipeline's index and prints p50/p95 latency per kind and overall.

Every index, template and topic it creates is deleted at the end unless
``--keep`` is given.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import results
from elasticsearch import helpers

from contract.ids import article_id, content_hash, story_id
from contract.records import (
    ActorMention,
    Article,
    EnrichedArticle,
    Entity,
    Language,
    Source,
    Topic,
    decode_enriched,
    encode,
)
from contract.settings import Settings
from search.bulk_indexer import BulkIndexer
from search.client import es_client
from search.documents import to_document
from search.index_template import delete_index_layout
from search.provision import provision
from search.query import SearchRequest, run_search

LANGS = ["en", "nl", "de", "fr", "es"]
SOURCES = ["Reuters", "NOS", "Tagesschau", "Le Monde", "El País", "BBC", "AP", "De Standaard"]
TOPICS = [
    "politics",
    "economy, business and finance",
    "sport",
    "health",
    "weather",
    "science and technology",
    "crime, law and justice",
    "conflict, war and peace",
]
PEOPLE = [
    "Nicolás Maduro",
    "Juan Guaidó",
    "Donald Trump",
    "Mike Pompeo",
    "Angela Merkel",
    "Emmanuel Macron",
    "Mark Rutte",
    "Pedro Sánchez",
    "Olaf Scholz",
    "Ursula von der Leyen",
]
ORGS = [
    "European Central Bank",
    "United Nations",
    "NATO",
    "European Commission",
    "IMF",
    "World Health Organization",
    "Bundestag",
    "Tweede Kamer",
]
PLACES = [
    "Venezuela",
    "Caracas",
    "Berlin",
    "Brussels",
    "Paris",
    "Madrid",
    "Amsterdam",
    "Washington",
    "Verenigde Staten",
    "Florida",
]
SYLLABLES = [
    "ka",
    "ro",
    "ver",
    "sta",
    "en",
    "de",
    "lin",
    "mo",
    "tra",
    "zen",
    "pol",
    "ti",
    "ek",
    "ra",
    "bu",
    "na",
    "gel",
    "sch",
    "ou",
    "ment",
    "ion",
    "ijk",
    "heid",
    "ung",
]


def _vocabulary(size: int = 30000) -> list[str]:
    rng = random.Random(1)
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


VOCAB = _vocabulary()
# Zipf-like weights: a few words are very common, most are rare, as in prose.
WEIGHTS = [1.0 / (rank + 1) for rank in range(len(VOCAB))]
CUM_WEIGHTS = list(itertools.accumulate(WEIGHTS))
ROOT = Path(__file__).resolve().parent.parent


def make_article(i: int, *, now: float) -> EnrichedArticle:
    rng = random.Random(i)
    target = rng.randint(2000, 5000)
    words = rng.choices(VOCAB, cum_weights=CUM_WEIGHTS, k=target // 6)
    people = rng.sample(PEOPLE, rng.randint(0, 3))
    orgs = rng.sample(ORGS, rng.randint(0, 2))
    places = rng.sample(PLACES, rng.randint(1, 3))
    # Names inside the text so that searching for them finds something.
    for name in people + orgs + places:
        words.insert(rng.randrange(len(words)), name)
    text = " ".join(words)[:target]
    title = " ".join(rng.choices(VOCAB, cum_weights=CUM_WEIGHTS, k=8)).capitalize()
    published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - rng.uniform(0, 180 * 86400)))
    source = rng.choice(SOURCES)
    url = f"https://{source.lower().replace(' ', '')}.example/news/{i}"
    article = Article(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        published=published,
        source=Source(
            name=source,
            feed_url=url.rsplit("/", 2)[0] + "/rss",
            feed_id=source.lower().replace(" ", "-"),
        ),
        fetched_at=published,
        story_id=story_id(title, text),
        content_hash=content_hash(title, text),
    )
    entities = [Entity(id=f"per:{n}", type="PER", name=n, count=rng.randint(1, 5)) for n in people]
    entities += [Entity(id=f"org:{n}", type="ORG", name=n, count=1) for n in orgs]
    entities += [Entity(id=f"loc:{n}", type="LOC", name=n, count=1) for n in places]
    return EnrichedArticle(
        article=article,
        language=Language(code=rng.choice(LANGS), confidence=0.98, method="benchmark"),
        entities=entities,
        topics=[
            Topic(code=f"medtop:{TOPICS.index(t):08d}", label=t, score=0.7)
            for t in rng.sample(TOPICS, rng.randint(1, 2))
        ],
        versions={"language": "1", "entities": "1", "topics": "1"},
        enriched_at=published,
        actors=[
            ActorMention(
                actor_id=n.lower().replace(" ", "-"),
                name=n,
                kind="person",
                matched_text=n,
                field="text",
                start=0,
                end=len(n),
            )
            for n in people[:1]
        ],
    )


def batches(count: int, size: int, now: float) -> Iterator[list[EnrichedArticle]]:
    for start in range(0, count, size):
        yield [make_article(i, now=now) for i in range(start, min(count, start + size))]


def index_corpus(client, config, count: int) -> float:
    """Index ``count`` generated articles through the pipeline's indexer; seconds taken."""
    started = time.monotonic()
    indexer = BulkIndexer(client, config)
    for batch in batches(count, 1000, time.time()):
        indexer.index([(a.id, a) for a in batch])
    return time.monotonic() - started


def compare(
    client,
    pipeline_config,
    plain_config,
    count: int,
    size: int,
    now: float,
) -> tuple[float, float, int]:
    """Index every batch both ways, alternating, so both see the same cluster state.

    Returns seconds spent in the pipeline's indexer, seconds spent in plain
    bulk, and the number of documents (each way). The first batch of each
    way is a warm-up (it also creates the monthly indices) and is not timed.
    """
    indexer = BulkIndexer(client, pipeline_config)
    pipeline_s = plain_s = 0.0
    timed = 0
    for number, batch in enumerate(batches(count, size, now)):
        messages = [(r.id, encode(r)) for r in batch]
        started = time.perf_counter()
        # Decoding is timed with the indexer, as the index stage does both.
        outcome = indexer.index([(key, decode_enriched(raw)) for key, raw in messages])
        pipeline_took = time.perf_counter() - started
        if outcome.rejected or outcome.invalid or len(outcome.indexed) != len(batch):
            raise SystemExit(f"unexpected failures: {outcome.rejected[:1]} {outcome.invalid[:1]}")
        actions = [
            {
                "_index": plain_config.layout.index_for(r.article.published),
                "_id": r.id,
                "_source": to_document(r),
            }
            for r in batch
        ]
        started = time.perf_counter()
        ok, _ = helpers.bulk(client, actions, chunk_size=size)
        plain_took = time.perf_counter() - started
        if ok != len(batch):
            raise SystemExit(f"plain bulk indexed {ok} of {len(batch)}")
        if number == 0:
            continue
        pipeline_s += pipeline_took
        plain_s += plain_took
        timed += len(batch)
        if number % 20 == 0:
            print(
                f"  {number * size:>7} docs: pipeline {timed / pipeline_s:,.0f} docs/s, "
                f"plain {timed / plain_s:,.0f} docs/s",
                flush=True,
            )
    return pipeline_s, plain_s, timed


def _committed(settings: Settings) -> int:
    from kafka import KafkaAdminClient

    from processors.groups import app_id_for

    group = app_id_for(settings, ("index",))
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return sum(
        m.offset
        for tp, m in offsets.items()
        if tp.topic == settings.topic_enriched and m.offset > 0
    )


def run_kafka(
    client, base: Settings, count: int, size: int, now: float, *, keep_log: bool = False
) -> dict:
    """Drain ``count`` pre-produced messages with a real worker; then single-article delay."""
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient

    from contract.kafka_admin import ensure_topics, topic_names

    tag = uuid.uuid4().hex[:8]
    settings = replace(
        base,
        topic_raw=f"bench{tag}.raw",
        topic_enriched=f"bench{tag}.enriched",
        topic_alerts=f"bench{tag}.alerts",
        topic_deadletter=f"bench{tag}.deadletter",
        processor_group=f"bench{tag}",
        index_articles=f"bench{tag}-kafka-news-articles",
        data_dir=f"/tmp/bench{tag}",
    )
    ensure_topics(settings)
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        linger_ms=20,
        batch_size=256 * 1024,
        acks=1,
    )
    for batch in batches(count, size, now):
        for r in batch:
            producer.send(settings.topic_enriched, key=r.id.encode(), value=encode(r))
    producer.flush()
    env = dict(os.environ)
    for name in (
        "kafka_bootstrap_servers",
        "topic_raw",
        "topic_enriched",
        "topic_alerts",
        "topic_deadletter",
        "processor_group",
        "index_articles",
        "data_dir",
        "bulk_size",
        "bulk_interval",
    ):
        env["NEWSSTREAM_" + name.upper()] = str(getattr(settings, name))
    log_path = Path(settings.data_dir) / "worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "newsstream", "process", "--stage", "index"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
        try:
            first = None
            while _committed(settings) < count:
                if worker.poll() is not None:
                    raise SystemExit(f"worker died:\n{log_path.read_text()[-2000:]}")
                if (
                    first is None
                    and client.indices.exists_alias(name=settings.index_articles)
                    and client.count(index=settings.index_articles)["count"] > 0
                ):
                    first = time.perf_counter()
                time.sleep(0.5)
            drained = time.perf_counter() - (first or time.perf_counter())
            print(
                f"faust agent from Kafka: {count} articles in {drained:.1f}s from first "
                f"document to last commit = {count / max(drained, 1e-9):,.0f} docs/s"
            )
            delays = []
            for j in range(5):
                r = make_article(count + 1000 + j, now=now)
                sent = time.perf_counter()
                producer.send(settings.topic_enriched, key=r.id.encode(), value=encode(r))
                producer.flush()
                while not client.search(
                    index=settings.index_articles, query={"ids": {"values": [r.id]}}
                )["hits"]["hits"]:
                    time.sleep(0.05)
                delays.append(time.perf_counter() - sent)
            print(
                "produce-to-searchable delay (s): "
                + ", ".join(f"{d:.2f}" for d in delays)
                + f" (bulk_interval {settings.bulk_interval}s, refresh 1s)"
            )
            figures = {
                "articles": count,
                "docs_per_s": round(count / max(drained, 1e-9)),
                "produce_to_searchable_s": [round(d, 2) for d in delays],
            }
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            producer.close()
            from search.layout import IndexLayout

            delete_index_layout(client, IndexLayout(settings.index_articles))
            admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
            admin.delete_topics(topic_names(settings))
            admin.close()
            if keep_log:
                print(f"worker log: {log_path}")
            else:
                shutil.rmtree(settings.data_dir, ignore_errors=True)
    return figures


QUERY_MIX: list[tuple[str, dict]] = [
    ("text", {"query": "maduro"}),
    ("text", {"query": '"central bank"'}),
    ("text", {"query": "Caracas -Trump"}),
    ("text-rare", {"query": VOCAB[-1]}),
    ("text-common", {"query": VOCAB[0]}),
    ("filter", {"languages": ("nl",), "topics": ("politics",)}),
    ("filter", {"entities": ("merkel",), "sources": ("Tagesschau",)}),
    ("filter+text", {"query": "berlin", "languages": ("de",), "sort": "recent"}),
    ("facets+histogram", {"query": "venezuela", "facets": True, "histogram": True}),
    ("facets+histogram", {"facets": True, "histogram": True}),
]


def run_queries(client, alias: str, rounds: int) -> dict:
    timings: dict[str, list[float]] = {}
    for _ in range(rounds):
        for kind, kwargs in QUERY_MIX:
            started = time.perf_counter()
            run_search(client, alias, SearchRequest(**kwargs))
            timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        # Deep paging: the fifth page of 20 through search_after.
        started = time.perf_counter()
        cursor = ""
        for _page in range(5):
            result = run_search(client, alias, SearchRequest(query="amsterdam", cursor=cursor))
            cursor = result.next_cursor or ""
        timings.setdefault("page-5", []).append((time.perf_counter() - started) * 1000 / 5)
    everything = [t for values in timings.values() for t in values]
    print(f"search latency over {len(everything)} requests (ms, client side):")
    for kind, values in [*timings.items(), ("all", everything)]:
        print(f"  {kind:18} p50 {_pct(values, 50):7.1f}   p95 {_pct(values, 95):7.1f}")
    return {
        kind: {"p50_ms": round(_pct(values, 50), 1), "p95_ms": round(_pct(values, 95), 1)}
        for kind, values in [*timings.items(), ("all", everything)]
    }


def _pct(values: list[float], pct: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--kafka", action="store_true", help="also time the Faust agent")
    parser.add_argument("--kafka-count", type=int, default=0, help="default: --count")
    parser.add_argument("--queries", type=int, default=30, help="rounds of the query mix")
    parser.add_argument("--keep", action="store_true", help="keep the indices and the worker's log")
    args = parser.parse_args()
    load = results.load_start()

    tag = uuid.uuid4().hex[:8]
    base = Settings.from_env(bulk_size=args.batch)
    pipeline_settings = replace(base, index_articles=f"bench{tag}-pipeline-news-articles")
    plain_settings = replace(base, index_articles=f"bench{tag}-plain-news-articles")
    client = es_client(base, request_timeout=120)
    now = time.time()
    pipeline_config = provision(client, pipeline_settings)
    plain_config = provision(client, plain_settings)
    sample = [make_article(i, now=now) for i in range(200)]
    avg = statistics.mean(len(r.article.text) for r in sample)
    print(
        f"{args.count} articles, text {avg / 1024:.1f} KB on average, bulk batches of {args.batch}"
    )
    try:
        p_time, b_time, timed = compare(
            client, pipeline_config, plain_config, args.count, args.batch, now
        )
        p_rate, b_rate = timed / p_time, timed / b_time
        print(f"pipeline BulkIndexer: {timed} docs in {p_time:.1f}s = {p_rate:,.0f} docs/s")
        print(f"plain helpers.bulk:   {timed} docs in {b_time:.1f}s = {b_rate:,.0f} docs/s")
        print(f"ratio pipeline / plain: {p_rate / b_rate:.0%} (goal >= 80%)")
        figures: dict = {
            "articles": timed,
            "batch": args.batch,
            "pipeline_docs_per_s": round(p_rate),
            "plain_docs_per_s": round(b_rate),
            "ratio": round(p_rate / b_rate, 3),
        }
        client.indices.refresh(index=pipeline_config.layout.alias)
        if args.kafka:
            figures["kafka"] = run_kafka(
                client, base, args.kafka_count or args.count, args.batch, now, keep_log=args.keep
            )
        figures["search_latency"] = run_queries(client, pipeline_config.layout.alias, args.queries)
        results.write("indexing_benchmark", figures, started_load=load)
    finally:
        if not args.keep:
            for config in (pipeline_config, plain_config):
                delete_index_layout(client, config.layout)
        client.close()


if __name__ == "__main__":
    main()
