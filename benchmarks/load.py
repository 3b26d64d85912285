"""Load: concurrent clients on the web page and the API while the service indexes.

Usage::

    flock /tmp/bench.lock python benchmarks/load.py [--count 10000] [--clients 50]
        [--seconds 60] [--feed 20] [--keep | --index NAME]

Indexes ``--count`` generated articles (``indexing_benchmark.py``'s
generator) into a private index layout, starts a real index worker
(``newsstream process --stage index``) fed ``--feed`` new articles a second
through Kafka for the whole run, and serves the desk as deployed
(``newsstream api``, its own process). Then ``--clients`` clients, each
issuing one request after another, alternate between the search page
(``/?q=``) and the API (``/search?q=``) for ``--seconds``: once with the
rate limit off (``NEWSSTREAM_RATE_LIMIT=0``), once with the default limit
(or ``--limit`` and ``--burst``). All clients come from one address, so
with the limit on they share one budget: the 429s are the limit doing its
job, and the latency of what is served shows what it spares the server.

Prints, per phase and kind: requests, served per second, p50/p95/p99 wall
time of the requests served (200), 429s, errors (anything else, timeouts
included), and the indexer's lag (messages produced but not yet committed)
during the phase. Writes ``benchmarks/results/load.json`` (``results.py``:
the commit, command, core count and load average beside the figures).
Everything it creates is deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import results  # noqa: E402
from indexing_benchmark import index_corpus, make_article  # noqa: E402

from contract.isolated import settings_env  # noqa: E402
from contract.kafka_admin import ensure_topics  # noqa: E402
from contract.records import encode  # noqa: E402
from contract.settings import Settings  # noqa: E402
from processors.groups import app_id_for  # noqa: E402
from search.client import es_client  # noqa: E402
from search.index_template import delete_index_layout  # noqa: E402
from search.provision import provision  # noqa: E402

QUERIES = ("Maduro", "Caracas", "Angela Merkel", "election", "Maduro Caracas", "")
KINDS = {"page": "/", "api": "/search"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# -- the indexing that goes on meanwhile ----------------------------------------


class Feed:
    """Publishes ``rate`` new articles a second to the enriched topic; samples the lag."""

    def __init__(self, settings: Settings, rate: float, first: int) -> None:
        self.settings = settings
        self.rate = rate
        self.next = first
        self.produced = 0
        self.samples: list[tuple[float, int]] = []  # (monotonic time, lag)
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._produce, daemon=True),
            threading.Thread(target=self._sample, daemon=True),
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)

    def _produce(self) -> None:
        from kafka import KafkaProducer

        producer = KafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, linger_ms=5, acks=1
        )
        started = time.monotonic()
        try:
            while not self.stop.is_set():
                due = int((time.monotonic() - started) * self.rate)
                while self.produced < due:
                    article = make_article(self.next, now=time.time())
                    self.next += 1
                    producer.send(
                        self.settings.topic_enriched, key=article.id.encode(), value=encode(article)
                    )
                    self.produced += 1
                producer.flush()
                self.stop.wait(0.1)
        finally:
            producer.close()

    def committed(self) -> int:
        from kafka import KafkaAdminClient

        group = app_id_for(self.settings, ("index",))
        admin = KafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        try:
            offsets = admin.list_group_offsets(group).get(group, {})
        finally:
            admin.close()
        topic = self.settings.topic_enriched
        return sum(m.offset for tp, m in offsets.items() if tp.topic == topic and m.offset > 0)

    def _sample(self) -> None:
        while not self.stop.wait(2.0):
            with contextlib.suppress(Exception):
                self.samples.append((time.monotonic(), self.produced - self.committed()))

    def lag_between(self, start: float, end: float) -> dict[str, float]:
        lags = [lag for at, lag in self.samples if start <= at <= end]
        return {
            "max": max(lags, default=-1),
            "median": pct([float(x) for x in lags], 50) if lags else -1,
            "last": lags[-1] if lags else -1,
        }


# -- the clients ----------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    requests: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    limited: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))


async def drive(base: str, clients: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base, timeout=30.0, limits=limits) as http:

        async def client(n: int) -> None:
            i = n
            while time.monotonic() < deadline:
                kind = "page" if i % 2 == 0 else "api"
                query = QUERIES[i % len(QUERIES)]
                i += 1
                started = time.perf_counter()
                tally.requests[kind] += 1
                try:
                    response = await http.get(KINDS[kind], params={"q": query})
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                took = time.perf_counter() - started
                if status == 200:
                    tally.latencies[kind].append(took)
                elif status == 429:
                    tally.limited[kind] += 1
                    await asyncio.sleep(0.05)  # a client told to slow down pauses a moment
                else:
                    tally.errors[kind] += 1

        await asyncio.gather(*(client(n) for n in range(clients)))
    return tally


@contextlib.contextmanager
def serving(env: dict[str, str], log_path: Path):
    port = free_port()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "newsstream", "api", "--port", str(port)],
            env={**env, "NEWSSTREAM_LOG_LEVEL": "WARNING"},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the API did not start:\n{log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def phase(
    name: str, env: dict[str, str], args: argparse.Namespace, feed: Feed, data: Path
) -> dict[str, Any]:
    with serving(env, data / f"api-{name}.log") as base:
        httpx.get(f"{base}/", params={"q": "Maduro"}, timeout=30)  # warm the caches once
        start = time.monotonic()
        tally = asyncio.run(drive(base, args.clients, args.seconds))
        end = time.monotonic()
    out: dict[str, Any] = {"lag": feed.lag_between(start, end), "kinds": {}}
    for kind in KINDS:
        served = tally.latencies[kind]
        out["kinds"][kind] = {
            "requests": tally.requests[kind],
            "served_per_s": round(len(served) / (end - start), 1),
            "p50_ms": round(pct(served, 50) * 1000, 1),
            "p95_ms": round(pct(served, 95) * 1000, 1),
            "p99_ms": round(pct(served, 99) * 1000, 1),
            "limited_429": tally.limited[kind],
            "errors": tally.errors[kind],
        }
    return out


def report(figures: dict[str, Any]) -> None:
    print(
        f"{'phase':<14} {'kind':<5} {'requests':>8} {'served/s':>9} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'429':>6} {'errors':>6}   indexer lag (max/last)"
    )
    for name, result in figures["phases"].items():
        lag = result["lag"]
        for kind, k in result["kinds"].items():
            print(
                f"{name:<14} {kind:<5} {k['requests']:>8} {k['served_per_s']:>9} "
                f"{k['p50_ms']:>8} {k['p95_ms']:>8} {k['p99_ms']:>8} {k['limited_429']:>6} "
                f"{k['errors']:>6}   {lag['max']}/{lag['last']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--feed", type=float, default=20.0, help="new articles a second")
    parser.add_argument(
        "--limit",
        type=float,
        default=None,
        help="requests a second per client (default: the setting's)",
    )
    parser.add_argument("--burst", type=int, default=None, help="burst (default: the setting's)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--index", default="", help="a layout kept by an earlier --keep run")
    args = parser.parse_args()

    tag = uuid.uuid4().hex[:8]
    data = Path(f"/tmp/bload{tag}")
    data.mkdir(parents=True)
    settings = replace(
        Settings.from_env(),
        topic_raw=f"bload{tag}.raw",
        topic_enriched=f"bload{tag}.enriched",
        topic_alerts=f"bload{tag}.alerts",
        topic_deadletter=f"bload{tag}.deadletter",
        processor_group=f"bload{tag}",
        index_articles=args.index or f"bload{tag}-news-articles",
        data_dir=str(data),
    )
    if args.limit is not None:
        settings = replace(settings, rate_limit=args.limit)
    if args.burst is not None:
        settings = replace(settings, rate_burst=args.burst)
    client = es_client(settings)
    config = provision(client, settings)
    ensure_topics(settings)
    started_load = results.load_start()
    feed = Feed(settings, args.feed, first=args.count + 1_000_000)
    worker = None
    try:
        if not args.index:
            seconds = index_corpus(client, config, args.count)
            print(f"indexed {args.count} articles in {seconds:.0f} s")
        client.indices.refresh(index=config.layout.alias)
        total = client.count(index=config.layout.alias)["count"]
        env = settings_env(settings)
        worker_log = open(data / "worker.log", "wb")  # noqa: SIM115 - closed below
        worker = subprocess.Popen(
            [sys.executable, "-m", "newsstream", "process", "--stage", "index"],
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        feed.start()
        print(
            f"{total} articles in {settings.index_articles}; indexing {args.feed:g} more a "
            f"second meanwhile; {args.clients} clients for {args.seconds:g} s per phase; "
            f"load average {started_load:.1f} on {os.cpu_count()} cores",
            flush=True,
        )
        phases = {
            "no limit": phase("nolimit", {**env, "NEWSSTREAM_RATE_LIMIT": "0"}, args, feed, data),
            "rate limit": phase("limit", env, args, feed, data),
        }
        figures = {
            "articles_indexed": total,
            "clients": args.clients,
            "seconds_per_phase": args.seconds,
            "feed_per_s": args.feed,
            "rate_limit": {"per_s": settings.rate_limit, "burst": settings.rate_burst},
            "produced_meanwhile": feed.produced,
            "phases": phases,
        }
        report(figures)
        results.write("load", figures, started_load=started_load)
    finally:
        feed.close()
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        if not args.keep:
            delete_index_layout(client, config.layout)
            _delete_topics(settings)


def _delete_topics(settings: Settings) -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        names = [
            settings.topic_raw,
            settings.topic_enriched,
            settings.topic_alerts,
            settings.topic_deadletter,
        ]
        with contextlib.suppress(Exception):
            admin.delete_topics(names)
    finally:
        admin.close()


if __name__ == "__main__":
    main()
