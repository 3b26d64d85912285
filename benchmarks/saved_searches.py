"""Saved searches at scale: 1,000 stored queries matched as articles arrive.

    python benchmarks/saved_searches.py                 # 1,000 searches, 2 workers
    python benchmarks/saved_searches.py --quick         # shorter phases
    python benchmarks/saved_searches.py --json /tmp/trial.json   # a trial, kept out of results/

Runs real ``newsstream process`` workers (enrich, index, alerts; one per core)
on topics and indices private to the run, with articles built from the
end-to-end benchmark's sentences (``benchmarks/data/news_sentences.yaml``, 12
languages, 1,500-4,000 characters). Phases:

1. burst without saved searches: N articles put on the raw topic at once;
   articles/s until every one is searchable and the alerts stage has read it;
2. the same with 1,000 saved searches (single words, phrases, boolean
   queries, a tenth with language or topic filters, drawn from the same
   vocabulary, so that articles do match them);
3. with the searches, articles landing at 100 and then 200 articles/s:
   raw->alert latency of the saved-search alerts (``latency_ms`` of each
   alert: from the article's landing on the raw topic to its alert).

The searches are stored as ``newsstream searches add`` stores them (parsed,
analysed per language, in their own index). Kafka and Elasticsearch are shared
with whatever else runs on the machine; the load average is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import results  # noqa: E402
import yaml  # noqa: E402
from elasticsearch import Elasticsearch, helpers  # noqa: E402
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402

from contract.ids import article_id, story_id  # noqa: E402
from contract.isolated import isolated_settings, settings_env  # noqa: E402
from contract.kafka_admin import ensure_topics  # noqa: E402
from contract.records import Article, Source, encode, utcnow_iso  # noqa: E402
from contract.settings import Settings  # noqa: E402
from newsstream.pipeline_status import MARKER_SLACK  # noqa: E402
from search.index_template import delete_index_layout  # noqa: E402
from search.layout import IndexLayout  # noqa: E402
from search.percolate import compile_query, leaves, parse  # noqa: E402
from search.provision import provision  # noqa: E402
from search.saved_searches import (  # noqa: E402
    SavedSearch,
    analyse_with,
    ensure_searches_index,
    searches_index,
    validate,
)

SENTENCES = ROOT / "benchmarks" / "data" / "news_sentences.yaml"
TOPIC_TERMS = ROOT / "seeds" / "gazetteer" / "topics.yaml"
MIN_CHARS, MAX_CHARS = 1500, 4000
MATCHING_SHARE = 0.02  # searches on words the generated articles contain
TOPICS = [
    "politics",
    "economy, business and finance",
    "crime, law and justice",
    "sport",
    "health",
    "weather",
]


# -- articles and searches ------------------------------------------------------


class Corpus:
    def __init__(self, seed: int) -> None:
        with open(SENTENCES, encoding="utf-8") as fh:
            self.langs: dict[str, dict[str, list[str]]] = yaml.safe_load(fh)
        self.codes = sorted(self.langs)
        self.rng = random.Random(seed)
        with open(TOPIC_TERMS, encoding="utf-8") as fh:
            self.topics: dict[str, dict[str, Any]] = yaml.safe_load(fh)
        self.everything = " ".join(
            " ".join(pool.get(part, [])) for pool in self.langs.values() for part in pool
        ).lower()

    def article(self, url: str, lang: str) -> Article:
        pool = self.langs[lang]
        target = self.rng.randint(MIN_CHARS, MAX_CHARS)
        sentences: list[str] = []
        while sum(len(s) + 1 for s in sentences) < target:
            sentences.append(self.rng.choice(pool["sentences"] + pool.get("actors", [])))
        title = self.rng.choice(pool["titles"])
        text = " ".join(sentences)
        now = utcnow_iso()
        return Article(
            id=article_id(url),
            url=url,
            title=title,
            text=text,
            published=now,
            source=Source(name=f"bench-{lang}", feed_url=f"https://{lang}.bench.example/rss"),
            fetched_at=now,
            story_id=story_id(title, text),
            language_hint=lang,
        )

    def stream(self, count: int, prefix: str) -> list[Article]:
        return [
            self.article(f"https://{prefix}.bench.example/{n}", self.codes[n % len(self.codes)])
            for n in range(count)
        ]

    def _terms(self, lang: str) -> tuple[list[str], list[str]]:
        """Monitoring terms (the topic keywords of ``seeds/gazetteer/topics.yaml`` as a
        user writes them: ``film*``, ``box office``; English ones for a language without
        them), split into those the corpus's articles in ``lang`` contain and the rest."""
        text = " ".join(self.langs[lang]["sentences"] + self.langs[lang]["titles"]).lower()
        words: set[str] = set()
        for body in self.topics.values():
            for raw in str(body.get(lang) or body.get("en", "")).split(","):
                term = raw.split(":")[0].strip()
                term = term.strip("*") if term.startswith("*") else term
                if len(term.rstrip("*")) >= 4:
                    words.add(term)
        present = sorted(w for w in words if w.rstrip("*") in text)
        if not present:
            counts = Counter(w.strip(".,:;'\"()").lower() for w in text.split())
            present = sorted(w for w, n in counts.items() if n == 1 and len(w) >= 6)
        # absent from every article: not even the stem is in any language's sentences
        absent = sorted(w for w in words if w.rstrip("*")[:5] not in self.everything)
        return present, absent

    def searches(self, count: int) -> list[SavedSearch]:
        """Single words, phrases, boolean queries, a tenth with a filter; a few
        (``MATCHING_SHARE``) on words the articles contain, as most of a desk's
        saved searches find nothing in most articles."""
        out = []
        for n in range(count):
            lang = self.codes[n % len(self.codes)]
            present, absent = self._terms(lang)
            terms = present if self.rng.random() < MATCHING_SHARE else absent
            plain = [t for t in terms if " " not in t and "*" not in t] or terms
            kind = n % 10
            if kind < 5:
                query = self.rng.choice(terms)
            elif kind < 7:
                phrases = [t for t in terms if " " in t]
                if phrases:
                    query = self.rng.choice(phrases)
                elif terms is absent:
                    query = f"{self.rng.choice(plain)} {self.rng.choice(plain)}"
                else:
                    sentence = self.rng.choice(self.langs[lang]["sentences"]).split()
                    at = self.rng.randrange(max(1, len(sentence) - 1))
                    query = " ".join(w.strip(".,:;'\"()") for w in sentence[at : at + 2])
            elif kind < 9:
                a, b, c = (self.rng.choice(plain) for _ in range(3))
                query = f"{a} OR {b}" if kind == 7 else f"({a} | {b}) -{c}"
            else:
                query = self.rng.choice(plain)
            query = (
                f'"{query}"' if " " in query and "OR" not in query and "|" not in query else query
            )
            languages = [lang] if kind == 9 and n % 20 == 9 else []
            topics = [TOPICS[n % 6]] if kind == 9 and n % 20 != 9 else []
            out.append(validate(f"search {n}", query, languages=languages, topics=topics))
        return out


