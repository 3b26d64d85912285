"""Alert latency under sustained load: raw article on Kafka to its alert on news.alerts.

Starts a real worker (``newsstream process --stage enrich --stage alerts``) on
private topics, produces generated multilingual articles to the raw topic at
a steady rate (a share of them naming tracked actors, some with decoys such
as "Madurodam"), and times each alert from the Kafka timestamp of the raw
message to the moment this script's consumer receives the alert. Without the
enrich stage (``--alerts-only``) it produces enriched articles instead.

    python benchmarks/alert_latency.py --rate 100 --seconds 30

Needs Kafka and Elasticsearch (``deploy/stack up``); deletes its topics and
index at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import results  # noqa: E402
from procstats import cpu_seconds, tree_pids  # noqa: E402

from contract.ids import article_id, story_id  # noqa: E402
from contract.isolated import isolated_settings  # noqa: E402
from contract.kafka_admin import ensure_topics  # noqa: E402
from contract.records import (  # noqa: E402
    Article,
    EnrichedArticle,
    Language,
    Source,
    encode,
    utcnow_iso,
)
from contract.settings import Settings  # noqa: E402
from newsstream.workers import running_worker  # noqa: E402
from processors.enrichment.actors import match_actors  # noqa: E402
from processors.enrichment.pipeline import enrich  # noqa: E402
from processors.enrichment.watchlist import default_watchlist_path, load_watchlist  # noqa: E402

NAMES = [
    "Nicolás Maduro",
    "Maduro",
    "regering-Maduro",
    "Juan Guaidó",
    "Guaido",
    "Donald Trump",
    "Trump's",
    "Mike Pompeo",
    "Emmanuel Macron",
    "Macrons",
    "Olaf Scholz",
    "Angela Merkel",
    "Pedro Sánchez",
    "Mark Rutte",
    "Vladimir Putin",
    "Путин",
    "Volodymyr Zelensky",
    "Xi Jinping",
    "习近平",
    "NATO",
    "de Europese Unie",
    "the United Nations",
    "特朗普",
]
DECOYS = ["Madurodam", "a trump card", "un plátano maduro", "è nato a Roma", "Sánchez", "Xi"]
FILLER = {
    "nl": "De regering maakte dinsdag bekend dat de onderhandelingen worden voortgezet. "
    "Volgens waarnemers is de situatie in de hoofdstad gespannen maar rustig. "
    "Het parlement debatteert volgende week over de begroting en de energieprijzen. ",
    "en": "Officials said on Tuesday that negotiations would continue next week. "
    "Observers described the situation in the capital as tense but calm. "
    "Parliament is due to debate the budget and energy prices later this month. ",
    "de": "Die Regierung teilte am Dienstag mit, die Verhandlungen würden fortgesetzt. "
    "Beobachter beschrieben die Lage in der Hauptstadt als angespannt, aber ruhig. "
    "Das Parlament berät in der kommenden Woche über den Haushalt. ",
    "es": "El gobierno anunció el martes que las negociaciones continuarán. "
    "Según los observadores, la situación en la capital es tensa pero tranquila. "
    "El parlamento debatirá el presupuesto la próxima semana. ",
}


def make_article(n: int, rng: random.Random, token: str, mention_share: float) -> Article:
    lang = rng.choice(list(FILLER))
    parts = [FILLER[lang] * rng.randint(2, 5)]
    if rng.random() < mention_share:
        for name in rng.sample(NAMES, rng.randint(1, 2)):
            parts.insert(rng.randint(0, len(parts)), f"Ook {name} reageerde. ")
    if rng.random() < 0.2:
        parts.append(f"Daarnaast: {rng.choice(DECOYS)}. ")
    text = f"[{token}-{n}] " + "".join(parts)
    title = f"Bericht {n} ({token})"
    url = f"https://bench.example/{token}/{n}"
    return Article(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        published=utcnow_iso(),
        source=Source(name="bench.example", feed_url="https://bench.example/rss"),
        fetched_at=utcnow_iso(),
        story_id=story_id(title, text),
        language_hint=lang,
    )


class AlertReader(threading.Thread):
    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap.split(","),
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=20,
        )
        parts = self.consumer.partitions_for_topic(topic) or {0}
        self.consumer.assign([TopicPartition(topic, p) for p in parts])
        self.consumer.seek_to_beginning()
        self.arrivals: list[tuple[float, dict]] = []
        self.timestamps: dict[str, int] = {}  # key -> Kafka timestamp of the record
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for batch in self.consumer.poll(timeout_ms=100).values():
                now = time.time() * 1000
                for r in batch:
                    self.arrivals.append((now, json.loads(r.value)))
                    self.timestamps[(r.key or b"").decode()] = r.timestamp


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100.0, help="articles per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="duration of the load")
    parser.add_argument(
        "--mention-share", type=float, default=0.3, help="share of articles naming tracked actors"
    )
    parser.add_argument(
        "--alerts-only",
        action="store_true",
        help="produce enriched articles; run only the alerts stage",
    )
    parser.add_argument("--keep", action="store_true", help="keep the topics and alerts index")
    args = parser.parse_args()
    load = results.load_start()

    token = uuid.uuid4().hex[:8]
    base = Settings.from_env()
    settings = isolated_settings(
        token,
        f"/tmp/bench-{token}",
        prefix="bench",
        topic_partitions=base.topic_partitions,
        log_level="WARNING",
    )
    alerts_only = args.alerts_only
    stages = ["alerts"] if alerts_only else ["enrich", "alerts"]
    input_topic = settings.topic_enriched if alerts_only else settings.topic_raw
    ensure_topics(settings)
    log_path = Path(settings.data_dir) / "worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"stages: {'+'.join(stages)}; input topic {input_topic}; worker log {log_path}")

    watchlist = load_watchlist(base.actors or default_watchlist_path())
    rng = random.Random(7)
    articles = [
        make_article(n, rng, token, args.mention_share)
        for n in range(int(args.rate * args.seconds))
    ]
    # What the worker will find: the enrichment's matching (entities, language)
    # on the full path, matching without them when only the alerts stage runs.
    if alerts_only:
        expected = {a.id: len(match_actors(watchlist, a.title, a.text)) for a in articles}
    else:
        expected = {a.id: len(enrich(a, watchlist=watchlist).actors) for a in articles}
    warmup = [make_article(-n - 1, rng, token, 1.0) for n in range(5)]

    workers = contextlib.ExitStack()
    worker = workers.enter_context(
        running_worker(settings, tuple(stages), log_path=log_path, timeout=120)
    )
    reader = AlertReader(settings.kafka_bootstrap_servers, settings.topic_alerts)
    reader.start()
    enriched_reader = None
    if not alerts_only:  # to tell the enrich stage's share from the alerts stage's
        enriched_reader = AlertReader(settings.kafka_bootstrap_servers, settings.topic_enriched)
        enriched_reader.start()
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers.split(","), acks=1, linger_ms=0
    )

    def payload(article: Article) -> bytes:
        if not alerts_only:
            return encode(article)
        return encode(
            EnrichedArticle(
                article=article,
                language=Language("und", 0.0),
                entities=[],
                topics=[],
                versions={},
                enriched_at=utcnow_iso(),
                raw_timestamp_ms=int(time.time() * 1000),
            )
        )

    try:
        for article in warmup:  # first messages pay for model loading and connections
            producer.send(input_topic, key=article.id.encode(), value=payload(article))
        producer.flush()
        warm_ids = {a.id for a in warmup}
        deadline = time.monotonic() + 60
        while not warm_ids <= {a["article_id"] for _, a in reader.arrivals}:
            if time.monotonic() > deadline:
                raise SystemExit("no alerts during warm-up; see " + str(log_path))
            time.sleep(0.2)

        futures = {}
        cpu_before = sum(cpu_seconds(p) for p in tree_pids(worker.pid))
        start = time.monotonic()
        for n, article in enumerate(articles):
            delay = start + n / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures[article.id] = producer.send(
                input_topic, key=article.id.encode(), value=payload(article)
            )
        producer.flush()
        produced_in = time.monotonic() - start
        landed = {aid: f.get(30).timestamp for aid, f in futures.items()}

        wanted = sum(expected.values())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = sum(1 for _, a in list(reader.arrivals) if a["article_id"] in landed)
            if got >= wanted:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # let any duplicate show up
        cpu_used = sum(cpu_seconds(p) for p in tree_pids(worker.pid)) - cpu_before
    finally:
        reader.stop.set()
        if enriched_reader is not None:
            enriched_reader.stop.set()
        workers.close()
        producer.close()

    alerts = [(t, a) for t, a in reader.arrivals if a["article_id"] in landed]
    latencies = [t - landed[a["article_id"]] for t, a in alerts]
    own = [a["latency_ms"] for _, a in alerts]
    ids = [a["id"] for _, a in alerts]
    print(
        f"articles: {len(articles)} in {produced_in:.1f}s "
        f"({len(articles) / produced_in:.0f}/s), expected alerts: {wanted}, "
        f"received: {len(alerts)}, duplicates: {len(ids) - len(set(ids))}"
    )
    if latencies:
        print(
            "raw landing -> alert received (ms): "
            f"p50 {pct(latencies, 50):.0f}  p95 {pct(latencies, 95):.0f}  "
            f"p99 {pct(latencies, 99):.0f}  max {max(latencies):.0f}  "
            f"mean {statistics.mean(latencies):.0f}"
        )
        print(
            "worker's own latency_ms (raw landing -> alert decided): "
            f"p50 {pct(own, 50):.0f}  p95 {pct(own, 95):.0f}"
        )
        if enriched_reader is not None:
            enriched = enriched_reader.timestamps
            stamped = [(t, a) for t, a in alerts if a["article_id"] in enriched]
            enrich_ms = [enriched[a["article_id"]] - landed[a["article_id"]] for _, a in stamped]
            alert_ms = [t - enriched[a["article_id"]] for t, a in stamped]
            print(
                "  of which enrich stage (raw -> enriched on Kafka): "
                f"p50 {pct(enrich_ms, 50):.0f}  p95 {pct(enrich_ms, 95):.0f}"
            )
            print(
                f"  of which alerts stage (enriched -> alert received): "
                f"p50 {pct(alert_ms, 50):.0f}  p95 {pct(alert_ms, 95):.0f}"
            )
        print("goal p95 < 1000 ms:", "met" if pct(latencies, 95) < 1000 else "NOT met")
    per_article = cpu_used / len(articles) * 1000
    print(
        f"worker CPU: {per_article:.1f} ms per article, {per_article * args.rate / 10:.0f} % "
        f"of one core at {args.rate:.0f}/s (a cost that does not depend on the load)"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    figures: dict = {
        "stages": stages,
        "rate": args.rate,
        "articles": len(articles),
        "expected_alerts": wanted,
        "alerts": len(alerts),
        "duplicates": len(ids) - len(set(ids)),
        "worker_cpu_ms_per_article": round(per_article, 2),
    }
    if latencies:
        figures["raw_to_alert_ms"] = {f"p{q}": round(pct(latencies, q)) for q in (50, 95, 99)} | {
            "max": round(max(latencies))
        }
    results.write("alert_latency", figures, started_load=load)
    if not args.keep:
        cleanup(settings, token)


def cleanup(settings: Settings, token: str) -> None:
    """Delete the run's topics (Faust's own included) and alerts index."""
    from kafka.admin import KafkaAdminClient

    from search.client import es_client

    es_client(settings).indices.delete(index=settings.index_alerts, ignore_unavailable=True)
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers.split(","))
    try:
        mine = [t for t in admin.list_topics() if t.startswith(f"bench{token}")]
        if mine:
            admin.delete_topics(mine)
    finally:
        admin.close()


if __name__ == "__main__":
    main()
