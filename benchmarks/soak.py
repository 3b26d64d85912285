"""Months of traffic in minutes: does every store stop growing past the retention window?

    python benchmarks/soak.py                 # 180 simulated days at 50,000 articles/day
    python benchmarks/soak.py --quick         # the same shape, scaled down: a few minutes

One clock (``contract.clock.ManualClock``) drives the components that take
the time: the driver moves it a simulated day at a time and tells two
processes where it stands. The *poller* process runs the real poller and
state (``ingest.poller.Poller``, retention pruning included) against
generated feeds (``benchmarks/newsgen.py``) that publish a steady stream of
dated items, repeat the newest ones (duplicates) and bring back a few old
ones from 40-90 days before (the edge rule must keep them out), publishing
into a real Kafka topic. The *worker* process reads that topic and does what
the workers do with each article, in the same code: enrichment onto the
enriched topic, bulk indexing into the monthly indices, alert decisions into
the alerts index and onto the alerts topic; once a simulated day it applies
the articles' retention and prunes the alert history.

Printed per simulated week, and written with ``--quick`` to
``benchmarks/results/soak.json``: the poller's state rows and file size, the
articles and alerts in Elasticsearch (documents and bytes, the largest of the
week's daily readings: a monthly index leaves at once), the records each
topic's time retention keeps at that simulated moment (the broker deletes on
its own clock, so they are counted with its offsets for the real instant that
corresponds to the window's start), the poller's and the worker's RSS, and
the time of a dedup lookup. The closing check compares each store's largest
size in the last four simulated weeks with the four before.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import results  # noqa: E402
from newsgen import Item, NewsText, StreamFeeds  # noqa: E402
from runs import drop_run  # noqa: E402

from contract.clock import DAY, ManualClock  # noqa: E402
from contract.isolated import isolated_settings  # noqa: E402
from contract.settings import Settings  # noqa: E402

RESULTS = HERE / "results" / "soak.json"
RESURFACED = 2  # old items (40-90 days) each feed shows again on each read
LOOKUPS = 2000  # dedup lookups timed per week


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- the poller process -----------------------------------------------------


class SimFetcher:
    """Serves the generated feeds as they stand at the simulated now."""

    def __init__(self, feeds: StreamFeeds, clock: ManualClock, base: str) -> None:
        self.feeds, self.clock, self.base = feeds, clock, base

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None):
        from ingest.fetch import FetchResult

        number = int(url.rsplit("/", 1)[1])
        now = self.clock()
        items = self.feeds.items(number, now)
        rng = random.Random(f"{number}/{now}")
        for _ in range(RESURFACED):
            age = rng.uniform(40, 90) * DAY
            n = self.feeds.newest(now - age)
            if n >= 0:
                items.append(self._item(number, n))
        return FetchResult(url, url, 200, body=self._rss(number, items), content_type="rss")

    def _item(self, feed: int, n: int) -> Item:
        f = self.feeds
        return f.text.item(feed, n, f.base_url, f.start + n / f.per_second, short=f.short)

    def _rss(self, feed: int, items: list[Item]) -> bytes:
        from email.utils import formatdate
        from html import escape

        entries = "".join(
            f"<item><title>{escape(i.title)}</title><link>{escape(i.url)}</link>"
            f"<pubDate>{formatdate(i.published, usegmt=True)}</pubDate>"
            f"<description>{escape(' '.join(i.paragraphs))}</description></item>"
            for i in items
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Soak {feed}</title><link>https://soak.example/</link>"
            f"<language>{self.feeds.text.lang_of(feed)}</language>{entries}</channel></rss>"
        ).encode()

    async def aclose(self) -> None:
        pass


def poller_main(conn: Any, settings: Settings, feeds: StreamFeeds) -> None:
    from ingest.feedlist import Feed
    from ingest.metrics import Metrics
    from ingest.poller import Poller
    from ingest.publish import Publisher
    from ingest.state import State

    clock = ManualClock(feeds.start)
    metrics = Metrics()
    state = State.open(settings.data_path, clock=clock, retention_days=settings.retention_days)
    base = "https://feeds.soak.example/feed"
    poller = Poller(
        settings,
        state=state,
        fetcher=SimFetcher(feeds, clock, base),  # type: ignore[arg-type]
        publisher=Publisher(settings, metrics=metrics),
        metrics=metrics,
        clock=clock,
    )
    listed = [Feed(url=f"{base}/{f}", name=f"soak {f}") for f in range(feeds.feeds)]
    loop = asyncio.new_event_loop()
    totals = {"published": 0, "expired": 0, "duplicate": 0}
    while True:
        command, now = conn.recv()
        if command == "stop":
            break
        clock.now = now
        if command == "cycle":
            report = loop.run_until_complete(poller.run_cycle(listed))
            totals["published"] += report.published
            totals["expired"] += report.items["expired"]
            totals["duplicate"] += report.items["duplicate"]
            conn.send(dict(totals))
        elif command == "figures":
            conn.send(poller_figures(state, settings, feeds, now) | {"poller_rss_kib": rss_kib()})
    loop.run_until_complete(poller.aclose())
    conn.send("stopped")


def poller_figures(state: Any, settings: Settings, feeds: StreamFeeds, now: float) -> dict:
    rows = state.row_counts()
    path = settings.data_path / state.FILENAME
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    # half recent ids (known), half never seen
    rng = random.Random(int(now))
    newest = feeds.newest(now)
    ids = []
    from contract.ids import article_id

    for k in range(LOOKUPS):
        feed = rng.randrange(feeds.feeds)
        n = rng.randrange(max(1, newest - int(feeds.per_second * 20 * DAY)), newest + 1)
        url = f"{feeds.base_url}/{feed}/{n}" if k % 2 else f"https://unknown.example/{k}/{now}"
        ids.append(article_id(url))
    timings = []
    for i in ids:
        started = time.perf_counter()
        state.lookup(i)
        timings.append(time.perf_counter() - started)
    return {
        "state_seen_rows": rows["seen"],
        "state_pending_rows": rows["pending"],
        "state_feeds_rows": rows["feeds"],
        "state_file_bytes": size,
        "dedup_lookup_us_median": round(statistics.median(timings) * 1e6, 2),
        "dedup_lookup_us_p99": round(sorted(timings)[int(0.99 * len(timings))] * 1e6, 2),
    }


# -- the worker process -----------------------------------------------------


def worker_main(conn: Any, settings: Settings) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    from contract.records import decode_article, encode
    from processors.alerts.decide import decide
    from processors.alerts.store import AlertStore
    from processors.enrichment.pipeline import enrich
    from processors.enrichment.watchlist import default_watchlist_path, load_watchlist
    from search.bulk_indexer import BulkIndexer
    from search.client import async_es_client, es_client
    from search.provision import provision
    from search.retention import apply_retention

    clock = ManualClock()
    servers = settings.kafka_bootstrap_servers.split(",")
    consumer = KafkaConsumer(
        settings.topic_raw,
        bootstrap_servers=servers,
        group_id=settings.processor_group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_poll_records=1000,
    )
    producer = KafkaProducer(bootstrap_servers=servers, linger_ms=50)
    es = es_client(settings)
    config = provision(es, settings)
    indexer = BulkIndexer(es, replace(config, refresh=False))
    watchlist = load_watchlist(default_watchlist_path())
    loop = asyncio.new_event_loop()
    store = AlertStore(async_es_client(settings), settings.index_alerts, clock=clock)
    totals = {"articles": 0, "alerts": 0, "old_republished": 0}
    while True:
        command, now, expected = conn.recv()
        if command == "stop":
            break
        clock.now = now
        if command == "work":
            cutoff = now - settings.retention_days * DAY - DAY  # a day's slack for the cycle
            while totals["articles"] < expected:
                polled = consumer.poll(timeout_ms=1000)
                records = [r for batch in polled.values() for r in batch]
                if not records:
                    continue
                batch, alerts = [], []
                for record in records:
                    article = decode_article(record.value)
                    if datetime.fromisoformat(article.published).timestamp() < cutoff:
                        totals["old_republished"] += 1
                    enriched = enrich(
                        article, raw_timestamp_ms=int(now * 1000), watchlist=watchlist
                    )
                    value = encode(enriched)
                    producer.send(settings.topic_enriched, key=article.id.encode(), value=value)
                    batch.append((record.offset, enriched))
                    alerts += decide(enriched, enriched.actors, now_ms=int(now * 1000))
                indexer.index(batch)
                if alerts:
                    claimed = loop.run_until_complete(store.claim_many(alerts))
                    for alert, first in zip(alerts, claimed, strict=True):
                        if first is True:
                            producer.send(
                                settings.topic_alerts, key=alert.id.encode(), value=encode(alert)
                            )
                            totals["alerts"] += 1
                    loop.run_until_complete(store.flush_marks())
                totals["articles"] += len(records)
                consumer.commit()
            producer.flush()
            when = datetime.fromtimestamp(now, UTC)
            apply_retention(es, config.layout, retention_days=settings.retention_days, now=when)
            loop.run_until_complete(store.prune(settings.retention_days))
            conn.send(dict(totals) | {"worker_rss_kib": rss_kib()})
    consumer.close()
    producer.close()
    loop.run_until_complete(store.close())
    es.close()
    conn.send("stopped")


# -- the driver -------------------------------------------------------------


class Topics:
    """Records each topic's time retention keeps at a simulated moment."""

    def __init__(self, settings: Settings) -> None:
        from kafka import KafkaConsumer

        from contract.kafka_admin import topic_configs

        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers.split(","), group_id=None
        )
        self.settings = settings
        self.names = {
            "raw_topic": settings.topic_raw,
            "enriched_topic": settings.topic_enriched,
            "alerts_topic": settings.topic_alerts,
            "deadletter_topic": settings.topic_deadletter,
        }
        self.retention = {
            key: int(topic_configs(settings, name)["retention.ms"]) / 1000
            for key, name in self.names.items()
        }
        self.real_at: list[tuple[float, float]] = []  # (simulated, real) instants

    def mark(self, simulated: float) -> None:
        self.real_at.append((simulated, time.time()))

    def real_of(self, simulated: float) -> float:
        """The real instant the simulation passed ``simulated`` (0: before it began)."""
        real = 0.0
        for sim, at in self.real_at:
            if sim > simulated:
                break
            real = at
        return real

    def kept(self, now: float) -> dict[str, int]:
        from kafka import TopicPartition

        out = {}
        for key, name in self.names.items():
            parts = [
                TopicPartition(name, p) for p in self.consumer.partitions_for_topic(name) or []
            ]
            if not parts:
                out[f"{key}_records"] = 0
                continue
            ends = self.consumer.end_offsets(parts)
            since = int(self.real_of(now - self.retention[key]) * 1000)
            starts = self.consumer.offsets_for_times({tp: since for tp in parts})
            out[f"{key}_records"] = sum(
                ends[tp] - (starts[tp].offset if starts[tp] else ends[tp]) for tp in parts
            )
        return out


