"""How fast the web pages answer on a realistic index.

Usage::

    python benchmarks/web_benchmark.py [--count 10000] [--rounds 20] [--keep | --index NAME]

Indexes ``--count`` generated articles (the generator of
``indexing_benchmark.py``: 2-5 KB of text, entities, topics, actors, six
months) into a private index layout with the pipeline's bulk indexer, starts
the API (uvicorn, one process, on a free loopback port) and requests each page
kind ``--rounds`` times over HTTP: the search page with words, with filters,
without words, a later page, and an article page. Prints, per kind, the wall
time p50/p95 of a full HTML response, Elasticsearch's own time for the search
(``took``, as the page shows it), and the CPU time per request of this
process (API and client) and of the Elasticsearch process: CPU time is robust
to other load on the machine, wall time is not (the load average is printed
beside it). On an idle machine a page takes about the sum of the two CPU
times. Everything it creates is deleted at the end
unless ``--keep``; ``--index`` reuses a kept index.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import results  # noqa: E402
from indexing_benchmark import index_corpus  # noqa: E402
from procstats import cpu_seconds, stack_pids  # noqa: E402

from contract.settings import Settings  # noqa: E402
from search.api import create_api  # noqa: E402
from search.client import es_client  # noqa: E402
from search.index_template import delete_index_layout  # noqa: E402
from search.provision import provision  # noqa: E402

TOOK = re.compile(r"articles?\s*· (\d+) ms")
PAGES = {
    "search words": "/?q=Maduro",
    "search words+filters": "/?q=Maduro+Caracas&lang=nl&topic=politics&since=90d",
    "search no words": "/",
    "search entity": "/?entity=Angela+Merkel",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--index", default="", help="a layout kept by an earlier --keep run")
    args = parser.parse_args()
    load = results.load_start()

    import uvicorn

    name = args.index or f"bweb{uuid.uuid4().hex[:8]}-news-articles"
    settings = Settings.from_env(index_articles=name, rate_limit=0)  # pages, not the limit
    client = es_client(settings)
    config = provision(client, settings)
    try:
        if not args.index:
            print(f"indexed in {index_corpus(client, config, args.count):.0f} s")
        client.indices.refresh(index=config.layout.alias)
        total = client.count(index=config.layout.alias)["count"]
        print(
            f"{total} articles in {name}; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores"
        )

        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_api(settings, client=client),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        figures: dict = {"articles": total, "rounds": args.rounds, "pages": {}}
        es_pid = stack_pids().get("elasticsearch")
        with httpx.Client(base_url=base, timeout=30) as http:
            first = http.get("/?q=Maduro").text
            cursor = re.search(r'rel="next" href="([^"]+)"', first)
            article = re.search(r'href="(/article/[0-9a-f]+)"', first)
            pages = dict(PAGES)
            if cursor:
                pages["search page 2"] = cursor.group(1).replace("&amp;", "&")
            if article:
                pages["article"] = article.group(1)
            for url in pages.values():  # warm caches once
                assert http.get(url).status_code == 200, url
            print(
                f"{'page':22} {'p50 ms':>8} {'p95 ms':>8} {'ES took p50':>12} "
                f"{'API cpu ms':>11} {'ES cpu ms':>10}"
            )
            for kind, url in pages.items():
                walls, took = [], []
                cpu_before = time.process_time()
                es_before = cpu_seconds(es_pid) if es_pid else 0.0
                for _ in range(args.rounds):
                    t0 = time.perf_counter()
                    response = http.get(url)
                    walls.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
                    found = TOOK.search(response.text)
                    if found:
                        took.append(float(found.group(1)))
                # Client and server share this process: CPU includes both sides.
                cpu = (time.process_time() - cpu_before) * 1000 / args.rounds
                # Elasticsearch's CPU per request (all its threads; other clients of a
                # shared node count too, so this is an upper bound).
                es_cpu = (
                    f"{(cpu_seconds(es_pid) - es_before) * 1000 / args.rounds:.1f}"
                    if es_pid
                    else "-"
                )
                es_took = f"{statistics.median(took):.0f}" if took else "-"
                figures["pages"][kind] = {
                    "p50_ms": round(statistics.median(walls), 1),
                    "p95_ms": round(_pct(walls, 95), 1),
                    "es_took_p50_ms": round(statistics.median(took)) if took else None,
                    "api_cpu_ms": round(cpu, 1),
                    "es_cpu_ms": float(es_cpu) if es_pid else None,
                }
                print(
                    f"{kind:22} {statistics.median(walls):8.1f} {_pct(walls, 95):8.1f} "
                    f"{es_took:>12} {cpu:11.1f} {es_cpu:>10}"
                )
        server.should_exit = True
        thread.join(timeout=10)
        results.write("web_benchmark", figures, started_load=load)
    finally:
        if args.keep or args.index:
            print(f"kept: --index {name}")
        else:
            delete_index_layout(client, config.layout)
        client.close()


if __name__ == "__main__":
    main()