def store_searches(es: Elasticsearch, index: str, searches: list[SavedSearch]) -> float:
    """Store the searches as ``searches add`` does, their words analysed in one go."""
    started = time.monotonic()
    analysers = ensure_searches_index(es, index)
    texts = sorted({leaf.text for s in searches for leaf in leaves(parse(s.query))})
    analysed = analyse_with(es, analysers, texts)
    position = {t: i for i, t in enumerate(texts)}

    def lookup(wanted: Any) -> dict[str, list[list[str]]]:
        return {k: [v[position[t]] for t in wanted] for k, v in analysed.items()}

    now_ms = int(time.time() * 1000)
    actions = []
    for search in searches:
        search.compiled = compile_query(parse(search.query), lookup)
        search.created_ms = now_ms
        search.created_at = utcnow_iso()
        body = {**search.to_dict(), "compiled": search.compiled}
        actions.append({"_index": index, "_id": search.id, "_source": body})
    helpers.bulk(es, actions, refresh="wait_for")
    return time.monotonic() - started


# -- workers and observers ----------------------------------------------------


def settings_for(tag: str, data: Path) -> Settings:
    return isolated_settings(tag, data, prefix="b", bulk_interval=0.2)


def start_workers(settings: Settings, count: int, logs: Path) -> list[subprocess.Popen]:
    procs = []
    for n in range(count):
        log = logs / f"worker{n}.log"
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "newsstream", "process", "--loglevel", "info"],
                stdout=open(log, "wb"),  # noqa: SIM115 - the worker owns it
                stderr=subprocess.STDOUT,
                env={**settings_env(settings), "PYTHONPATH": str(ROOT)},
            )
        )
    deadline = time.monotonic() + 180
    for n in range(count):
        while "Worker ready" not in (logs / f"worker{n}.log").read_text(errors="replace"):
            if time.monotonic() > deadline or procs[n].poll() is not None:
                raise RuntimeError((logs / f"worker{n}.log").read_text(errors="replace")[-3000:])
            time.sleep(0.3)
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def caught_up(settings: Settings, admin: KafkaAdminClient, consumer: KafkaConsumer) -> bool:
    """The workers' group has committed everything on the raw and enriched topics."""
    group = settings.processor_group
    committed = admin.list_group_offsets(group).get(group, {})
    for topic in (settings.topic_raw, settings.topic_enriched):
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        for part, end in consumer.end_offsets(parts).items():
            done = committed.get(part)
            # transaction markers take offsets of their own: a few may stay unread
            if end and (done is None or done.offset < end - MARKER_SLACK):
                return False
    return True


