"""End to end: feeds on loopback to searchable articles and alerts, against the servers' limits.

    python benchmarks/e2e.py                      # 200 feeds x 50 items, a worker per core
    python benchmarks/e2e.py --quick              # 2,000 articles, short phases (< 2 minutes)
    python benchmarks/e2e.py --workers 1 --json e2e.json

Generates N feeds x M items of multilingual news text (12 languages,
1,500-4,000 characters, built deterministically from ``--seed`` out of the
sentences in ``benchmarks/data/news_sentences.yaml``; about a third of the
articles name a tracked actor of ``seeds/actors.yaml``), serves them over
HTTP on loopback addresses, and runs the service as in production: K
``newsstream process`` workers and one ``newsstream poll --once``, on topics
and indices private to the run. Phases:

1. burst: the poller publishes every item at once; articles/s from poll start
   to all searchable and to all alerts raised, raw->searchable latency of a
   sample, and the CPU seconds and peak memory of every process (poller,
   workers with their child processes, Kafka, Elasticsearch);
2. steady: articles land on the raw topic at ``--steady-rate`` (as the poller
   would publish them): raw->searchable and raw->alert latency;
3. alert rate: the same at ``--alert-rate``;
4. the servers' own limits, in the same run and on the same records: plain
   kafka-python produce and consume of the raw records, plain
   ``helpers.bulk`` of the documents the pipeline indexed (Elasticsearch CPU
   per document compared with the pipeline's).

Prints a summary and writes the figures as JSON (``--json``). Kafka and
Elasticsearch are shared with whatever else runs on the machine; their CPU
figures include that, and the load average is printed with them. Topics and
indices of the run are deleted at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import results  # noqa: E402
import yaml  # noqa: E402
from ingest_benchmark import SERVER, free_port  # noqa: E402
from procstats import cpu_seconds, memory_kib, stack_pids, tree_pids  # noqa: E402

from contract.ids import article_id, story_id  # noqa: E402
from contract.isolated import isolated_settings, settings_env  # noqa: E402
from contract.records import Article, Source, encode, utcnow_iso  # noqa: E402
from contract.settings import Settings  # noqa: E402
from newsstream.workers import running_worker  # noqa: E402
from processors.enrichment.pipeline import enrich  # noqa: E402
from processors.enrichment.watchlist import default_watchlist_path, load_watchlist  # noqa: E402

SENTENCES = ROOT / "benchmarks" / "data" / "news_sentences.yaml"
LANGUAGE_SAMPLES = ROOT / "seeds" / "eval" / "language.jsonl"
MIN_CHARS, MAX_CHARS = 1500, 4000
ACTOR_SHARE = 1 / 3
LATENCY_SAMPLE = 1000  # burst articles whose raw->searchable time is tracked
POLL_INTERVAL = 0.2  # how often the watchers look for newly searchable articles


# -- articles and feeds -----------------------------------------------------


@dataclass
class Item:
    """One generated news item."""

    url: str
    lang: str
    title: str
    paragraphs: list[str]
    actor: bool = False  # names a tracked actor: an alert is expected

    @property
    def id(self) -> str:
        return article_id(self.url)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


class Corpus:
    """Deterministic multilingual articles from shipped sentences."""

    def __init__(self, seed: int) -> None:
        with open(SENTENCES, encoding="utf-8") as fh:
            self.langs: dict[str, dict[str, list[str]]] = yaml.safe_load(fh)
        with open(LANGUAGE_SAMPLES, encoding="utf-8") as fh:
            for line in fh:
                sample = json.loads(line)
                lang = self.langs.get(sample["lang"])
                if lang is not None:
                    lang["titles"].append(sample["title"])
                    lang["sentences"].append(sample["text"])
        self.codes = sorted(self.langs)
        self.seed = seed
        self.watchlist = load_watchlist(default_watchlist_path())

    def item(self, url: str, lang: str, rng: random.Random) -> Item:
        pool = self.langs[lang]
        target = rng.randint(MIN_CHARS, MAX_CHARS)
        sentences: list[str] = []
        length = 0
        while length < target:
            batch = list(pool["sentences"])
            rng.shuffle(batch)
            for s in batch:
                sentences.append(s)
                length += len(s) + 1
                if length >= target:
                    break
        if rng.random() < ACTOR_SHARE:
            sentences.insert(rng.randrange(len(sentences)), rng.choice(pool["actors"]))
        paragraphs = []
        while sentences:
            size = rng.randint(2, 4)
            paragraphs.append(" ".join(sentences[:size]))
            sentences = sentences[size:]
        item = Item(url, lang, rng.choice(pool["titles"]), paragraphs)
        item.actor = bool(enrich(as_article(item), watchlist=self.watchlist).actors)
        return item

    def feed_items(self, feed: int, items: int, base_url: str) -> list[Item]:
        rng = random.Random(f"{self.seed}/{feed}")
        lang = self.codes[feed % len(self.codes)]
        return [self.item(f"{base_url}/{feed}/{n}", lang, rng) for n in range(items)]

    def stream(self, count: int, prefix: str) -> list[Item]:
        """Articles for the rate phases, as if from many publishers."""
        rng = random.Random(f"{self.seed}/{prefix}")
        return [
            self.item(f"https://{prefix}.bench.example/{n}", self.codes[n % len(self.codes)], rng)
            for n in range(count)
        ]


def rss(index: int, items: list[Item], now: float) -> str:
    entries = []
    for n, item in enumerate(items):
        body = "".join(f"<p>{escape(p)}</p>" for p in item.paragraphs)
        entries.append(
            f"<item><title>{escape(item.title)}</title><link>{escape(item.url)}</link>"
            f"<guid>{escape(item.url)}</guid>"
            f"<pubDate>{formatdate(now - n * 60, usegmt=True)}</pubDate>"
            f"<description>{escape(body)}</description></item>"
        )
    lang = items[0].lang if items else "en"
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {index}</title><link>https://feed{index}.bench.example/</link>"
        f"<description>benchmark</description><language>{lang}</language>"
        f"{''.join(entries)}</channel></rss>"
    )


def as_article(item: Item) -> Article:
    """The record the poller would publish for ``item``."""
    now = utcnow_iso()
    return Article(
        id=item.id,
        url=item.url,
        title=item.title,
        text=item.text,
        published=now,
        source=Source(name="bench.example", feed_url="https://bench.example/rss"),
        fetched_at=now,
        story_id=story_id(item.title, item.text),
        language_hint=item.lang,
    )


# -- observers ----------------------------------------------------------------


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def latency_summary(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "p50_ms": pct(values, 50),
        "p95_ms": pct(values, 95),
        "p99_ms": pct(values, 99),
        "max_ms": max(values) if values else None,
        "mean_ms": statistics.mean(values) if values else None,
    }


class SearchWatcher(threading.Thread):
    """Notes when each watched article first shows up in search results.

    Asks Elasticsearch every :data:`POLL_INTERVAL` seconds for the watched ids
    that are not yet visible (a search sees only refreshed documents, unlike a
    get), with the ``raw_at`` the pipeline stored.
    """

    def __init__(self, client: Any, alias: str) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.alias = alias
        self.pending: set[str] = set()
        self.seen: dict[str, tuple[float, float]] = {}  # id -> (seen at, raw at), seconds
        self.count = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def watch(self, ids: list[str]) -> None:
        with self.lock:
            self.pending.update(i for i in ids if i not in self.seen)

    def run(self) -> None:
        looked_at = -1  # the count when the pending ids were last looked up
        while not self.stop.wait(POLL_INTERVAL):
            with self.lock:
                pending = list(self.pending)
            try:
                self.count = self.client.count(index=self.alias)["count"]
                # Every request costs Elasticsearch CPU that is charged to the
                # pipeline: look the ids up only when a refresh made more visible.
                if not pending or self.count == looked_at:
                    continue
                count = self.count
                for start in range(0, len(pending), 1000):
                    chunk = pending[start : start + 1000]
                    # Doc values, not _source: loading and decompressing the stored
                    # documents of every visible id five times a second would cost
                    # Elasticsearch more than indexing them, and be counted as the
                    # pipeline's.
                    result = self.client.search(
                        index=self.alias,
                        query={"ids": {"values": chunk}},
                        size=len(chunk),
                        source=False,
                        docvalue_fields=[{"field": "raw_at", "format": "epoch_millis"}],
                    )
                    now = time.time()
                    with self.lock:
                        for hit in result["hits"]["hits"]:
                            raw = float(hit["fields"]["raw_at"][0]) / 1000
                            self.seen.setdefault(hit["_id"], (now, raw))
                            self.pending.discard(hit["_id"])
                looked_at = count
            except Exception:  # noqa: BLE001 - the index may not exist yet
                continue

    def latencies_ms(self, ids: list[str]) -> list[float]:
        with self.lock:
            return [(self.seen[i][0] - self.seen[i][1]) * 1000 for i in ids if i in self.seen]


class AlertWatcher(threading.Thread):
    """Reads the alerts topic from the start: when each article's first alert arrived."""

    def __init__(self, settings: Settings) -> None:
        from kafka import KafkaConsumer, TopicPartition

        super().__init__(daemon=True)
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=20,
        )
        parts = self.consumer.partitions_for_topic(settings.topic_alerts) or {0}
        self.consumer.assign([TopicPartition(settings.topic_alerts, p) for p in parts])
        self.consumer.seek_to_beginning()
        self.first: dict[str, tuple[float, int]] = {}  # article id -> (arrived, raw ms)
        self.alerts = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for batch in self.consumer.poll(timeout_ms=100).values():
                now = time.time()
                for record in batch:
                    alert = json.loads(record.value)
                    self.alerts += 1
                    self.first.setdefault(alert["article_id"], (now, alert["raw_timestamp_ms"]))
        self.consumer.close()

    def latencies_ms(self, ids: list[str]) -> list[float]:
        return [self.first[i][0] * 1000 - self.first[i][1] for i in ids if i in self.first]


