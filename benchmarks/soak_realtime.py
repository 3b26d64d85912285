"""One hour of ``newsstream run`` at a steady rate: does anything grow or fall behind?

    nice -n 10 python benchmarks/soak_realtime.py              # 60 minutes, 50 articles/s
    python benchmarks/soak_realtime.py --minutes 5 --rate 20   # a short look

Serves ``--feeds`` generated feeds on loopback (``benchmarks/newsgen.py``;
each gains ``rate / feeds`` dated items a second and shows its newest 2x a
poll's worth, so every poll brings new items and repeats old ones), and runs
the whole service as a user would, ``newsstream run`` with its poller,
workers, recogniser and API, on topics, indices and a data directory private
to the run. Every minute it prints the resident memory of every process of
the service, their open file descriptors, and the Kafka consumer lag of each
consumer group (records, and the age of the oldest record not yet processed
in seconds). Writes every sample and a summary (memory growth after the first
ten minutes, the largest lag) to ``benchmarks/results/soak_realtime.json``
with the git commit, core count and load. Topics and indices of the run are
deleted at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import results  # noqa: E402
from newsgen import NewsText, StreamFeeds  # noqa: E402
from procstats import memory_kib, stack_pids, tree_pids  # noqa: E402
from runs import drop_run  # noqa: E402

from contract.settings import PREFIX, Settings  # noqa: E402

RESULTS = HERE / "results" / "soak_realtime.json"
WARMUP_MINUTES = 10  # memory growth is measured from here to the end
POLL_INTERVAL = 30.0  # seconds between two polls of a feed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_feeds(feeds: StreamFeeds) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            try:
                number = int(self.path.strip("/").split("/")[-1].removesuffix(".xml"))
            except ValueError:
                self.send_error(404)
                return
            body = feeds.rss(number, time.time())
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def role(pid: int) -> str:
    """A process of the service by its command line."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return "gone"
    if "poll" in args:
        return "poller"
    if "recognise" in args:
        return "recogniser"
    if "process" in args:
        return "worker"
    if "api" in args:
        return "api"
    if "run" in args:
        return "supervisor"
    return Path(args[0]).name if args and args[0] else "other"


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def processes(run_pid: int) -> dict[str, dict[str, int]]:
    """RSS (KiB) and open fds of every process of the service, by role (worker-1 ...)."""
    out: dict[str, dict[str, int]] = {}
    counts: dict[str, int] = {}
    for pid in sorted(tree_pids(run_pid)):
        name = role(pid)
        if name in ("gone", "nice", "other"):
            continue
        counts[name] = counts.get(name, 0) + 1
        label = f"{name}-{counts[name]}" if name in ("worker", "recogniser") else name
        try:
            rss, _ = memory_kib(pid)
        except OSError:
            continue
        out[label] = {"pid": pid, "rss_kib": rss, "fds": open_fds(pid)}
    for name, pid in stack_pids().items():
        with contextlib.suppress(OSError):
            out[name] = {"pid": pid, "rss_kib": memory_kib(pid)[0], "fds": open_fds(pid)}
    return out


class Lag:
    """Consumer lag of the run's groups: records behind, and the oldest one's age."""

    def __init__(self, settings: Settings) -> None:
        from kafka import KafkaAdminClient, KafkaConsumer

        servers = settings.kafka_bootstrap_servers.split(",")
        self.settings = settings
        self.admin = KafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=15000)
        self.consumer = KafkaConsumer(
            bootstrap_servers=servers,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            request_timeout_ms=15000,
        )

    def groups(self) -> list[str]:
        prefix = self.settings.processor_group
        found = [g["group_id"] for g in self.admin.list_groups()]
        return sorted(g for g in found if g.startswith(prefix))

    def measure(self) -> dict[str, dict[str, float]]:
        from kafka import TopicPartition

        topics = (self.settings.topic_raw, self.settings.topic_enriched)
        out: dict[str, dict[str, float]] = {}
        now = time.time()
        for group in self.groups():
            committed = self.admin.list_group_offsets(group).get(group, {})
            parts = [tp for tp in committed if tp.topic in topics]
            if not parts:
                continue
            ends = self.consumer.end_offsets(parts)
            records, oldest = 0, now
            behind = {tp: committed[tp].offset for tp in parts if committed[tp].offset < ends[tp]}
            for tp, offset in behind.items():
                records += ends[tp] - offset
            if behind:
                self.consumer.assign(list(behind))
                for tp, offset in behind.items():
                    self.consumer.seek(tp, offset)
                got: set[TopicPartition] = set()
                deadline = time.monotonic() + 5
                while len(got) < len(behind) and time.monotonic() < deadline:
                    for tp, batch in self.consumer.poll(timeout_ms=500).items():
                        if batch and tp not in got:
                            got.add(tp)
                            oldest = min(oldest, batch[0].timestamp / 1000)
                # Commit markers take offsets but hold no records: a partition whose
                # gap is only markers has no record to read and is not behind.
                records -= sum(ends[tp] - behind[tp] for tp in behind if tp not in got)
                self.consumer.assign([])
            out[group] = {"records": max(0, records), "seconds": round(max(0.0, now - oldest), 1)}
        return out

    def close(self) -> None:
        self.consumer.close()
        self.admin.close()


