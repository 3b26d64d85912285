"""The indexing stage end to end: Kafka -> real Faust worker -> Elasticsearch."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from contract.kafka_admin import ensure_topics
from contract.records import EnrichedArticle
from contract.settings import Settings
from newsstream.workers import running_worker
from processors.groups import app_id_for
from tests.search.factories import enriched, message
from tests.search.paused_index_worker import MARK
from tests.search.proxy import Outage

pytestmark = [pytest.mark.kafka, pytest.mark.elasticsearch]
WAIT = 60.0


def wait_for(what: str, check: Callable[[], object], *, log: Path | None = None) -> object:
    """Poll ``check`` until it returns something truthy (a deadline, not a timing test)."""
    deadline = time.monotonic() + WAIT
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise AssertionError(f"gave up waiting for {what}\n{tail}")
        time.sleep(0.3)


def produce(settings: Settings, messages: list[tuple[str, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    for key, value in messages:
        producer.send(settings.topic_enriched, key=key.encode(), value=value)
    producer.flush()
    producer.close()


def documents_by_id(es_client, settings: Settings) -> dict[str, list[dict]]:
    """Every copy of every document behind the alias, grouped by article id."""
    es_client.indices.refresh(index=settings.index_articles, ignore_unavailable=True)
    hits = es_client.search(
        index=settings.index_articles,
        size=1000,
        version=True,
        ignore_unavailable=True,
        allow_no_indices=True,
        query={"match_all": {}},
    )["hits"]["hits"]
    out: dict[str, list[dict]] = {}
    for hit in hits:
        out.setdefault(hit["_id"], []).append(hit)
    return out


def index_operations(es_client, settings: Settings) -> int:
    """Documents written behind the alias so far, rewrites included."""
    stats = es_client.indices.stats(index=settings.index_articles, metric="indexing")
    return stats["_all"]["primaries"]["indexing"]["index_total"]


def committed_offsets(settings: Settings) -> int:
    """Sum of the group's committed offsets on the enriched topic."""
    group = app_id_for(settings, ("index",))
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        offsets = admin.list_group_offsets(group)
        offsets = offsets.get(group, {})
    finally:
        admin.close()
    return sum(
        meta.offset
        for tp, meta in offsets.items()
        if tp.topic == settings.topic_enriched and meta.offset > 0
    )


def evict_members(settings: Settings) -> None:
    """Remove a killed worker from its group now instead of after the session timeout."""
    from kafka.admin import MemberToRemove

    group_id = app_id_for(settings, ("index",))
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        group = admin.describe_groups([group_id])[group_id]
        members = [MemberToRemove(member_id=m["member_id"]) for m in group.get("members", [])]
        if members:
            admin.remove_group_members(group_id, members)
    finally:
        admin.close()


def dead_letters(settings: Settings, expected: int) -> list[dict]:
    consumer = KafkaConsumer(
        settings.topic_deadletter,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=1000,
    )
    found: list[dict] = []
    deadline = time.monotonic() + WAIT
    try:
        while len(found) < expected and time.monotonic() < deadline:
            found += [json.loads(r.value) for r in consumer]
    finally:
        consumer.close()
    return found


def _articles(n: int) -> list[EnrichedArticle]:
    return [enriched(i, title=f"Indexed through Kafka {i}") for i in range(n)]


def test_same_article_delivered_three_times_is_one_document(
    es_client, kafka_bootstrap, settings, clean_layout, tmp_path
):
    ensure_topics(settings)
    article = enriched(7, title="Delivered three times")
    log = tmp_path / "worker.log"
    with running_worker(settings, ("index",), log_path=log):
        produce(settings, [(article.id, message(article))])
        wait_for("first copy", lambda: documents_by_id(es_client, settings), log=log)
        produce(settings, [(article.id, message(article))] * 2)
        wait_for("all three offsets committed", lambda: committed_offsets(settings) >= 3, log=log)
    docs = documents_by_id(es_client, settings)
    assert list(docs) == [article.id]
    assert len(docs[article.id]) == 1
    # The redeliveries were written again (as one write when they shared a batch).
    assert index_operations(es_client, settings) in (2, 3)


