"""Regenerate the figures in README.md and docs/*.md from benchmarks/results/*.json.

    python benchmarks/report.py           # rewrite every marked region
    python benchmarks/report.py --check   # exit 1 when a region is out of date
    python benchmarks/report.py --list    # every results file: command, commit, cores, load

A region is marked in Markdown as::

    <!-- results:NAME -->
    (generated; edits here are overwritten)
    <!-- /results -->

where NAME is a renderer below: a benchmark's name, or ``name.view`` for
another view of the same results file (``e2e.summary``). Each table
ends with the command, commit, cores and load average it was measured at. A
benchmark without a results file renders as "not measured", so no figure
outlives the run that produced it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
REGION = re.compile(r"(<!-- results:([\w.-]+) -->\n)(.*?)(<!-- /results -->)", re.S)
EXCEPT = (":!benchmarks/results", ":!benchmarks/report.py")
CODE = ("contract", "ingest", "search", "processors", "newsstream", "seeds", "benchmarks")

Result = dict[str, Any]


def load(name: str) -> Result | None:
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        return None
    data: Result = json.loads(path.read_text(encoding="utf-8"))
    return data


def code_changed_since(commit: str) -> bool:
    """True when the code (not the docs, not the results, not this script) differs from
    ``commit``."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), "diff", "--quiet", commit, "HEAD", "--", *CODE, *EXCEPT],
        capture_output=True,
    )
    return done.returncode != 0


def command_line(record: Result) -> str:
    """The command as run, with this machine's absolute paths (data directories) as DIR."""
    return re.sub(r"(?<=[\s=])/\S+", "DIR", str(record.get("command") or ""))


def provenance(result: Result) -> str:
    load = " / ".join(f"{x:.1f}" for x in result["load_average"])
    return (
        f"<sub>`{command_line(result)}` at commit `{result['commit'][:10]}`"
        f"{' with uncommitted changes' if result.get('uncommitted_changes') else ''}, "
        f"{result['cores']} cores, load average {load} (1 / 5 / 15 min) at the end, "
        f"{result['finished_at'].replace('T', ' ').rstrip('Z')} UTC</sub>"
    )


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def pct(value: float) -> str:
    return f"{value * 100:.1f}"


# -- renderers: one per region name ------------------------------------------


def e2e(r: Result) -> str:
    f = r["figures"]
    burst = f["burst"]
    procs = {p["name"]: p for p in burst["processes"]}
    workers = " + ".join(
        num(p["cpu_ms_per_article"], 2) for n, p in procs.items() if n.startswith("worker")
    )

    def cpu(name: str) -> str:
        return num(procs[name]["cpu_ms_per_article"], 2) if name in procs else "-"

    rows = [
        ["articles", f"{burst['articles']:,} ({burst['feeds']} feeds x {burst['items_per_feed']})"],
        ["workers, partitions", f"{f['workers']}, {f['partitions']}"],
        ["feed to searchable", f"{num(burst['feed_to_searchable_per_s'])} articles/s"],
        ["feed to alert", f"{num(burst['feed_to_alert_per_s'])} articles/s"],
        [
            "CPU ms per article: poller / workers / Kafka / Elasticsearch",
            f"{cpu('poller')} / {workers} / {cpu('kafka')} / {cpu('elasticsearch')}",
        ],
        [
            "raw to searchable p50 / p95, burst",
            f"{num(burst['raw_to_searchable']['p50_ms'])} / "
            f"{num(burst['raw_to_searchable']['p95_ms'])} ms",
        ],
    ]
    for phase in ("steady", "alert_rate"):
        if phase in f:
            p = f[phase]
            rows.append(
                [
                    f"raw to searchable / to alert p95 at {num(p['rate'])}/s",
                    f"{num(p['raw_to_searchable']['p95_ms'])} / "
                    f"{num(p['raw_to_alert']['p95_ms'])} ms "
                    f"(produced at {num(p['produced_per_s'])}/s)",
                ]
            )
    if "loss" in f:
        loss = f["loss"]
        rows.append(
            [
                "searchable once",
                f"{loss['searchable']:,}/{loss['articles']:,}, {loss['missing']} missing, "
                f"{loss['duplicates']} duplicates; alerts {burst['alerted']}/"
                f"{burst['alerting_articles']}",
            ]
        )
    ratios = f.get("ratios", {})
    if "pipeline_to_slowest_plain" in ratios:
        rows.append(
            [
                "pipeline / slowest plain client",
                f"{ratios['pipeline_to_slowest_plain']:.2f} ({ratios['slowest_plain']})",
            ]
        )
    out = table(["", "figure"], rows)
    if "kafka" in procs and "elasticsearch" in procs:
        total = sum(p["cpu_ms_per_article"] for p in procs.values())
        shared = [n for n, p in procs.items() if p.get("shared")]
        out += (
            f"\n\nCapacity estimate: {r['cores']} cores x 1000 / {total:.2f} ms of CPU per "
            f"article in all processes ≈ {num(r['cores'] * 1000 / total)} articles/s on this "
            f"machine, of which the burst reached {num(burst['feed_to_searchable_per_s'])}."
        )
        if shared:
            out += (
                f" The CPU of {' and '.join(shared)} includes whatever else they served "
                "during the run, so on a busy machine the estimate is low."
            )
    return out