def produce(settings: Settings, articles: list[Article], rate: float | None) -> None:
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","), linger_ms=5
    )
    started = time.monotonic()
    for n, article in enumerate(articles):
        if rate:
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        producer.send(settings.topic_raw, key=article.id.encode(), value=encode(article))
    producer.flush(60)
    producer.close()


def burst(settings: Settings, articles: list[Article], es: Elasticsearch) -> dict[str, Any]:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
    before = es.count(index=settings.index_articles)["count"]
    started = time.monotonic()
    produce(settings, articles, None)
    deadline = started + 900
    while time.monotonic() < deadline:
        es.indices.refresh(index=settings.index_articles)
        searchable = es.count(index=settings.index_articles)["count"] - before
        if searchable >= len(articles) and caught_up(settings, admin, consumer):
            break
        time.sleep(0.2)
    seconds = time.monotonic() - started
    admin.close()
    consumer.close()
    return {
        "articles": len(articles),
        "seconds": round(seconds, 2),
        "rate": len(articles) / seconds,
    }


def alerts_since(settings: Settings, offsets: dict[TopicPartition, int]) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","), consumer_timeout_ms=1500
    )
    consumer.assign(list(offsets))
    for part, offset in offsets.items():
        consumer.seek(part, offset)
    out = [json.loads(r.value) for r in consumer]
    consumer.close()
    return out


def alert_offsets(settings: Settings) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
    parts = [
        TopicPartition(settings.topic_alerts, p)
        for p in consumer.partitions_for_topic(settings.topic_alerts) or ()
    ]
    ends = consumer.end_offsets(parts)
    consumer.close()
    return ends


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def at_rate(
    settings: Settings, articles: list[Article], rate: float, es: Elasticsearch
) -> dict[str, Any]:
    offsets = alert_offsets(settings)
    produce(settings, articles, rate)
    ids = {a.id for a in articles}
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
    deadline = time.monotonic() + 300
    while not caught_up(settings, admin, consumer) and time.monotonic() < deadline:
        time.sleep(0.3)
    admin.close()
    consumer.close()
    alerts = [a for a in alerts_since(settings, offsets) if a["article_id"] in ids]
    searched = [a["latency_ms"] for a in alerts if a.get("saved_search")]
    actors = [a["latency_ms"] for a in alerts if not a.get("saved_search")]
    return {
        "rate": rate,
        "articles": len(articles),
        "saved_search_alerts": len(searched),
        "actor_alerts": len(actors),
        "raw_to_alert_ms": {
            "p50": pct(searched, 50),
            "p95": pct(searched, 95),
            "max": max(searched, default=None),
            "mean": round(statistics.fmean(searched), 1) if searched else None,
        },
        "actor_raw_to_alert_ms": {"p50": pct(actors, 50), "p95": pct(actors, 95)},
    }


