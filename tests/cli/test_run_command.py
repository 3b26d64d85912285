"""`newsstream run` refuses clearly when it cannot run the service."""

from __future__ import annotations

from typer.testing import CliRunner

from newsstream.cli import app
from tests.conftest import ROOT

FEEDS = str(ROOT / "seeds" / "feeds" / "fixtures.yaml")


def test_configured_servers_that_do_not_answer_are_named(tmp_path):
    env = {"NEWSSTREAM_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
           "NEWSSTREAM_ES_URL": "http://127.0.0.1:1", "NEWSSTREAM_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["run", "--feeds", FEEDS], env=env)
    assert result.exit_code == 1
    assert "Kafka, Elasticsearch not reachable" in result.output


def test_a_missing_feed_list_or_a_public_address_without_keys_is_refused(tmp_path):
    env = {"NEWSSTREAM_DATA_DIR": str(tmp_path), "NEWSSTREAM_API_KEYS": ""}
    missing = CliRunner().invoke(app, ["run", "--feeds", str(tmp_path / "none.yaml")], env=env)
    assert missing.exit_code == 2 and "feed list not found" in missing.output
    public = CliRunner().invoke(app, ["run", "--feeds", FEEDS, "--host", "0.0.0.0"], env=env)
    assert public.exit_code == 2 and "NEWSSTREAM_API_KEYS" in public.output