def e2e_summary(r: Result) -> str:
    burst = r["figures"]["burst"]
    busy = ": other work shared the cores" if r["load_average"][0] > r["cores"] else ""
    return (
        f"On {r['cores']} cores shared with Kafka and Elasticsearch, {burst['articles']:,} "
        f"articles from {burst['feeds']} feeds became searchable at "
        f"{num(burst['feed_to_searchable_per_s'])} articles/s and alerted at "
        f"{num(burst['feed_to_alert_per_s'])} articles/s "
        f"(load average {r['load_average'][0]:.1f}{busy}; more in "
        "[docs/benchmarks.md](docs/benchmarks.md#end-to-end))."
    )


def enrichment_speed(r: Result) -> str:
    f = r["figures"]["in_process"]
    cpu = f["cpu_per_article"]
    steps = cpu["steps_ms"]
    out = [
        f"CPU per {cpu['chars']:,}-character article, one `enrich()` call with actor matching "
        f"({cpu['articles']:,} articles, 12 languages):",
        "",
        table(
            ["whole", *steps],
            [[f"{cpu['total_ms']:.3f} ms", *(f"{v:.3f}" for v in steps.values())]],
        ),
        "",
        f"Rates on one core ({f['articles']:,} articles of {f['words_mean']:.0f} words on "
        "average, wall clock, so they fall with the load):",
        "",
        table(
            ["step", "articles/s"],
            [[k, num(v)] for k, v in f["articles_per_s"].items()],
        ),
    ]
    kafka = r["figures"].get("kafka")
    if kafka:
        out += [
            "",
            f"Through {kafka['workers']} `newsstream process --stage enrich` worker(s) on Kafka "
            f"({kafka['articles']:,} articles): {num(kafka['articles_per_s'])} articles/s, "
            f"{kafka['worker_cpu_ms_per_article']:.2f} ms of worker CPU per article.",
        ]
    return "\n".join(out)


def enrichment_quality(r: Result) -> str:
    rows = []
    for lang, data in r["figures"]["public"].items():
        for layer, kinds in data["layers"].items():
            micro = kinds["micro"]
            rows.append(
                [
                    f"{lang} ({data['split']})",
                    layer,
                    pct(micro["precision"]),
                    pct(micro["recall"]),
                    pct(micro["f1"]),
                    *(pct(kinds[k]["f1"]) if k in kinds else "-" for k in ("PER", "ORG", "LOC")),
                ]
            )
    return table(["language", "layer", "P", "R", "F1", "PER F1", "ORG F1", "LOC F1"], rows)


def alert_quality(r: Result) -> str:
    f = r["figures"]
    rows = [[lang, pct(s["precision"]), pct(s["recall"])] for lang, s in f["languages"].items()]
    return (
        f"Layer: {f['layer']}; a watchlist of the {f['persons']} most frequent persons and "
        f"{f['organisations']} organisations per language.\n\n"
        + table(["language", "precision %", "recall %"], rows)
    )


def recognition_speed(r: Result) -> str:
    f = r["figures"]
    rows = []
    for lang, d in f["languages"].items():
        b = d["stage_per_s_per_core_by_batch"]
        rows.append(
            [
                lang,
                num(d["chars_mean"]),
                " / ".join(num(b[k], 1) for k in ("1", "16", "64") if k in b),
                num(d["enrich_article_per_s_per_core"], 1),
                num(d["peak_rss_mib"]),
            ]
        )
    out = [
        table(
            [
                "language",
                "characters",
                "stage, articles/s per core (batch 1 / 16 / 64)",
                "`enrich_article`/s per core",
                "peak MiB",
            ],
            rows,
        )
    ]
    kafka = f.get("kafka")
    if kafka:
        out += [
            "",
            f"Through {kafka['workers']} `newsstream process --stage recognise` worker(s) on "
            f"Kafka ({kafka['articles']} {kafka['language']} articles): "
            f"{kafka['worker_cpu_ms_per_article']:.1f} ms of worker CPU per article, "
            f"{num(kafka['per_s_per_core'], 1)} articles/s per core; {kafka['parked']} parked.",
        ]
    return "\n".join(out)