INDEX_WORK = (
    ("indexing", "index_time_in_millis"),
    ("refresh", "total_time_in_millis"),
    ("merges", "total_time_in_millis"),
    ("flush", "total_time_in_millis"),
)


def no_index_work() -> dict[str, float]:
    return {part: 0.0 for part, _ in INDEX_WORK} | {"operations": 0.0}


def index_work_ms(es: Any, index: str) -> dict[str, float]:
    """Milliseconds Elasticsearch spent indexing, refreshing, merging and flushing
    ``index`` so far: a cost of our documents alone, even on a shared server."""
    try:
        stats = es.indices.stats(index=index, metric="indexing,refresh,merge,flush")
    except Exception:  # noqa: BLE001 - not created yet
        return no_index_work()
    primaries = stats["_all"]["primaries"]
    work = {part: float(primaries[part][key]) for part, key in INDEX_WORK}
    return work | {"operations": float(primaries["indexing"]["index_total"])}


def es_tasks_done(es: Any) -> dict[str, int]:
    """Tasks each of Elasticsearch's thread pools has completed so far (writes,
    searches, gets, refreshes...): what the server was asked to do, by anyone."""
    try:
        nodes = es.nodes.stats(metric="thread_pool")["nodes"]
    except Exception:  # noqa: BLE001 - a diagnostic, not a figure
        return {}
    done: dict[str, int] = {}
    for node in nodes.values():
        for pool, stats in node["thread_pool"].items():
            done[pool] = done.get(pool, 0) + int(stats.get("completed", 0))
    return done