def test_the_recognised_version_wins_in_whichever_order_the_versions_arrive(
    es_client, kafka_bootstrap, settings, clean_layout, tmp_path
):
    ensure_topics(settings)
    fast = enriched(8, title="Two versions", entities=(("LOC", "Caracas"),))
    complete = replace(
        enriched(8, title="Two versions", entities=(("LOC", "Caracas"), ("PER", "Juan Guaidó"))),
        versions={"recognition": "model/1"},
    )
    log = tmp_path / "worker.log"
    with running_worker(settings, ("index",), log_path=log):
        produce(settings, [(complete.id, message(complete))])
        wait_for("the recognised version", lambda: documents_by_id(es_client, settings), log=log)
        produce(settings, [(fast.id, message(fast))])  # late, or replayed
        wait_for("both offsets committed", lambda: committed_offsets(settings) >= 2, log=log)
    [hit] = documents_by_id(es_client, settings)[fast.id]
    assert hit["_source"]["entities"]["any"] == ["Caracas", "Juan Guaidó"]
    assert "parking" not in log.read_text()  # superseded, not refused


def test_rejected_document_goes_to_dead_letter_while_neighbours_are_indexed(
    es_client, kafka_bootstrap, settings, clean_layout, tmp_path
):
    ensure_topics(settings)
    good = _articles(4)
    bad = enriched(50, title="Bad date", published="the day before yesterday")
    messages = [(a.id, message(a)) for a in good[:2]]
    messages += [(bad.id, message(bad)), ("junk", b"not json at all")]
    messages += [(a.id, message(a)) for a in good[2:]]
    log = tmp_path / "worker.log"
    with running_worker(settings, ("index",), log_path=log):
        produce(settings, messages)
        parked = dead_letters(settings, expected=2)
        wait_for(
            "neighbours indexed", lambda: len(documents_by_id(es_client, settings)) == 4, log=log
        )
    assert set(documents_by_id(es_client, settings)) == {a.id for a in good}
    by_type = {p["error_type"]: p for p in parked}
    assert set(by_type) == {"RejectedDocument", "InvalidMessage"}
    rejected = by_type["RejectedDocument"]
    assert rejected["stage"] == "index" and rejected["key"] == bad.id
    assert "@timestamp" in rejected["error"]
    assert json.loads(rejected["original"])["article"]["published"] == "the day before yesterday"


def test_crash_between_bulk_and_commit_loses_nothing_and_duplicates_nothing(
    es_client, kafka_bootstrap, settings, clean_layout, tmp_path
):
    ensure_topics(settings)
    articles = _articles(6)
    first_log = tmp_path / "first.log"
    paused = "tests.search.paused_index_worker"  # pauses after each bulk, before the ack
    with running_worker(settings, log_path=first_log, module=paused) as worker:
        produce(settings, [(a.id, message(a)) for a in articles])
        wait_for(
            "bulk acknowledged, commit pending",
            lambda: MARK in first_log.read_text(),
            log=first_log,
        )
        before_crash = set(
            wait_for(
                "documents of the paused batch",
                lambda: documents_by_id(es_client, settings),
                log=first_log,
            )
        )
        worker.kill()  # SIGKILL: no shutdown, no final commit
        worker.wait()
    assert committed_offsets(settings) == 0  # the crash really hit the gap
    evict_members(settings)

    second_log = tmp_path / "second.log"
    with running_worker(settings, ("index",), log_path=second_log):
        wait_for(
            "redelivered batch committed",
            lambda: committed_offsets(settings) >= len(articles),
            log=second_log,
        )

    docs = documents_by_id(es_client, settings)
    assert set(docs) == {a.id for a in articles}  # none lost
    assert all(len(copies) == 1 for copies in docs.values())  # none duplicated
    # What was indexed before the crash was delivered and written again, once.
    assert index_operations(es_client, settings) == len(articles) + len(before_crash)


def test_elasticsearch_outage_holds_the_batch_until_it_is_back(
    es_client, kafka_bootstrap, settings, clean_layout, tmp_path
):
    ensure_topics(settings)
    target = urlsplit(settings.es_url)
    outage = Outage((target.hostname or "127.0.0.1", target.port or 9200))
    articles = _articles(3)
    log = tmp_path / "worker.log"
    with running_worker(replace(settings, es_url=outage.url), ("index",), log_path=log):
        wait_for("index layout", lambda: "index layout" in log.read_text(), log=log)
        outage.cut()
        produce(settings, [(a.id, message(a)) for a in articles])
        wait_for("a failed bulk attempt", lambda: "bulk: attempt" in log.read_text(), log=log)
        assert committed_offsets(settings) == 0
        assert not documents_by_id(es_client, settings)
        outage.restore()
        wait_for(
            "batch committed after the outage",
            lambda: committed_offsets(settings) >= len(articles),
            log=log,
        )
    docs = documents_by_id(es_client, settings)
    assert set(docs) == {a.id for a in articles}
    assert all(len(copies) == 1 for copies in docs.values())