def relevance(r: Result) -> str:
    settings = r["figures"]["settings"]
    names = list(settings)
    groups = list(next(iter(settings.values())))
    rows = [
        [g, settings[names[0]][g]["queries"]]
        + [
            f"{settings[n][g]['recall_at_10']:.3f} / {settings[n][g]['ndcg_at_10']:.3f}"
            for n in names
        ]
        for g in groups
    ]
    return "Each cell: recall@10 / nDCG@10.\n\n" + table(["queries", "n", *names], rows)


def web_benchmark(r: Result) -> str:
    f = r["figures"]
    rows = [
        [
            page,
            num(p["p50_ms"], 1),
            num(p["p95_ms"], 1),
            num(p["es_took_p50_ms"]),
            num(p["api_cpu_ms"], 1),
            num(p["es_cpu_ms"], 1),
        ]
        for page, p in f["pages"].items()
    ]
    return f"{f['articles']:,} articles, {f['rounds']} requests per page.\n\n" + table(
        ["page", "p50 ms", "p95 ms", "ES took p50 ms", "API CPU ms", "ES CPU ms"], rows
    )


def indexing_benchmark(r: Result) -> str:
    f = r["figures"]
    out = [
        f"{f['articles']:,} articles in bulks of {f['batch']}: the pipeline's indexer "
        f"{num(f['pipeline_docs_per_s'])} docs/s, plain `helpers.bulk` "
        f"{num(f['plain_docs_per_s'])} docs/s (ratio {f['ratio']:.2f}).",
        "",
        table(
            ["query", "p50 ms", "p95 ms"],
            [[k, num(v["p50_ms"], 1), num(v["p95_ms"], 1)] for k, v in f["search_latency"].items()],
        ),
    ]
    return "\n".join(out)


def ingest_benchmark(r: Result) -> str:
    f = r["figures"]
    rows = [
        [
            p["name"],
            num(p["seconds"], 1),
            num(p["feeds_per_minute"]),
            p["articles"],
            num(p["articles_per_s"]),
            p["not_modified"],
            num(p["cpu_ms_per_feed"], 1),
        ]
        for p in f["phases"]
    ]
    return (
        f"{f['feeds']:,} feeds x {f['items']} items on {f['hosts']} loopback hosts, "
        f"{f['latency_s'] * 1000:.0f} ms response delay.\n\n"
        + table(
            ["phase", "seconds", "feeds/min", "published", "articles/s", "304s", "CPU ms/feed"],
            rows,
        )
    )


def es_request_cost(r: Result) -> str:
    f = r["figures"]
    rows = [[k, f"{v:.3f}"] for k, v in f["ms_cpu_per_doc_by_bulk_size"].items()]
    return (
        table(["documents per bulk", "ms CPU per document"], rows)
        + f"\n\nImplied cost of a request beyond its documents: {f['ms_cpu_per_request']:.2f} ms "
        "of Elasticsearch CPU."
    )


def es_pacing_cost(r: Result) -> str:
    f = r["figures"]
    rows = [
        [i, way, f"{w['ms_cpu_per_doc']:.3f}", f"{w['x_bulk']:.2f}", w["refreshes"]]
        for i, ways in enumerate(f["rounds"], 1)
        for way, w in ways.items()
    ]
    return (
        f"{f['docs']:,} documents; paced at {num(f['rate'])}/s from {f['clients']} clients, "
        f"a bulk each every {f['window_s']:g} s.\n\n"
        + table(["round", "way", "ms CPU per doc", "x plain bulk", "refreshes"], rows)
    )


def alert_latency(r: Result) -> str:
    f = r["figures"]
    lat = f.get("raw_to_alert_ms", {})
    return table(
        ["stages", "rate", "alerts", "duplicates", "raw to alert p50 / p95 / p99", "worker CPU"],
        [
            [
                "+".join(f["stages"]),
                f"{num(f['rate'])}/s",
                f"{f['alerts']}/{f['expected_alerts']}",
                f["duplicates"],
                " / ".join(num(lat.get(k)) for k in ("p50", "p95", "p99")) + " ms",
                f"{f['worker_cpu_ms_per_article']:.1f} ms/article",
            ]
        ],
    )