def matcher_cost(settings: Settings, articles: list[Article], batch: int) -> dict[str, Any]:
    """The matching alone, in this process: one ``_mtermvectors`` and the plain-function
    match per batch of ``batch`` articles, against every stored search."""
    import asyncio

    from contract.records import EnrichedArticle, Language
    from processors.alerts.saved import SavedSearchMatcher
    from search.client import async_es_client

    enriched = [
        EnrichedArticle(
            article=a,
            language=Language(a.language_hint, 1.0, "hint"),
            entities=[],
            topics=[],
            versions={},
            enriched_at=a.fetched_at,
            raw_timestamp_ms=int(time.time() * 1000),
        )
        for a in articles
    ]

    async def run() -> tuple[float, int]:
        es = async_es_client(settings, request_timeout=120, fast_json=True)
        matcher = SavedSearchMatcher(es, searches_index(settings.index_alerts))
        await matcher.refresh(force=True)
        started, found = time.monotonic(), 0
        for at in range(0, len(enriched), batch):
            chunk = [(e, 0) for e in enriched[at : at + batch]]
            found += sum(map(len, await matcher.candidates(chunk, now_ms=int(time.time() * 1000))))
        await es.close()
        return time.monotonic() - started, found

    seconds, found = asyncio.run(run())
    return {
        "articles": len(articles),
        "batch": batch,
        "ms_per_article": round(1000 * seconds / len(articles), 3),
        "articles_per_s": round(len(articles) / seconds, 1),
        "matches": found,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=3000, help="articles per burst")
    parser.add_argument("--seconds", type=float, default=20, help="length of each rate phase")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true", help="bursts of 1,000, phases of 10 s")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--json", type=Path, help="write the figures here (default: benchmarks/results/)"
    )
    args = parser.parse_args()
    if args.quick:
        args.burst, args.seconds = 1000, 10
    tag = uuid.uuid4().hex[:8]
    work = Path(tempfile.mkdtemp(prefix="saved-searches-bench-"))
    settings = settings_for(tag, work / "data")
    es = Elasticsearch(settings.es_url, request_timeout=120)
    corpus = Corpus(args.seed)
    started_load = results.load_start()
    report: dict[str, Any] = {"workers": args.workers, "searches": args.searches}
    ensure_topics(settings)
    provision(es, settings)
    procs: list[subprocess.Popen] = []
    try:
        procs = start_workers(settings, args.workers, work)
        report["without"] = burst(settings, corpus.stream(args.burst, "plain"), es)
        print(f"without saved searches: {report['without']['rate']:.0f} articles/s", flush=True)
        searches = corpus.searches(args.searches)
        report["store_seconds"] = round(
            store_searches(es, searches_index(settings.index_alerts), searches), 2
        )
        time.sleep(2)  # the workers reload the searches every second
        report["with"] = burst(settings, corpus.stream(args.burst, "searched"), es)
        print(f"with {args.searches} saved searches: {report['with']['rate']:.0f} articles/s")
        report["matcher"] = matcher_cost(settings, corpus.stream(1000, "matcher"), 100)
        print(
            f"matching alone: {report['matcher']['ms_per_article']} ms per article "
            f"({report['matcher']['matches']} matches in 1,000 articles)",
            flush=True,
        )
        report["rate_drop"] = round(1 - report["with"]["rate"] / report["without"]["rate"], 3)
        report["rates"] = []
        for rate in (100, 200):
            count = int(rate * args.seconds)
            phase = at_rate(settings, corpus.stream(count, f"rate{rate}"), rate, es)
            report["rates"].append(phase)
            lat = phase["raw_to_alert_ms"]
            print(
                f"at {rate} articles/s: {phase['saved_search_alerts']} saved-search alerts, "
                f"raw->alert p50 {lat['p50']} ms, p95 {lat['p95']} ms",
                flush=True,
            )
    finally:
        stop_workers(procs)
        delete_index_layout(es, IndexLayout(settings.index_articles))
        for index in (settings.index_alerts, searches_index(settings.index_alerts)):
            es.indices.delete(index=index, ignore_unavailable=True)
        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
        topics = [settings.topic_raw, settings.topic_enriched, settings.topic_alerts]
        admin.delete_topics(topics + [settings.topic_deadletter])
        admin.close()
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    else:
        results.write("saved_searches", report, started_load=started_load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