def es_figures(settings: Settings) -> dict[str, int]:
    from elasticsearch import Elasticsearch

    from search.layout import IndexLayout

    es = Elasticsearch(settings.es_url, request_timeout=60)
    try:
        out = {}
        for key, pattern in (
            ("articles", IndexLayout(settings.index_articles).pattern),
            ("alerts", f"{settings.index_alerts}*"),
        ):
            es.indices.refresh(index=pattern, allow_no_indices=True, ignore_unavailable=True)
            stats = es.indices.stats(index=pattern, metric="docs,store")
            total = stats["_all"].get("primaries", {})
            out[f"es_{key}_docs"] = int(total.get("docs", {}).get("count", 0))
            out[f"es_{key}_bytes"] = int(total.get("store", {}).get("size_in_bytes", 0))
            if key == "articles":
                out["es_articles_indices_count"] = len(stats["indices"])
        return out
    finally:
        es.close()


def month_check(weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Each store's largest size in the last four weeks against the four before."""
    if len(weeks) < 8:
        return {}
    last, before = weeks[-4:], weeks[-8:-4]
    out = {}
    sizes = [
        k
        for k in weeks[-1]
        if k.endswith(("_rows", "_bytes", "_docs", "_count", "_records")) and "_total" not in k
    ]
    for key in sizes + ["poller_rss_kib", "worker_rss_kib", "dedup_lookup_us_median"]:
        a = max(w[key] for w in before)
        b = max(w[key] for w in last)
        change = 0.0 if a == b else (100.0 * (b - a) / a if a else float("inf"))
        out[key] = {"month_before_max": a, "last_month_max": b, "change_pct": round(change, 1)}
    lookups_first = weeks[3]["dedup_lookup_us_median"] if len(weeks) > 3 else None
    out["dedup_lookup_us_after_first_month"] = lookups_first
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="scaled down, a few minutes")
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--per-day", type=int, default=None, help="new articles a day")
    parser.add_argument("--feeds", type=int, default=None)
    parser.add_argument("--retention-days", type=int, default=30)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    per_day = args.per_day or (200 if args.quick else 50_000)
    feed_count = args.feeds or (20 if args.quick else 500)
    out_path = args.json or (RESULTS if args.quick else None)

    tag = uuid.uuid4().hex[:8]
    work = args.work or Path(os.environ.get("TMPDIR", "/tmp")) / f"newsstream-soak-{tag}"
    settings = isolated_settings(
        tag, work / "data", prefix="soak", retention_days=args.retention_days
    )
    from contract.kafka_admin import ensure_topics

    ensure_topics(settings)
    start = time.time()
    per_feed_s = per_day / feed_count / DAY
    feeds = StreamFeeds(
        NewsText(),
        feed_count,
        per_feed_s,
        start,
        window=max(4, int(1.5 * per_day / feed_count)),  # a day's new items and half a day's old
        short=args.quick,
    )
    print(
        f"soak {tag}: {args.days} simulated days, {per_day} articles/day from {feed_count} "
        f"feeds, retention {args.retention_days} days",
        flush=True,
    )
    ctx = multiprocessing.get_context("spawn")
    poller_end, poller_conn = ctx.Pipe()
    worker_end, worker_conn = ctx.Pipe()
    poller = ctx.Process(target=poller_main, args=(poller_end, settings, feeds), name="poller")
    worker = ctx.Process(target=worker_main, args=(worker_end, settings), name="worker")
    poller.start()
    worker.start()
    topics = Topics(settings)
    weeks: list[dict[str, Any]] = []
    es_peak: dict[str, int] = {}
    began = time.monotonic()
    try:
        for day in range(1, args.days + 1):
            now = start + day * DAY
            topics.mark(now)
            poller_conn.send(("cycle", now))
            ptotals = poller_conn.recv()
            worker_conn.send(("work", now, ptotals["published"]))
            wtotals = worker_conn.recv()
            for key, value in es_figures(settings).items():  # the week's peak: indices
                es_peak[key] = max(es_peak.get(key, 0), value)  # leave a month at a time
            if day % 7:
                continue
            poller_conn.send(("figures", now))
            figures = poller_conn.recv()
            week = {
                "week": day // 7,
                "day": day,
                **figures,
                **es_peak,
                **topics.kept(now),
                "worker_rss_kib": wtotals["worker_rss_kib"],
                "published_total": ptotals["published"],
                "expired_total": ptotals["expired"],
                "duplicate_total": ptotals["duplicate"],
                "alerts_total": wtotals["alerts"],
                "old_republished_total": wtotals["old_republished"],
                "elapsed_s": round(time.monotonic() - began, 1),
            }
            weeks.append(week)
            es_peak = {}
            print(
                f"week {week['week']:3d}: state {week['state_seen_rows']} ids "
                f"{week['state_file_bytes'] / 1e6:.1f} MB | ES {week['es_articles_docs']} articles "
                f"in {week['es_articles_indices_count']} indices, "
                f"{week['es_alerts_docs']} alerts | "
                f"topics kept raw {week['raw_topic_records']} enriched "
                f"{week['enriched_topic_records']} alerts {week['alerts_topic_records']} | RSS "
                f"poller {week['poller_rss_kib'] / 1024:.0f} MB worker "
                f"{week['worker_rss_kib'] / 1024:.0f} MB | lookup "
                f"{week['dedup_lookup_us_median']:.1f} us | published {week['published_total']}, "
                f"too old {week['expired_total']}, old republished "
                f"{week['old_republished_total']} ({week['elapsed_s']:.0f}s)",
                flush=True,
            )
    finally:
        for conn in (poller_conn, worker_conn):
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(("stop", 0.0) if conn is poller_conn else ("stop", 0.0, 0))
        poller.join(60)
        worker.join(60)
    check = month_check(weeks)
    report = {
        "benchmark": "soak",
        "git_commit": results.commit(),
        "cores": os.cpu_count(),
        "load_average_end": os.getloadavg()[0],
        "quick": args.quick,
        "days": args.days,
        "articles_per_day": per_day,
        "feeds": feed_count,
        "retention_days": args.retention_days,
        "kafka_retention_hours": settings.kafka_retention_hours,
        "seconds": round(time.monotonic() - began, 1),
        "weeks": weeks,
        "last_month_vs_month_before": check,
    }
    print(json.dumps({k: v for k, v in report.items() if k != "weeks"}, indent=1))
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(report, indent=1))
    drop_run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