def work_per_doc(before: dict[str, float], after: dict[str, float], docs: int) -> dict:
    """Milliseconds per document of each part and their total, and index
    operations per document (an article the statistical names update is two)."""
    out = {part: (after[part] - before[part]) / docs for part in after}
    out["total"] = sum(out[part] for part, _ in INDEX_WORK)
    return out


@dataclass
class Proc:
    """CPU and memory of one server or worker process (and its children)."""

    name: str
    pid: int
    cpu_start: float = 0.0
    cpu: float = 0.0
    peak_rss_mib: float = 0.0
    shared: bool = False  # a server other work on the machine uses too

    def cpu_now(self) -> float:
        return sum(_cpu(p) for p in tree_pids(self.pid))

    def begin(self) -> None:
        self.cpu_start = self.cpu_now()

    def end(self) -> None:
        self.cpu = self.cpu_now() - self.cpu_start
        self.peak_rss_mib = sum(_peak(p) for p in tree_pids(self.pid)) / 1024


def _cpu(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:
        return 0.0


def _peak(pid: int) -> int:
    try:
        return memory_kib(pid)[1]
    except OSError:
        return 0


def server_procs() -> list[Proc]:
    """Kafka and Elasticsearch of the running stack."""
    return [Proc(name, pid, shared=True) for name, pid in stack_pids().items()]


# -- phases -------------------------------------------------------------------


@dataclass
class Run:
    settings: Settings
    es: Any
    searches: SearchWatcher
    alerts: AlertWatcher
    workers: list[Proc]
    servers: list[Proc]
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def elasticsearch(self) -> Proc | None:
        return next((p for p in self.servers if p.name == "elasticsearch"), None)


def wait_until(done, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(step)
    return done()


BACKGROUND_SECONDS = 5.0


def es_background(run: Run) -> float | None:
    """Elasticsearch's CPU per second with nothing to index: its own timers and
    this script's watchers (a count five times a second). Subtracted from both
    the pipeline's and the plain bulk's figures, it leaves the CPU their
    documents cost."""
    es_proc = run.elasticsearch
    if es_proc is None:
        return None
    es_proc.begin()
    time.sleep(BACKGROUND_SECONDS)
    es_proc.end()
    return es_proc.cpu / BACKGROUND_SECONDS * 1000


def above_background(run: Run, cpu_s: float, seconds: float, docs: int) -> float | None:
    """Milliseconds of Elasticsearch CPU per document beyond its background."""
    rate = run.report.get("es_background_cpu_ms_per_s")
    if rate is None or not docs:
        return None
    return max(0.0, cpu_s * 1000 - rate * seconds) / docs


def burst(run: Run, feeds: list[list[Item]], hosts: int, work: Path) -> None:
    """Serve the feeds, poll them once, time until all searchable and alerted."""
    feed_dir = work / "feeds"
    feed_dir.mkdir()
    port = free_port()
    now = time.time()
    all_items: list[Item] = []
    feed_list = []
    for f, fitems in enumerate(feeds):
        host = f"127.0.0.{f % hosts + 1}"
        (feed_dir / f"feed-{f}.rss").write_text(rss(f, fitems, now), encoding="utf-8")
        feed_list.append({"url": f"http://{host}:{port}/feed-{f}.rss", "language": fitems[0].lang})
        all_items.extend(fitems)
    (work / "feeds.yaml").write_text(yaml.safe_dump({"feeds": feed_list}), encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(feed_dir), str(port), str(hosts), "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    ids = [i.id for i in all_items]
    alerting = [i.id for i in all_items if i.actor]
    sample = ids[:: max(1, len(ids) // LATENCY_SAMPLE)]
    run.searches.watch(sample)
    base_count = run.searches.count
    procs = run.workers + run.servers
    for p in procs:
        p.begin()
    index_ms = index_work_ms(run.es, run.settings.index_articles)
    alerts_ms = index_work_ms(run.es, run.settings.index_alerts)
    tasks = es_tasks_done(run.es)
    try:
        started = time.time()
        poller = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsstream",
                "poll",
                "--once",
                "--feeds",
                str(work / "feeds.yaml"),
            ],
            stdout=open(work / "poller.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            env=settings_env(run.settings),
            cwd=ROOT,
        )
        _, status, usage = os.wait4(poller.pid, 0)
        poller.returncode = os.waitstatus_to_exitcode(status)
        polled = time.time() - started
        timeout = max(120.0, len(ids) / 10)
        complete = wait_until(lambda: run.searches.count - base_count >= len(ids), timeout)
        searchable = time.time() - started
        wait_until(lambda: all(a in run.alerts.first for a in alerting), 30)
        alerted_at = max(
            (run.alerts.first[a][0] for a in alerting if a in run.alerts.first), default=time.time()
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    for p in procs:
        p.end()
    index_work = work_per_doc(
        index_ms, index_work_ms(run.es, run.settings.index_articles), len(ids)
    )
    alerts_work = work_per_doc(
        alerts_ms, index_work_ms(run.es, run.settings.index_alerts), len(ids)
    )
    n = len(ids)
    got_alerts = sum(1 for a in alerting if a in run.alerts.first)
    procs_report = [
        {
            "name": "poller",
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024,
            "shared": False,
        },
    ] + [
        {"name": p.name, "cpu_s": p.cpu, "peak_rss_mib": p.peak_rss_mib, "shared": p.shared}
        for p in procs
    ]
    for entry in procs_report:
        entry["cpu_ms_per_article"] = entry["cpu_s"] / n * 1000
    run.report["burst"] = {
        "feeds": len(feeds),
        "items_per_feed": len(feeds[0]),
        "articles": n,
        "mean_chars": statistics.mean(len(i.text) for i in all_items),
        "poller_exit_code": poller.returncode,
        "poll_seconds": polled,
        "all_searchable": complete,
        "searchable_seconds": searchable,
        "feed_to_searchable_per_s": n / searchable if complete else None,
        "alerting_articles": len(alerting),
        "alerted": got_alerts,
        "unalerted": unalerted(run, alerting),
        "feed_to_alert_per_s": n / (alerted_at - started) if got_alerts == len(alerting) else None,
        "raw_to_searchable": latency_summary(run.searches.latencies_ms(sample)),
        "raw_to_alert": latency_summary(run.alerts.latencies_ms(alerting)),
        "processes": procs_report,
        "es_cpu_above_background_ms_per_doc": (
            above_background(run, es.cpu, time.time() - started, n)
            if (es := run.elasticsearch)
            else None
        ),
        "es_index_work_ms_per_doc": index_work,
        "es_alerts_index_work_ms_per_article": alerts_work,
        "es_tasks": {
            pool: done - tasks.get(pool, 0)
            for pool, done in es_tasks_done(run.es).items()
            if done - tasks.get(pool, 0) > 0
        },
        "load_average": os.getloadavg()[0],
    }
    run.report["_burst_ids"] = ids


def at_rate(run: Run, items: list[Item], rate: float, name: str) -> None:
    """Produce ``items`` to the raw topic at ``rate``; latency to searchable and alert."""
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=run.settings.kafka_bootstrap_servers.split(","),
        acks="all",
        linger_ms=5,
    )
    payloads = [(i.id.encode(), encode(as_article(i))) for i in items]
    ids = [i.id for i in items]
    alerting = [i.id for i in items if i.actor]
    run.searches.watch(ids)
    procs = run.workers + run.servers
    for p in procs:
        p.begin()
    started = time.monotonic()
    for n, (key, value) in enumerate(payloads):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        producer.send(run.settings.topic_raw, key=key, value=value)
    producer.flush()
    produced_in = time.monotonic() - started
    producer.close()
    wait_until(lambda: all(i in run.searches.seen for i in ids), 60)
    wait_until(lambda: all(a in run.alerts.first for a in alerting), 15)
    for p in procs:
        p.end()
    run.report[name] = {
        "rate": rate,
        "articles": len(items),
        "produced_per_s": len(items) / produced_in,
        "searchable": sum(1 for i in ids if i in run.searches.seen),
        "raw_to_searchable": latency_summary(run.searches.latencies_ms(ids)),
        "alerting_articles": len(alerting),
        "alerted": sum(1 for a in alerting if a in run.alerts.first),
        "unalerted": unalerted(run, alerting),
        "raw_to_alert": latency_summary(run.alerts.latencies_ms(alerting)),
        "cpu_ms_per_article": {p.name: p.cpu / len(items) * 1000 for p in procs},
        "load_average": os.getloadavg()[0],
    }


def plain_kafka(run: Run, tag: str, ids: set[str]) -> None:
    """kafka-python alone: produce the burst's raw records to a fresh topic, read them back."""
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic

    servers = run.settings.kafka_bootstrap_servers.split(",")
    records = [(k, v) for k, v in read_topic(servers, run.settings.topic_raw) if k.decode() in ids]
    topic = f"{tag}.plain.raw"
    admin = KafkaAdminClient(bootstrap_servers=servers)
    admin.create_topics([NewTopic(topic, run.settings.topic_partitions, 1)])
    admin.close()
    producer = KafkaProducer(
        bootstrap_servers=servers, acks="all", linger_ms=5, max_block_ms=120_000
    )
    producer.partitions_for(topic)  # metadata of the new topic, before the clock starts
    started = time.perf_counter()
    for key, value in records:
        producer.send(topic, key=key, value=value)
    producer.flush()
    produce_s = time.perf_counter() - started
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=servers, group_id=None, enable_auto_commit=False)
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
    consumer.assign(parts)
    consumer.seek_to_beginning()
    started = time.perf_counter()
    got = 0
    deadline = time.monotonic() + 120
    while got < len(records) and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            got += len(batch)
    consume_s = time.perf_counter() - started
    consumer.close()
    run.report["plain_kafka"] = {
        "records": len(records),
        "mean_bytes": statistics.mean(len(v) for _, v in records),
        "produce_per_s": len(records) / produce_s,
        "consume_per_s": got / consume_s,
    }


def read_topic(servers: list[str], topic: str) -> list[tuple[bytes, bytes]]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=servers, group_id=None, enable_auto_commit=False)
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
    consumer.assign(parts)
    consumer.seek_to_beginning()
    ends = consumer.end_offsets(parts)
    out: list[tuple[bytes, bytes]] = []
    while any(consumer.position(p) < ends[p] for p in parts):
        for batch in consumer.poll(timeout_ms=500).values():
            out.extend((r.key, r.value) for r in batch)
    consumer.close()
    return out


def plain_bulk(run: Run, tag: str, ids: set[str]) -> None:
    """``helpers.bulk`` alone: the burst's enriched documents into a fresh index,
    then the alerts the pipeline stored for them into a fresh alerts index: the
    same documents the pipeline wrote, with none of its pace."""
    from elasticsearch import helpers

    from contract.records import decode_enriched
    from processors.alerts.store import ALERTS_MAPPING, ALERTS_SETTINGS
    from search.documents import to_document
    from search.layout import IndexLayout
    from search.provision import provision

    servers = run.settings.kafka_bootstrap_servers.split(",")
    enriched = [decode_enriched(v) for _, v in read_topic(servers, run.settings.topic_enriched)]
    enriched = [e for e in enriched if e.id in ids]
    alerts = [
        {"_index": f"{tag}-plain-news-alerts", "_id": hit["_id"], "_source": hit["_source"]}
        for hit in helpers.scan(
            run.es, index=run.settings.index_alerts, query={"query": {"match_all": {}}}
        )
        if hit["_source"].get("article_id") in ids
    ]
    plain = Settings.from_env(
        index_articles=f"{tag}-plain-news-articles",
        index_alerts=f"{tag}-plain-news-alerts",
        es_url=run.settings.es_url,
    )
    config = provision(run.es, plain)
    run.es.indices.create(
        index=plain.index_alerts, settings=ALERTS_SETTINGS, mappings=ALERTS_MAPPING
    )
    layout = IndexLayout(plain.index_articles)
    es_proc = run.elasticsearch

    def timed_bulk(actions: list[dict[str, Any]], index: str) -> tuple[int, float, float, float]:
        """(indexed, seconds of the bulk, seconds with the refresh, Elasticsearch CPU s)."""
        if es_proc:
            es_proc.begin()
        started = time.perf_counter()
        ok, _ = helpers.bulk(run.es.options(request_timeout=120), actions, chunk_size=500)
        seconds = time.perf_counter() - started
        run.es.indices.refresh(index=index)
        if es_proc:
            es_proc.end()
        return ok, seconds, time.perf_counter() - started, es_proc.cpu if es_proc else 0.0

    try:
        actions = [
            {
                "_index": layout.index_for(e.article.published),
                "_id": e.id,
                "_source": to_document(e, analysed_languages=config.analysed_languages),
            }
            for e in enriched
        ]
        ok, seconds, elapsed, cpu = timed_bulk(actions, plain.index_articles)
        _, _, alerts_elapsed, alerts_cpu = timed_bulk(alerts, plain.index_alerts)
        before = no_index_work()
        n = max(1, len(actions))
        articles_ms = above_background(run, cpu, elapsed, n) if es_proc else None
        alerts_ms = above_background(run, alerts_cpu, alerts_elapsed, n) if es_proc else None
        run.report["plain_bulk"] = {
            "documents": len(actions),
            "indexed": ok,
            "per_s": ok / seconds,
            "alerts": len(alerts),
            "es_index_work_ms_per_doc": work_per_doc(
                before, index_work_ms(run.es, plain.index_articles), n
            ),
            "es_cpu_ms_per_doc": cpu / n * 1000 if es_proc and actions else None,
            "es_cpu_above_background_ms_per_doc": articles_ms,
            # the articles' and their alerts' CPU, per article: the pipeline's work
            "es_cpu_above_background_with_alerts_ms_per_article": (
                articles_ms + alerts_ms
                if articles_ms is not None and alerts_ms is not None
                else None
            ),
        }
    finally:
        drop_indices(run.es, plain)


def unalerted(run: Run, alerting: list[str]) -> dict[str, Any]:
    """The articles expected to alert that did not, told apart: a copy of a story
    that had already alerted (one alert per story: as designed) or lost."""
    missing = [a for a in alerting if a not in run.alerts.first]
    copies, lost = 0, []
    for article in missing:
        try:
            doc = run.es.get(index=run.settings.index_articles, id=article)["_source"]
        except Exception:  # noqa: BLE001 - not indexed at all: lost
            lost.append(article)
            continue
        found = run.es.search(
            index=run.settings.index_alerts,
            size=1,
            query={"term": {"story_id": doc.get("story_id", "")}},
        )["hits"]["hits"]
        if found and found[0]["_source"].get("article_id") != article:
            copies += 1
        else:
            lost.append(article)
    return {"missing": len(missing), "copies_of_alerted_stories": copies, "lost": lost}


def check_loss(run: Run, ids: list[str]) -> None:
    """Every burst article searchable exactly once."""
    found: dict[str, int] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        result = run.es.search(
            index=run.settings.index_articles,
            query={"ids": {"values": chunk}},
            size=len(chunk) * 2,
            source=False,
        )
        for hit in result["hits"]["hits"]:
            found[hit["_id"]] = found.get(hit["_id"], 0) + 1
    run.report["loss"] = {
        "articles": len(ids),
        "searchable": len(found),
        "missing": len(ids) - len(found),
        "duplicates": sum(c - 1 for c in found.values()),
    }


# -- main -----------------------------------------------------------------------


def unalerted_note(phase: dict[str, Any]) -> str:
    """What became of a phase's articles that raised no alert, if any."""
    gone = phase.get("unalerted") or {}
    if not gone.get("missing"):
        return ""
    return (
        f" ({gone['missing']} without: {gone['copies_of_alerted_stories']} copies of "
        f"stories already alerted, {len(gone['lost'])} lost)"
    )


def summary(report: dict[str, Any]) -> str:
    lines = []
    b = report.get("burst")
    if b is None:
        return f"no burst figures ({report.get('error', 'not run')})"

    def ms(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.0f}"

    def lat(d: dict[str, Any]) -> str:
        return (
            f"p50 {ms(d['p50_ms'])} / p95 {ms(d['p95_ms'])} / p99 {ms(d['p99_ms'])} ms "
            f"(n={d['count']})"
        )

    lines.append(
        f"{report['workers']} worker(s), {report['partitions']} partitions; "
        f"{b['feeds']} feeds x {b['items_per_feed']} items = {b['articles']} articles "
        f"of {b['mean_chars']:.0f} characters on average"
    )
    rate = b["feed_to_searchable_per_s"]
    lines.append(
        f"burst: polled in {b['poll_seconds']:.1f}s; all searchable after "
        f"{b['searchable_seconds']:.1f}s -> "
        + (f"{rate:.0f} articles/s feed->searchable" if rate else "NOT all searchable")
    )
    alert_rate = b["feed_to_alert_per_s"]
    lines.append(
        f"       alerts for {b['alerted']}/{b['alerting_articles']} naming articles -> "
        + (f"{alert_rate:.0f} articles/s feed->alert" if alert_rate else "incomplete")
        + unalerted_note(b)
    )
    lines.append(f"       raw->searchable during the burst: {lat(b['raw_to_searchable'])}")
    lines.append("       process            CPU s   ms/article   peak RSS MiB")
    for p in b["processes"]:
        shared = "  (shared server)" if p["shared"] else ""
        lines.append(
            f"       {p['name']:<16}{p['cpu_s']:8.1f}{p['cpu_ms_per_article']:13.2f}"
            f"{p['peak_rss_mib']:15.0f}{shared}"
        )
    for name in ("steady", "alert_rate"):
        s = report.get(name)
        if not s:
            continue
        lines.append(
            f"{name.replace('_', ' ')} at {s['rate']:.0f}/s ({s['articles']} articles, "
            f"produced at {s['produced_per_s']:.0f}/s): searchable {s['searchable']}; "
            f"raw->searchable {lat(s['raw_to_searchable'])}"
        )
        lines.append(
            f"       raw->alert {lat(s['raw_to_alert'])} ({s['alerted']}/"
            f"{s['alerting_articles']} alerted){unalerted_note(s)}; "
            f"load {s['load_average']:.1f}"
        )
    k, pb = report.get("plain_kafka"), report.get("plain_bulk")
    if k and pb:
        lines.append(
            f"plain kafka-python on the same {k['records']} raw records "
            f"({k['mean_bytes']:.0f} bytes): produce {k['produce_per_s']:.0f}/s, "
            f"consume {k['consume_per_s']:.0f}/s"
        )
        lines.append(
            f"plain helpers.bulk of the same {pb['documents']} documents: "
            f"{pb['per_s']:.0f}/s; Elasticsearch CPU {pb['es_cpu_ms_per_doc'] or 0:.2f} "
            "ms per document"
        )
        r = report.get("ratios", {})
        if r.get("pipeline_to_slowest_plain") is not None:
            lines.append(
                f"pipeline / slowest plain client ({r['slowest_plain']}): "
                f"{r['pipeline_to_slowest_plain']:.2f}"
            )
        if r.get("es_cpu_pipeline_to_plain") is not None:
            lines.append(
                "Elasticsearch process CPU per document, pipeline burst / plain bulk: "
                f"{r['es_cpu_pipeline_to_plain']:.2f} (includes other users' load)"
            )
        if r.get("es_cpu_above_background_pipeline_to_plain") is not None:
            lines.append(
                "Elasticsearch CPU per document above its background "
                f"({report['es_background_cpu_ms_per_s']:.0f} ms/s: timers, this script's "
                f"counts): pipeline {b['es_cpu_above_background_ms_per_doc']:.2f} ms, plain "
                f"{pb['es_cpu_above_background_ms_per_doc']:.2f} ms -> "
                f"{r['es_cpu_above_background_pipeline_to_plain']:.2f}"
            )
        if r.get("es_cpu_above_background_pipeline_to_plain_with_alerts") is not None:
            lines.append(
                f"       plain bulk of the articles and then their {pb['alerts']} alerts, the "
                "same documents the pipeline wrote: "
                f"{pb['es_cpu_above_background_with_alerts_ms_per_article']:.2f} ms per "
                f"article -> {r['es_cpu_above_background_pipeline_to_plain_with_alerts']:.2f}"
            )
        if r.get("es_index_work_pipeline_to_plain") is not None:
            lines.append(
                "Elasticsearch indexing+refresh+merge+flush time per document (index stats, "
                f"ours alone): pipeline {b['es_index_work_ms_per_doc']['total']:.2f} ms, plain "
                f"{pb['es_index_work_ms_per_doc']['total']:.2f} ms -> "
                f"{r['es_index_work_pipeline_to_plain']:.2f}"
            )
            for label, work in (
                ("pipeline", b["es_index_work_ms_per_doc"]),
                ("plain", pb["es_index_work_ms_per_doc"]),
            ):
                lines.append(
                    f"       {label}: "
                    + ", ".join(f"{part} {work[part]:.2f}" for part, _ in INDEX_WORK)
                    + f"; {work['operations']:.2f} index operations per document"
                )
            if b.get("es_tasks"):
                lines.append(
                    "       Elasticsearch tasks during the burst, by thread pool: "
                    + ", ".join(f"{k} {v}" for k, v in sorted(b["es_tasks"].items()))
                )
            alerts = b.get("es_alerts_index_work_ms_per_article")
            if alerts:
                lines.append(
                    f"       alerts index, per article of the burst: {alerts['total']:.2f} ms ("
                    + ", ".join(f"{part} {alerts[part]:.2f}" for part, _ in INDEX_WORK)
                    + f"; {alerts['operations']:.2f} index operations)"
                )
    loss = report.get("loss")
    if loss:
        lines.append(
            f"loss check: {loss['searchable']}/{loss['articles']} searchable, "
            f"{loss['missing']} missing, {loss['duplicates']} duplicates"
        )
    lines.append(
        f"load average at the end: {report['load_average_end']:.1f} on {os.cpu_count()} cores"
    )
    return "\n".join(lines)


def ratios(report: dict[str, Any]) -> dict[str, Any]:
    b, k, pb = report["burst"], report.get("plain_kafka"), report.get("plain_bulk")
    out: dict[str, Any] = {}
    if k and pb and b["feed_to_searchable_per_s"]:
        limits = {
            "kafka produce": k["produce_per_s"],
            "kafka consume": k["consume_per_s"],
            "helpers.bulk": pb["per_s"],
        }
        slowest = min(limits, key=limits.get)
        out["slowest_plain"] = slowest
        out["pipeline_to_slowest_plain"] = b["feed_to_searchable_per_s"] / limits[slowest]
    es = next((p for p in b["processes"] if p["name"] == "elasticsearch"), None)
    if es and pb and pb.get("es_cpu_ms_per_doc"):
        out["es_cpu_pipeline_to_plain"] = es["cpu_ms_per_article"] / pb["es_cpu_ms_per_doc"]
    pipeline_es, plain_es = (
        b.get("es_cpu_above_background_ms_per_doc"),
        (pb or {}).get("es_cpu_above_background_ms_per_doc"),
    )
    if pipeline_es is not None and plain_es:
        out["es_cpu_above_background_pipeline_to_plain"] = pipeline_es / plain_es
    with_alerts = (pb or {}).get("es_cpu_above_background_with_alerts_ms_per_article")
    if pipeline_es is not None and with_alerts:
        out["es_cpu_above_background_pipeline_to_plain_with_alerts"] = pipeline_es / with_alerts
    if pb and pb["es_index_work_ms_per_doc"]["total"]:
        out["es_index_work_pipeline_to_plain"] = (
            b["es_index_work_ms_per_doc"]["total"] / pb["es_index_work_ms_per_doc"]["total"]
        )
    return out


def drop_indices(es: Any, settings: Settings) -> None:
    """The run's indices and the templates provisioning made for them."""
    # By name: Elasticsearch refuses to delete indices by a wildcard.
    with contextlib.suppress(Exception):
        names = list(
            es.indices.get(
                index=f"{settings.index_articles}-*,{settings.index_alerts}*",
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        )
        if names:
            es.indices.delete(index=",".join(names))
    for name in (settings.index_articles, settings.index_alerts):
        with contextlib.suppress(Exception):
            es.indices.delete_index_template(name=name)
        for part in ("settings", "mappings"):
            with contextlib.suppress(Exception):
                es.cluster.delete_component_template(name=f"{name}-{part}")


def cleanup(settings: Settings, tag: str, es: Any) -> None:
    from kafka.admin import KafkaAdminClient

    drop_indices(es, settings)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
    try:
        mine = [t for t in admin.list_topics() if t.startswith(tag)]
        if mine:
            admin.delete_topics(mine)
    except Exception as exc:  # noqa: BLE001 - cleanup is best effort
        print(f"(could not delete the run's topics: {exc})")
    finally:
        admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50, help="items per feed")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="newsstream process workers (default: as `newsstream run`, one per core)",
    )
    parser.add_argument("--partitions", type=int, default=4, help="partitions per topic")
    parser.add_argument("--hosts", type=int, default=8, help="loopback addresses serving feeds")
    parser.add_argument("--steady-rate", type=float, default=100.0)
    parser.add_argument("--steady-seconds", type=float, default=30.0)
    parser.add_argument("--alert-rate", type=float, default=200.0)
    parser.add_argument("--alert-seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="40 feeds x 50 items and 10-second rate phases"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--keep-logs",
        action="store_true",
        help="keep the run's directory (worker and poller logs, feeds)",
    )
    parser.add_argument(
        "--worker-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the workers (repeatable)",
    )
    args = parser.parse_args()
    if args.quick:
        args.feeds, args.items = 40, 50
        args.steady_seconds = args.alert_seconds = 10.0

    from search.client import es_client

    tag = "e2e" + uuid.uuid4().hex[:8]
    work = Path(tempfile.mkdtemp(prefix=f"{tag}-"))
    settings = isolated_settings(
        tag[3:],
        work / "data",
        prefix="e2e",
        topic_partitions=args.partitions,
        allow_private_networks=True,
        log_level="WARNING",
    )
    from contract.kafka_admin import ensure_topics

    ensure_topics(settings)
    es = es_client(settings)
    corpus = Corpus(args.seed)
    if args.workers <= 0:
        from newsstream.cli.run_commands import default_workers

        args.workers = default_workers(os.cpu_count(), args.partitions)
    report: dict[str, Any] = {
        "workers": args.workers,
        "partitions": args.partitions,
        "started": utcnow_iso(),
        "load_average_start": os.getloadavg()[0],
    }
    extra_env = dict(item.split("=", 1) for item in args.worker_env)
    print(f"run {tag}: {args.workers} worker(s); logs and feeds in {work}", flush=True)
    # Articles (and the alerts expected of them) are made before any server work.
    warm = corpus.stream(20, f"{tag}-warm")
    feeds = [
        corpus.feed_items(f, args.items, f"https://publisher{f}.bench.example/news")
        for f in range(args.feeds)
    ]
    steady = corpus.stream(int(args.steady_rate * args.steady_seconds), f"{tag}-s")
    alert_rate = corpus.stream(int(args.alert_rate * args.alert_seconds), f"{tag}-a")
    try:
        with contextlib.ExitStack() as stack:
            workers = [
                stack.enter_context(
                    running_worker(
                        settings,
                        log_path=work / f"worker-{i}.log",
                        timeout=180,
                        extra_env=extra_env,
                    )
                )
                for i in range(args.workers)
            ]
            searches = SearchWatcher(es, settings.index_articles)
            alerts = AlertWatcher(settings)
            searches.start()
            alerts.start()
            stack.callback(searches.stop.set)
            stack.callback(alerts.stop.set)
            run = Run(
                settings,
                es,
                searches,
                alerts,
                [Proc(f"worker {i}", w.pid) for i, w in enumerate(workers)],
                server_procs(),
                report,
            )
            at_rate(run, warm, 20.0, "warm_up")  # models loaded, index created, group settled
            report.pop("warm_up")
            report["es_background_cpu_ms_per_s"] = es_background(run)
            print("burst ...", flush=True)
            burst(run, feeds, args.hosts, work)
            burst_ids = run.report.pop("_burst_ids")
            check_loss(run, burst_ids)
            print("steady rate ...", flush=True)
            at_rate(run, steady, args.steady_rate, "steady")
            print("alert rate ...", flush=True)
            at_rate(run, alert_rate, args.alert_rate, "alert_rate")
        print("plain clients ...", flush=True)
        plain_kafka(run, tag, set(burst_ids))
        plain_bulk(run, tag, set(burst_ids))
    except Exception as exc:  # noqa: BLE001 - report the phases that completed
        report["error"] = f"{type(exc).__name__}: {exc}"
        print(f"stopped early: {report['error']}", flush=True)
    finally:
        report["load_average_end"] = os.getloadavg()[0]
        if "burst" in report:
            report["ratios"] = ratios(report)
        cleanup(settings, tag, es)
    print()
    print(summary(report))
    if not report.get("error") and not args.keep_logs:
        shutil.rmtree(work, ignore_errors=True)
    if report.get("error"):
        print(f"(stopped early: {report['error']})")
    else:
        results.write("e2e", report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