def saved_searches(r: Result) -> str:
    f = r["figures"]
    rows = [
        ["end to end, no saved searches", f"{num(f['without']['rate'])} articles/s"],
        [
            f"end to end, {f['searches']:,} saved searches",
            f"{num(f['with']['rate'])} articles/s ({f['rate_drop'] * 100:.1f} % fewer)",
        ],
    ]
    if "matcher" in f:
        m = f["matcher"]
        rows.append(
            [
                "matching alone (term vectors and match, one process)",
                f"{m['ms_per_article']:.1f} ms per article, batches of {m['batch']}, "
                f"{m['matches'] / m['articles']:.1f} matches per article",
            ]
        )
    for phase in f.get("rates", []):
        lat = phase["raw_to_alert_ms"]
        rows.append(
            [
                f"raw to saved-search alert p50 / p95 at {num(phase['rate'])}/s",
                f"{num(lat['p50'])} / {num(lat['p95'])} ms "
                f"({phase['saved_search_alerts']:,} alerts, {phase['articles']:,} articles; "
                f"actor alerts {num(phase['actor_raw_to_alert_ms']['p50'])} / "
                f"{num(phase['actor_raw_to_alert_ms']['p95'])} ms)",
            ]
        )
    return table(["saved searches", "measured"], rows)


def topic_quality(r: Result) -> str:
    f = r["figures"]
    rows = []
    for name, by in f["sets"].items():
        model, keywords = by["model"], by["keywords"]
        target = f["targets"].get(name)
        rows.append(
            [
                name,
                num(model["mapped"]),
                num(model["top1"], 1),
                num(model["any3"], 1),
                num(model["no_topic"], 1),
                num(keywords["top1"], 1),
                num(target) if target is not None else "-",
            ]
        )
    header = ["set", "items", "first right", "any of 3", "no topic", "keywords first", "target"]
    return table(header, rows)


RENDERERS: dict[str, Callable[[Result], str]] = {
    "e2e": e2e,
    "e2e.summary": e2e_summary,
    "enrichment_speed": enrichment_speed,
    "enrichment_quality": enrichment_quality,
    "alert_quality": alert_quality,
    "alert_quality_complete": alert_quality,
    "recognition_speed": recognition_speed,
    "relevance": relevance,
    "web_benchmark": web_benchmark,
    "indexing_benchmark": indexing_benchmark,
    "ingest_benchmark": ingest_benchmark,
    "es_request_cost": es_request_cost,
    "es_pacing_cost": es_pacing_cost,
    "alert_latency": alert_latency,
    "saved_searches": saved_searches,
    "topic_quality": topic_quality,
}


def first(record: Result, *keys: str) -> Any:
    """The first of ``keys`` a results file has (scripts name their provenance alike, not
    always the same)."""
    for key in keys:
        value = record.get(key)
        if value is not None:
            return value
    return None


def index() -> str:
    """Every results file: what ran, on which commit, under what load."""
    rows = []
    for path in sorted(RESULTS.glob("*.json")):
        r = json.loads(path.read_text(encoding="utf-8"))
        load = first(r, "load_average", "load_average_end", "load_after", "load")
        if isinstance(load, list):
            load = load[0]
        when = str(first(r, "finished_at", "timestamp", "finished", "started") or "-")
        command = command_line(r)
        rows.append(
            [
                f"[{path.name}](../benchmarks/results/{path.name})",
                f"`{command}`" if command else "-",
                f"`{str(first(r, 'commit', 'git_commit') or 'unknown')[:10]}`",
                first(r, "cores", "cpu_count") or "-",
                f"{load:.1f}" if isinstance(load, int | float) else "-",
                when.replace("T", " ").rstrip("Z")[:19],
            ]
        )
    if not rows:
        return "_No results yet._"
    return table(["results", "command", "commit", "cores", "load", "finished (UTC)"], rows)


def render(name: str) -> str:
    if name == "index":
        return index()
    renderer = RENDERERS.get(name)
    if renderer is None:
        raise SystemExit(f"no renderer for <!-- results:{name} --> (known: {sorted(RENDERERS)})")
    benchmark = name.split(".")[0]
    result = load(benchmark)
    if result is None:
        return f"_Not measured at this version: run `python benchmarks/{benchmark}.py`._"
    return renderer(result) + "\n\n" + provenance(result)


def rewrite(text: str) -> str:
    return REGION.sub(lambda m: f"{m.group(1)}{render(m.group(2))}\n{m.group(4)}", text)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument("--list", action="store_true", help="print every results file and stop")
    args = parser.parse_args(argv)
    if args.list:
        print(index())
        return 0
    stale = []
    for path in documents():
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.write_text(new, encoding="utf-8")
    verb = "out of date" if args.check else "rewritten"
    for path in stale:
        print(f"{path}: {verb}")
    for path in sorted(RESULTS.glob("*.json")):
        commit = str(first(json.loads(path.read_text(encoding="utf-8")), "commit", "git_commit"))
        if commit in ("None", "unknown") or code_changed_since(commit):
            print(f"note: {path.name} measured {commit[:10]}; the code has changed since")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