def es_count(settings: Settings, index: str) -> int | None:
    from elasticsearch import Elasticsearch

    es = Elasticsearch(settings.es_url, request_timeout=30)
    try:
        return int(es.count(index=index, ignore_unavailable=True, allow_no_indices=True)["count"])
    except Exception:  # noqa: BLE001 - a sample may miss a figure
        return None
    finally:
        es.close()


def seen_rows(data_dir: Path) -> int | None:
    import sqlite3

    path = data_dir / "ingest.sqlite3"
    if not path.exists():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return int(db.execute("SELECT count(*) FROM seen").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        db.close()


def growth(samples: list[dict[str, Any]], label: str) -> dict[str, Any] | None:
    """RSS of ``label`` at the end of warm-up, at the end, and the growth between."""
    after = [s for s in samples if s["minute"] >= WARMUP_MINUTES and label in s["processes"]]
    if len(after) < 2:
        return None
    first, last = after[0]["processes"][label]["rss_kib"], after[-1]["processes"][label]["rss_kib"]
    peak = max(s["processes"][label]["rss_kib"] for s in after)
    return {
        "rss_kib_at_warmup": first,
        "rss_kib_at_end": last,
        "rss_kib_peak_after_warmup": peak,
        "growth_pct": round(100.0 * (last - first) / first, 1) if first else None,
        "peak_growth_pct": round(100.0 * (peak - first) / first, 1) if first else None,
    }


def find_stack() -> None:
    """Kafka's and Elasticsearch's pid files: in the repository, or in the main
    checkout when this is a git worktree of it."""
    if "NEWSSTREAM_STACK_DIR" in os.environ or (ROOT / ".stack").exists():
        return
    common = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if common and (Path(common).parent / ".stack").exists():
        os.environ["NEWSSTREAM_STACK_DIR"] = str(Path(common).parent / ".stack")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=50.0, help="new articles per second")
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--work", type=Path, default=None, help="data directory of the run")
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep topics and indices")
    args = parser.parse_args()
    find_stack()

    commit = results.commit()  # the code that runs, even if the tree moves during the hour
    tag = uuid.uuid4().hex[:8]
    work = args.work or Path(os.environ.get("TMPDIR", "/tmp")) / f"newsstream-soak-{tag}"
    work.mkdir(parents=True, exist_ok=True)
    env_settings = {
        "TOPIC_RAW": f"soak-{tag}.raw",
        "TOPIC_ENRICHED": f"soak-{tag}.enriched",
        "TOPIC_ALERTS": f"soak-{tag}.alerts",
        "TOPIC_DEADLETTER": f"soak-{tag}.deadletter",
        "PROCESSOR_GROUP": f"soak-{tag}",
        "INDEX_ARTICLES": f"soak-{tag}-articles",
        "INDEX_ALERTS": f"soak-{tag}-alerts",
        "DATA_DIR": str(work / "data"),
        "ALLOW_PRIVATE_NETWORKS": "1",
        "MIN_INTERVAL": str(POLL_INTERVAL / 2),
        "PER_HOST_CONCURRENCY": "8",
        "WEBHOOK_URLS": "",
    }
    env = dict(os.environ)
    env.update({PREFIX + k: v for k, v in env_settings.items()})
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    settings = Settings.from_env(env)

    per_feed = args.rate / args.feeds
    window = max(10, int(2 * per_feed * POLL_INTERVAL))
    feeds = StreamFeeds(NewsText(), args.feeds, per_feed, time.time(), window)
    server = serve_feeds(feeds)
    feed_list = work / "feeds.yaml"
    base = f"http://127.0.0.1:{server.server_port}"
    feed_list.write_text(
        yaml.safe_dump(
            {
                "feeds": [
                    {"url": f"{base}/feed/{f}.xml", "name": f"soak {f}", "interval": POLL_INTERVAL}
                    for f in range(args.feeds)
                ]
            }
        )
    )
    cmd = [
        sys.executable,
        "-m",
        "newsstream",
        "run",
        "--feeds",
        str(feed_list),
        "--port",
        str(free_port()),
    ]
    print(
        f"soak {tag}: {args.rate:g} articles/s from {args.feeds} feeds for {args.minutes:g} min; "
        f"data in {work}",
        flush=True,
    )
    log = open(work / "run.log", "ab")  # noqa: SIM115 - held for the child's life
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    started = time.time()
    samples: list[dict[str, Any]] = []
    lag = None
    try:
        minute = 0
        while minute < args.minutes:
            minute += 1
            wake = started + minute * 60
            while time.time() < wake:
                if proc.poll() is not None:
                    raise RuntimeError(f"newsstream run stopped ({proc.returncode}); see run.log")
                time.sleep(min(5.0, max(0.0, wake - time.time())))
            if lag is None:
                lag = Lag(settings)
            try:
                lags = lag.measure()
            except Exception as exc:  # noqa: BLE001 - a missed sample is printed, not fatal
                print(f"  lag not measured: {exc}", flush=True)
                lags = {}
            sample = {
                "minute": minute,
                "at": round(time.time() - started, 1),
                "processes": processes(proc.pid),
                "lag": lags,
                "articles_docs": es_count(settings, f"{settings.index_articles}*"),
                "alerts_docs": es_count(settings, settings.index_alerts),
                "published_rows": seen_rows(settings.data_path),
                "load": os.getloadavg()[0],
            }
            samples.append(sample)
            procs = "  ".join(
                f"{k} {v['rss_kib'] / 1024:.0f}M/{v['fds']}fd"
                for k, v in sample["processes"].items()
            )
            lag_text = "  ".join(
                f"{g.removeprefix(settings.processor_group) or 'workers'} "
                f"{v['records']:.0f} rec/{v['seconds']:.1f}s"
                for g, v in lags.items()
            )
            print(
                f"min {minute:3d}: published {sample['published_rows']}, searchable "
                f"{sample['articles_docs']}, alerts {sample['alerts_docs']}, load "
                f"{sample['load']:.1f} | {procs} | lag {lag_text}",
                flush=True,
            )
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
        server.shutdown()
        if lag is not None:
            lag.close()

    labels = sorted({k for s in samples for k in s["processes"]})
    service = [k for k in labels if k.split("-")[0] in ("poller", "worker", "recogniser")]
    lag_after = {}
    for s in samples:
        if s["minute"] <= 2:  # start-up: workers join their groups
            continue
        for group, v in s["lag"].items():
            worst = lag_after.setdefault(group, {"records_max": 0, "seconds_max": 0.0})
            worst["records_max"] = max(worst["records_max"], v["records"])
            worst["seconds_max"] = max(worst["seconds_max"], v["seconds"])
    last = samples[-1] if samples else {}
    report = {
        "benchmark": "soak_realtime",
        "git_commit": commit,
        "cores": os.cpu_count(),
        "load_average_end": os.getloadavg()[0],
        "minutes": args.minutes,
        "rate_per_s": args.rate,
        "feeds": args.feeds,
        "published_rows": last.get("published_rows"),
        "published_per_s": (
            round(last["published_rows"] / last["at"], 1)
            if last.get("published_rows") and last.get("at")
            else None
        ),
        "articles_docs": last.get("articles_docs"),
        "alerts_docs": last.get("alerts_docs"),
        "rss_growth_after_warmup": {k: growth(samples, k) for k in labels},
        "service_rss_growth_max_pct": max(
            (g["growth_pct"] for k in service if (g := growth(samples, k)) and g["growth_pct"]),
            default=None,
        ),
        "lag_after_start": lag_after,
        "samples": samples,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "samples"}, indent=1))
    if not args.keep:
        drop_run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
