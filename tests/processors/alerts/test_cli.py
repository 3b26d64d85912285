"""The ``actors`` and ``alerts watch`` commands as a user runs them."""

from __future__ import annotations

import json

import pytest
from kafka import KafkaProducer
from typer.testing import CliRunner

from contract.isolated import settings_env
from contract.kafka_admin import ensure_topics
from contract.records import encode
from newsstream.cli import app
from tests.processors.alerts.test_sinks import ALERT

runner = CliRunner()


def test_actors_match_shows_every_mention_and_skips_madurodam():
    text = "Madurodam; de regering-Maduro en Guaidó's plan"
    result = runner.invoke(app, ["actors", "match", text])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["nicolas-maduro", "juan-guaido"]
    assert lines[0].split()[-1] == "Maduro"


def test_actors_match_json_gives_actor_mentions():
    result = runner.invoke(app, ["actors", "match", "--json", "--title", "Pompeo", "niets"])
    [mention] = json.loads(result.stdout)
    assert (mention["actor_id"], mention["field"], mention["count"]) == ("mike-pompeo", "title", 1)


def test_actors_match_explains_what_counted_and_what_did_not():
    result = runner.invoke(
        app,
        ["actors", "match", "--explain", "Pompeo Batoni painted it. Trump played his trump card."],
    )
    assert result.exit_code == 0, result.output
    assert "as 'Trump': surname, capitalised" in result.stdout
    assert "not counted: mike-pompeo" in result.stdout
    assert "followed by 'Batoni'" in result.stdout


def test_actors_check_warns_about_aliases_that_are_everyday_words(tmp_path):
    watchlist = tmp_path / "actors.yaml"
    watchlist.write_text(
        "languages: [en, nl]\nactors:\n"
        "  - {id: john-major, name: John Major, kind: person, aliases: [John Major],"
        " surnames: [Major]}\n"
        "  - {id: onderwijs, name: Onderwijs, kind: organisation, aliases: [Onderwijs]}\n"
        "  - {id: fifa, name: FIFA, kind: organisation, aliases: [FIFA]}\n"
        "  - {id: maduro, name: Nicolás Maduro, kind: person, aliases: [Nicolás Maduro],"
        " surnames: [Maduro]}\n"
    )
    result = runner.invoke(app, ["actors", "check", str(watchlist)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert [w.split(":")[1].strip() for w in warnings] == ["john-major", "onderwijs"]
    assert "'Major' is also an everyday word (en)" in warnings[0]


def test_actors_check_lists_actors_and_rejects_a_broken_file(tmp_path):
    result = runner.invoke(app, ["actors", "check"])
    assert result.exit_code == 0 and "nicolas-maduro" in result.stdout
    broken = tmp_path / "actors.yaml"
    broken.write_text("actors:\n  - id: x\n    name: X\n    kind: planet\n")
    result = runner.invoke(app, ["actors", "check", str(broken)])
    assert result.exit_code == 2
    assert "actor #1 (id 'x'): 'kind' must be person or organisation" in result.output


@pytest.mark.kafka
def test_alerts_watch_prints_alerts_from_the_topic(kafka_bootstrap, settings):
    ensure_topics(settings)
    other = ALERT.__class__(
        **{**ALERT.to_dict(), "id": "a2", "actor_id": "donald-trump", "actor_name": "Donald Trump"}
    )
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","))
    for alert in (other, ALERT):
        producer.send(settings.topic_alerts, key=alert.id.encode(), value=encode(alert)).get(30)
    producer.close()
    result = runner.invoke(
        app,
        ["alerts", "watch", "--from-beginning", "--count", "1", "--actor", "Juan Guaido", "--json"],
        env=settings_env(settings),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == ALERT.id


@pytest.mark.kafka
def test_alerts_watch_reports_what_is_not_an_alert_on_stderr(kafka_bootstrap, settings):
    ensure_topics(settings)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","))
    key = ALERT.id.encode()  # one partition: the junk comes first
    for value in (b"not json", b'{"id": "half an alert"}', encode(ALERT)):
        producer.send(settings.topic_alerts, key=key, value=value).get(30)
    producer.close()
    result = runner.invoke(
        app,
        ["alerts", "watch", "--from-beginning", "--count", "1", "--json"],
        env=settings_env(settings),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == ALERT.id
    lines = result.stderr.splitlines()
    assert [line.split(": ")[0] for line in lines[:2]] == ["not an alert", "not an alert"]
    assert "not JSON" in lines[0] and "missing" in lines[1]
    assert f"2 message(s) on {settings.topic_alerts} were not alerts" in lines[-1]
