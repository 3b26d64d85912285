"""Feed ingestion throughput: the poller against a naive loop, in one run.

Generates thousands of RSS feeds, serves them from a separate process on
several loopback addresses (so the per-host limit applies as it would across
publishers), each response delayed by ``--latency`` to stand in for the
network (loopback has none, which would hide what concurrency is for), and
measures two cycles into the real Kafka:

* cycle 1: every article is new;
* cycle 2: a few percent of the feeds gained one item, the rest are unchanged.

The poller (``ingest.poller.Poller``: async fetch with conditional GET,
dedup, acks=all idempotent producer) is compared with the naive baseline the
issue names: a sequential loop of ``feedparser.parse(url)`` plus a plain
``KafkaProducer.send`` per entry, no validators and no dedup (so its second
cycle republishes everything). Topics are unique to the run and deleted at
the end. Each baseline cycle is bounded in time; its rates come from the
feeds it got through.

    python benchmarks/ingest_benchmark.py [--feeds 2000] [--items 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from pathlib import Path

import results

WORDS = [
    "government",
    "minister",
    "election",
    "parliament",
    "coalition",
    "budget",
    "protest",
    "capital",
    "president",
    "opposition",
    "agreement",
    "summit",
    "energy",
    "climate",
    "market",
    "inflation",
    "court",
    "police",
    "strike",
    "hospital",
    "school",
    "border",
    "refugees",
    "trade",
    "tariffs",
    "vote",
    "campaign",
    "report",
    "officials",
    "said",
    "on",
    "tuesday",
    "according",
    "to",
    "the",
    "statement",
    "after",
    "talks",
    "with",
    "leaders",
    "in",
    "region",
]
NAMES = [
    "Nicolás Maduro",
    "Juan Guaidó",
    "Angela Merkel",
    "Emmanuel Macron",
    "Pedro Sánchez",
    "Mark Rutte",
    "Theresa May",
    "Jacinda Ardern",
    "Caracas",
    "Berlin",
    "Paris",
    "Madrid",
    "Den Haag",
    "London",
    "Wellington",
    "Brussels",
]


@dataclass
class Phase:
    name: str
    feeds: int
    seconds: float
    articles: int
    not_modified: int = 0
    note: str = ""
    cpu: float = 0.0  # CPU seconds of this process (all threads) during the phase

    @property
    def feeds_per_minute(self) -> float:
        return self.feeds / self.seconds * 60 if self.seconds else 0.0

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0


# -- fixtures --------------------------------------------------------------


def article_html(rng: random.Random, words: int) -> str:
    paras = []
    for _ in range(4):
        sentence = [rng.choice(WORDS) for _ in range(words // 4)]
        sentence[rng.randrange(len(sentence))] = rng.choice(NAMES)
        paras.append("<p>" + escape(" ".join(sentence).capitalize()) + ".</p>")
    return "".join(paras)


def write_feed(path: Path, index: int, items: int, rng: random.Random, extra: int = 0) -> None:
    entries = []
    now = time.time()
    for n in range(items + extra):
        link = f"https://publisher{index % 97}.example/news/{index}/{n}"
        entries.append(
            f"<item><title>Story {index}-{n}: {escape(rng.choice(NAMES))} "
            f"{' '.join(rng.choice(WORDS) for _ in range(6))}</title>"
            f"<link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{formatdate(now - n * 3600, usegmt=True)}</pubDate>"
            f"<description>{escape(article_html(rng, 120))}</description></item>"
        )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Generated feed {index}</title><link>https://publisher{index % 97}.example/</link>"
        f"<description>benchmark</description><language>en</language>{''.join(entries)}"
        "</channel></rss>",
        encoding="utf-8",
    )


SERVER = textwrap.dedent(
    """
    import sys, threading
    from ingest.serve import make_server
    directory, port, hosts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    delay = float(sys.argv[4])
    servers = [
        make_server(directory, f"127.0.0.{h}", port, delay=delay) for h in range(1, hosts + 1)
    ]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("ready", flush=True)
    servers[0].serve_forever()
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the two contestants -----------------------------------------------------


async def poller_cycle(poller, feeds, name: str) -> Phase:
    cpu = time.process_time()
    report = await poller.run_cycle(feeds)
    return Phase(
        name,
        report.feeds,
        report.seconds,
        report.published,
        report.not_modified,
        note=f"{report.errors} errors, {report.items['duplicate']} duplicates skipped",
        cpu=time.process_time() - cpu,
    )


def naive_cycle(urls: list[str], bootstrap: str, topic: str, budget: float, name: str) -> Phase:
    import feedparser
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","))
    cpu = time.process_time()
    started = time.monotonic()
    done = sent = 0
    for url in urls:
        if time.monotonic() - started > budget:
            break
        parsed = feedparser.parse(url)
        for entry in parsed.entries:
            value = json.dumps(
                {
                    "title": entry.get("title"),
                    "link": entry.get("link"),
                    "summary": entry.get("summary"),
                },
                ensure_ascii=False,
            ).encode()
            producer.send(topic, key=(entry.get("link") or "").encode(), value=value)
            sent += 1
        done += 1
    producer.flush()
    seconds = time.monotonic() - started
    cpu = time.process_time() - cpu
    producer.close()
    note = "time budget reached" if done < len(urls) else ""
    return Phase(name, done, seconds, sent, note=note, cpu=cpu)


