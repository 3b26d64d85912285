"""What indexing at a live stream's pace costs Elasticsearch, against one plain bulk.

    python benchmarks/es_pacing_cost.py [--docs 8000] [--rate 230] [--rounds 2]

The same enriched documents go into fresh indices of the project's own
template (``deploy/stack up`` must be running), three ways, in turn:

- ``bulk``: ``helpers.bulk`` in chunks of 500 as fast as the server takes
  them (the plain client of ``benchmarks/e2e.py``);
- ``paced``: what the pipeline's indexers do under a stream of ``--rate``
  articles a second: each of ``--clients`` clients sends what arrived in the
  last ``bulk_interval`` (0.5 s; ``--window``) as one bulk, while the index refreshes every
  second and a reader counts the index five times a second (as e2e's watcher);
- ``paced, no refresh``: the same requests with refreshes off until the end,
  which separates the cost of the pace from the cost of refreshing.

It prints Elasticsearch's CPU per document above its idle background, and
each way's ratio to the plain bulk. The pipeline's own ratio in
``benchmarks/e2e.py`` cannot be lower than what the same documents cost
when a plain client sends them at the pipeline's pace.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import results  # noqa: E402
from indexing_benchmark import make_article  # noqa: E402
from procstats import cpu_per_second, cpu_seconds, stack_pids  # noqa: E402

from contract.settings import Settings  # noqa: E402
from search.documents import to_document  # noqa: E402
from search.layout import IndexLayout  # noqa: E402
from search.provision import provision  # noqa: E402

READS_PER_S = 5  # e2e's SearchWatcher counts the index every 0.2 s
BACKGROUND_SECONDS = 4.0
SETTLE_SECONDS = 1.5


def documents(count: int, published: str) -> list:
    """Enriched articles, all published now (one monthly index, as in a live stream)."""
    out = []
    for i in range(count):
        article = make_article(i, now=time.time())
        out.append(replace(article, article=replace(article.article, published=published)))
    return out


def send_paced(
    es: Any, actions: list[dict], rate: float, window: float, clients: int, alias: str
) -> None:
    """``clients`` senders, each a bulk of what arrived in the last ``window``."""
    from elasticsearch import helpers

    stop = threading.Event()

    def reader() -> None:
        while not stop.wait(1 / READS_PER_S):
            es.count(index=alias)

    def sender(k: int) -> None:
        mine = actions[k::clients]
        per_bulk = max(1, round(rate * window / clients))
        due = time.monotonic()
        for first in range(0, len(mine), per_bulk):
            helpers.bulk(es, mine[first : first + per_bulk], chunk_size=per_bulk)
            due += window
            time.sleep(max(0.0, due - time.monotonic()))

    threads = [threading.Thread(target=reader)] + [
        threading.Thread(target=sender, args=(k,)) for k in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join()
    stop.set()
    threads[0].join()


def one_way(es: Any, pid: int, way: str, docs: list, args: argparse.Namespace) -> dict:
    """Index ``docs`` one ``way`` into fresh indices; Elasticsearch CPU per document."""
    from elasticsearch import helpers

    tag = f"bench-pacing-{uuid.uuid4().hex[:8]}"
    settings = Settings.from_env(
        index_articles=f"{tag}-news-articles", index_alerts=f"{tag}-news-alerts", es_url=es_url()
    )
    config = provision(es, settings)
    layout = IndexLayout(settings.index_articles)
    actions = [
        {
            "_index": layout.index_for(e.article.published),
            "_id": e.id,
            "_source": to_document(e, analysed_languages=config.analysed_languages),
        }
        for e in docs
    ]
    try:
        for index in sorted({a["_index"] for a in actions}):
            if not es.indices.exists(index=index):
                es.indices.create(index=index)
            if way == "paced, no refresh":
                es.indices.put_settings(index=index, settings={"index.refresh_interval": "-1"})
        background = cpu_per_second(pid, BACKGROUND_SECONDS)
        cpu, started = cpu_seconds(pid), time.monotonic()
        if way == "bulk":
            helpers.bulk(es, actions, chunk_size=500)
        else:
            send_paced(
                es,
                actions,
                args.rate,
                args.window or settings.bulk_interval,
                args.clients,
                layout.alias,
            )
        es.indices.refresh(index=layout.alias)
        time.sleep(SETTLE_SECONDS)
        seconds = time.monotonic() - started
        spent = cpu_seconds(pid) - cpu - background * seconds
        refreshes = es.indices.stats(index=layout.alias, metric="refresh")["_all"]["total"]
        return {
            "ms_per_doc": max(0.0, spent) * 1000 / len(docs),
            "seconds": seconds,
            "background_ms_per_s": background * 1000,
            "refreshes": refreshes["refresh"]["total"],
        }
    finally:
        for index in es.indices.get(index=f"{settings.index_articles}*"):
            es.indices.delete(index=index)


def es_url() -> str:
    return Settings.from_env().es_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=8000)
    parser.add_argument(
        "--rate",
        type=float,
        default=230.0,
        help="articles a second of the stream (e2e's burst: 230-316)",
    )
    parser.add_argument("--clients", type=int, default=2, help="indexers (e2e: 2 workers)")
    parser.add_argument(
        "--window",
        type=float,
        default=0.0,
        help="seconds a client gathers a bulk (default: bulk_interval)",
    )
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    load = results.load_start()
    from elasticsearch import Elasticsearch

    pid = stack_pids().get("elasticsearch")
    if pid is None:
        sys.exit("Elasticsearch of the local stack is not running: deploy/stack up")
    es = Elasticsearch(es_url(), request_timeout=120)
    published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    docs = documents(args.docs, published)
    one_way(es, pid, "bulk", docs[:500], args)  # warm up the bulk path
    ways = ("bulk", "paced", "paced, no refresh")
    window = args.window or Settings.from_env().bulk_interval
    print(
        f"{args.docs} documents; paced: {args.rate:.0f}/s from {args.clients} clients, "
        f"a bulk per client every {window:g} s, {READS_PER_S} counts a second"
    )
    print(
        f"{'round':>5}  {'way':<18}{'seconds':>8}{'refreshes':>10}{'ms CPU/doc':>11}"
        f"{'x bulk':>8}{'  background ms/s':>18}"
    )
    rounds = []
    for round_ in range(1, args.rounds + 1):
        bulk = None
        rounds.append({})
        for way in ways:
            got = one_way(es, pid, way, docs, args)
            bulk = got["ms_per_doc"] if way == "bulk" else bulk
            ratio = got["ms_per_doc"] / bulk if bulk else float("nan")
            print(
                f"{round_:>5}  {way:<18}{got['seconds']:>8.1f}{got['refreshes']:>10}"
                f"{got['ms_per_doc']:>11.3f}{ratio:>8.2f}{got['background_ms_per_s']:>18.0f}",
                flush=True,
            )
            rounds[-1][way] = {
                "ms_cpu_per_doc": round(got["ms_per_doc"], 3),
                "x_bulk": round(ratio, 2),
                "refreshes": got["refreshes"],
                "background_ms_per_s": round(got["background_ms_per_s"]),
            }
    figures = {
        "docs": args.docs,
        "rate": args.rate,
        "clients": args.clients,
        "window_s": window,
        "rounds": rounds,
    }
    results.write("es_pacing_cost", figures, started_load=load)


if __name__ == "__main__":
    main()
