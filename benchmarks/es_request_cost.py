"""What a bulk request costs Elasticsearch, beyond the documents it carries.

    python benchmarks/es_request_cost.py [--docs 3000] [--sizes 1 5 20 100 500]

Creates alert-sized documents (the alert store's own mapping) in bulks of
each size into a fresh index of the running stack (``deploy/stack up``), and
prints Elasticsearch's CPU per document for each, with its idle background
subtracted, then the cost per request that the difference implies. It is why
the stages batch their requests and why the alert store's "sent" marks ride
on the next claim instead of travelling alone.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import results  # noqa: E402
from procstats import cpu_per_second, cpu_seconds, stack_pids  # noqa: E402

from contract.settings import Settings  # noqa: E402
from processors.alerts.store import ALERTS_MAPPING, ALERTS_SETTINGS  # noqa: E402

DOC = {
    "id": "x",
    "actor_id": "nicolas-maduro",
    "actor_name": "Nicolás Maduro",
    "actor_kind": "person",
    "title": "Maduro zegt dat de economie groeit",
    "snippet": "… de president Nicolás Maduro zei dinsdag in Caracas dat de economie …",
    "matched_text": "Maduro",
    "state": "pending",
    "language": "nl",
    "alerted_at": "2026-03-01T10:00:00.000Z",
}
SETTLE_SECONDS = 1.5  # for the last refresh to happen inside the measurement


def cost_per_doc(es, pid: int, size: int, docs: int, background: float) -> float:
    """Elasticsearch CPU milliseconds per document, creating ``docs`` in bulks of ``size``."""
    index = f"bench-request-cost-{uuid.uuid4().hex[:8]}"
    es.indices.create(
        index=index,
        settings={**ALERTS_SETTINGS, "number_of_replicas": 0, "auto_expand_replicas": False},
        mappings=ALERTS_MAPPING,
    )
    try:
        cpu, started = cpu_seconds(pid), time.monotonic()
        for first in range(0, docs, size):
            ops: list[dict] = []
            for i in range(first, min(docs, first + size)):
                ops += [{"create": {"_index": index, "_id": str(i)}}, DOC]
            es.bulk(operations=ops)
        time.sleep(SETTLE_SECONDS)
        spent = (cpu_seconds(pid) - cpu) * 1000 - background * (time.monotonic() - started)
        return max(0.0, spent) / docs
    finally:
        es.indices.delete(index=index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5, 20, 100, 500])
    args = parser.parse_args()
    load = results.load_start()
    from elasticsearch import Elasticsearch

    pid = stack_pids().get("elasticsearch")
    if pid is None:
        sys.exit("Elasticsearch of the local stack is not running: deploy/stack up")
    es = Elasticsearch(Settings.from_env().es_url, request_timeout=120)
    cost_per_doc(es, pid, 100, 500, 0.0)  # warm up the bulk path
    background = cpu_per_second(pid, 5.0) * 1000  # ms per second
    print(f"Elasticsearch background: {background:.0f} ms of CPU per second (subtracted)")
    print(f"{'docs per bulk':>14}{'ms CPU per doc':>16}")
    costs = {}
    for size in args.sizes:
        docs = max(args.docs // 10, size * 20) if size == 1 else args.docs
        costs[size] = cost_per_doc(es, pid, size, docs, background)
        print(f"{size:>14}{costs[size]:>16.3f}")
    small, large = min(costs), max(costs)
    per_request = (costs[small] - costs[large]) * small / (1 - small / large)
    print(
        f"implied cost of a request beyond its documents: {per_request:.2f} ms of CPU "
        f"(from bulks of {small} and {large})"
    )
    figures = {
        "background_ms_per_s": round(background),
        "ms_cpu_per_doc_by_bulk_size": {str(k): round(v, 4) for k, v in costs.items()},
        "ms_cpu_per_request": round(per_request, 2),
    }
    results.write("es_request_cost", figures, started_load=load)


if __name__ == "__main__":
    main()
