"""`newsstream deadletter` shows what was parked, on the real Kafka."""

from __future__ import annotations

import json

from kafka import KafkaProducer
from typer.testing import CliRunner

from contract.errors import InvalidMessage
from contract.isolated import settings_env
from contract.kafka_admin import ensure_topics
from contract.records import dead_letter_for, encode
from newsstream.cli import app


def test_lists_parked_records_with_stage_and_error(kafka_bootstrap, settings):
    ensure_topics(settings)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for stage, raw in (("enrich", b"\xffgarbage"), ("index", b'{"id": 1}')):
        record = dead_letter_for(raw, InvalidMessage(f"bad for {stage}"), stage=stage, offset=3)
        producer.send(settings.topic_deadletter, value=encode(record))
    producer.flush(timeout=30)
    producer.close()

    env = settings_env(settings)
    result = CliRunner().invoke(app, ["deadletter", "--json", "--stage", "enrich"], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [(r["stage"], r["error"]) for r in lines] == [("enrich", "bad for enrich")]
    assert lines[0]["original_b64"]  # the exact bytes are kept

    table = CliRunner().invoke(app, ["deadletter"], env=env)
    assert "InvalidMessage: bad for index" in table.output