# -- main --------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=5, help="items per feed")
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses to serve on")
    parser.add_argument(
        "--changed",
        type=float,
        default=0.05,
        help="share of feeds that gain an item before cycle 2",
    )
    parser.add_argument(
        "--baseline-budget", type=float, default=45.0, help="seconds each baseline cycle may take"
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.05,
        help="seconds the server waits before each response, standing in for "
        "network and server time (real feed hosts: 0.05-0.5 s); 0 = none",
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    args = parser.parse_args()
    load = results.load_start()

    from kafka.admin import KafkaAdminClient

    from contract.kafka_admin import ensure_topics, topic_names
    from contract.settings import Settings
    from ingest.feedlist import Feed
    from ingest.metrics import Metrics
    from ingest.poller import Poller

    work = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    feeds_dir = work / "feeds"
    feeds_dir.mkdir()
    rng = random.Random(42)
    print(f"generating {args.feeds} feeds x {args.items} items ...", flush=True)
    for i in range(args.feeds):
        write_feed(feeds_dir / f"feed-{i}.rss", i, args.items, rng)

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER,
            str(feeds_dir),
            str(port),
            str(args.hosts),
            str(args.latency),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    urls = [f"http://127.0.0.{i % args.hosts + 1}:{port}/feed-{i}.rss" for i in range(args.feeds)]
    feeds = [Feed(url=u) for u in urls]

    tag = uuid.uuid4().hex[:8]
    settings = Settings.from_env(
        kafka_bootstrap_servers=args.bootstrap,
        topic_raw=f"bench{tag}.news.articles.raw",
        topic_enriched=f"bench{tag}.enriched",
        topic_alerts=f"bench{tag}.alerts",
        topic_deadletter=f"bench{tag}.deadletter",
        data_dir=str(work / "state"),
        allow_private_networks=True,
    )
    baseline = Settings.from_env(
        kafka_bootstrap_servers=args.bootstrap,
        topic_raw=f"bench{tag}.naive.raw",
        topic_enriched=f"bench{tag}.naive.e",
        topic_alerts=f"bench{tag}.naive.a",
        topic_deadletter=f"bench{tag}.naive.d",
    )
    ensure_topics(settings)
    ensure_topics(baseline)

    import logging

    logging.basicConfig(level=logging.ERROR)
    phases: list[Phase] = []
    try:

        async def run_poller() -> None:
            poller = Poller(settings, metrics=Metrics())
            try:
                phases.append(await poller_cycle(poller, feeds, "poller, cycle 1 (all new)"))
                changed = rng.sample(range(args.feeds), int(args.feeds * args.changed))
                for i in changed:
                    write_feed(feeds_dir / f"feed-{i}.rss", i, args.items, random.Random(i), 1)
                phases.append(await poller_cycle(poller, feeds, "poller, cycle 2 (mostly 304)"))
            finally:
                await poller.aclose()

        asyncio.run(run_poller())
        for n in (1, 2):
            phases.append(
                naive_cycle(
                    urls,
                    args.bootstrap,
                    baseline.topic_raw,
                    args.baseline_budget,
                    f"naive, cycle {n}",
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
        admin = KafkaAdminClient(bootstrap_servers=args.bootstrap.split(","))
        try:
            admin.delete_topics(topic_names(settings) + topic_names(baseline))
        except Exception as exc:  # noqa: BLE001 - cleanup is best effort
            print(f"(could not delete benchmark topics: {exc})")
        admin.close()
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"{args.feeds} feeds x {args.items} items on {args.hosts} loopback hosts, "
        f"{args.latency * 1000:.0f} ms response delay, "
        f"{int(args.changed * 100)}% changed before cycle 2; Kafka {args.bootstrap}"
    )
    print(
        f"{'phase':32} {'feeds':>6} {'seconds':>8} {'feeds/min':>10} {'published':>10} "
        f"{'articles/s':>10} {'304s':>6} {'cpu ms/feed':>11}  note"
    )
    for p in phases:
        cpu_per_feed = p.cpu / p.feeds * 1000 if p.feeds else 0.0
        print(
            f"{p.name:32} {p.feeds:6d} {p.seconds:8.1f} {p.feeds_per_minute:10.0f} "
            f"{p.articles:10d} {p.articles_per_second:10.0f} {p.not_modified:6d} "
            f"{cpu_per_feed:11.1f}  {p.note}"
        )
    for n in (0, 1):
        fast, slow = phases[n], phases[n + 2]
        ratio = fast.feeds_per_minute / slow.feeds_per_minute if slow.feeds_per_minute else 0
        print(f"cycle {n + 1}: poller polls {ratio:.1f}x the feeds per minute of the naive loop")
    fast, slow = phases[0], phases[2]
    if slow.articles_per_second:
        ratio = fast.articles_per_second / slow.articles_per_second
        print(
            f"cycle 1: the poller publishes {ratio:.1f}x the articles per second of the naive "
            "loop (with acks=all and idempotence; the naive producer uses the defaults)"
        )
    print(
        f"cycle 2: poller published {phases[1].articles} (only the changed feeds' new items); "
        f"the naive loop published {phases[3].articles} (everything again, as duplicates)"
    )
    figures = {
        "feeds": args.feeds,
        "items": args.items,
        "hosts": args.hosts,
        "latency_s": args.latency,
        "phases": [
            {
                "name": p.name,
                "feeds": p.feeds,
                "seconds": round(p.seconds, 2),
                "feeds_per_minute": round(p.feeds_per_minute),
                "articles": p.articles,
                "articles_per_s": round(p.articles_per_second, 1),
                "not_modified": p.not_modified,
                "cpu_ms_per_feed": round(p.cpu / p.feeds * 1000, 2) if p.feeds else 0.0,
                "note": p.note,
            }
            for p in phases
        ],
    }
    results.write("ingest_benchmark", figures, started_load=load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
