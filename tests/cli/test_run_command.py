"""`newsstream run` refuses clearly when it cannot run the service."""

from __future__ import annotations

from typer.testing import CliRunner

from newsstream.cli import app
from tests.conftest import ROOT

FEEDS = str(ROOT / "seeds" / "feeds" / "fixtures.yaml")


def test_configured_servers_that_do_not_answer_are_named(tmp_path):
    env = {
        "NEWSSTREAM_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "NEWSSTREAM_ES_URL": "http://127.0.0.1:1",
        "NEWSSTREAM_DATA_DIR": str(tmp_path),
    }
    result = CliRunner().invoke(app, ["run", "--feeds", FEEDS], env=env)
    assert result.exit_code == 1
    assert "Kafka, Elasticsearch not reachable" in result.output


def test_a_missing_feed_list_or_a_public_address_without_keys_is_refused(tmp_path):
    env = {"NEWSSTREAM_DATA_DIR": str(tmp_path), "NEWSSTREAM_API_KEYS": ""}
    missing = CliRunner().invoke(app, ["run", "--feeds", str(tmp_path / "none.yaml")], env=env)
    assert missing.exit_code == 2 and "feed list not found" in missing.output
    public = CliRunner().invoke(app, ["run", "--feeds", FEEDS, "--host", "0.0.0.0"], env=env)
    assert public.exit_code == 2 and "NEWSSTREAM_API_KEYS" in public.output


def test_asking_for_recognisers_without_the_models_is_refused(tmp_path, monkeypatch):
    from newsstream.cli import run_commands

    monkeypatch.setattr(run_commands, "models_installed", lambda: False)
    env = {"NEWSSTREAM_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["run", "--feeds", FEEDS, "--recognisers", "1"], env=env)
    assert result.exit_code == 2 and "pip install -e '.[ner]'" in result.output


def test_the_service_runs_a_recogniser_beside_the_workers_when_the_models_are_installed(
    tmp_path,
):
    from contract.settings import Settings
    from newsstream.cli.run_commands import child_specs, default_recognisers

    settings = Settings(data_dir=str(tmp_path))
    specs = child_specs(
        settings, tmp_path / "feeds.yaml", 2, default_recognisers(True), ["api"], {}
    )
    assert [s.name for s in specs] == ["poller", "worker-1", "worker-2", "recogniser-1", "api"]
    recogniser = specs[3]
    assert recogniser.argv[-3:] == ["process", "--stage", "recognise"]
    assert recogniser.argv[:3] == ["nice", "-n", "10"]  # the fast path comes first
    assert recogniser.stop_group == specs[1].stop_group  # drains with the workers
    without = child_specs(
        settings, tmp_path / "feeds.yaml", 2, default_recognisers(False), ["api"], {}
    )
    assert [s.name for s in without] == ["poller", "worker-1", "worker-2", "api"]
