"""The command line: poll, feeds status/import/export/serve."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from typer.testing import CliRunner

from contract.isolated import settings_env
from ingest import feedlist
from ingest.lock import PollerRunning, hold_poller_lock
from newsstream.cli import app
from tests.conftest import ROOT
from tests.ingest.conftest import FIXTURE_ARTICLES, FIXTURE_NAMES, fixture_feeds

runner = CliRunner()


@pytest.mark.kafka
def test_poll_once_then_status(server, settings, kafka_bootstrap, tmp_path):
    feeds_file = tmp_path / "feeds.yaml"
    feedlist.save(fixture_feeds(server), feeds_file)
    env = settings_env(settings) | {"NEWSSTREAM_FEEDS": str(feeds_file)}

    first = runner.invoke(app, ["poll", "--once"], env=env)
    assert first.exit_code == 0, first.output
    assert f"{FIXTURE_ARTICLES} published, 0 pending" in first.output
    second = runner.invoke(app, ["poll", "--once", "--feeds", str(feeds_file)], env=env)
    assert f"{len(FIXTURE_NAMES)} not modified" in second.output

    status = runner.invoke(app, ["feeds", "status", "--json"], env=env)
    data = json.loads(status.output)
    assert data["published_articles"] == FIXTURE_ARTICLES and data["pending_articles"] == 0
    assert {f["result"] for f in data["feeds"]} == {"not_modified"}
    assert all(f["next_poll"] and f["error_streak"] == 0 for f in data["feeds"])

    table = runner.invoke(app, ["feeds", "status"], env=env)
    assert table.exit_code == 0 and "not_modified" in table.output
    assert f"{len(FIXTURE_NAMES)} feeds · {FIXTURE_ARTICLES} articles published" in table.output


@pytest.mark.kafka
def test_poll_once_fails_when_every_feed_failed(server, settings, kafka_bootstrap, tmp_path):
    bad = [feedlist.Feed(url=server.url(p)) for p in ("/status/500", "/status/404")]
    feeds_file = tmp_path / "feeds.yaml"
    env = settings_env(settings) | {"NEWSSTREAM_FEEDS": str(feeds_file)}

    feedlist.save(bad, feeds_file)
    failed = runner.invoke(app, ["poll", "--once"], env=env)
    assert failed.exit_code == 1, failed.output
    assert "every feed failed (2 of 2)" in failed.output

    feedlist.save(bad + fixture_feeds(server, FIXTURE_NAMES[:1]), feeds_file)
    partly = runner.invoke(app, ["poll", "--once"], env=env)
    assert partly.exit_code == 0, partly.output
    assert "2 failed" in partly.output


def test_poll_without_a_feed_list_says_what_to_do(settings):
    env = settings_env(settings) | {"NEWSSTREAM_FEEDS": ""}
    result = runner.invoke(app, ["poll", "--once"], env=env)
    assert result.exit_code == 2 and "--feeds" in result.output


def test_a_second_poller_on_the_same_data_directory_is_refused(settings):
    env = settings_env(settings) | {"NEWSSTREAM_FEEDS": ""}
    held = hold_poller_lock(settings.data_path)
    try:
        refused = runner.invoke(app, ["poll", "--once"], env=env)
    finally:
        held.close()
    assert refused.exit_code == 2
    assert f"another poller (pid {os.getpid()}) is using" in refused.output
    # Once that poller is gone, the next one gets as far as its feed list.
    after = runner.invoke(app, ["poll", "--once"], env=env)
    assert "another poller" not in after.output and "--feeds" in after.output


def test_a_killed_pollers_lock_is_free_at_once(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from ingest.lock import hold_poller_lock; "
            f"h = hold_poller_lock({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(PollerRunning, match=f"pid {holder.pid}"):
            hold_poller_lock(tmp_path)
    finally:
        holder.kill()
        holder.wait(timeout=10)
    hold_poller_lock(tmp_path).close()


def test_export_then_import_round_trips(settings, tmp_path):
    env = settings_env(settings) | {"NEWSSTREAM_FEEDS": ""}
    exported = runner.invoke(
        app, ["feeds", "export", "--feeds", str(ROOT / "seeds/feeds/starter.yaml")], env=env
    )
    assert exported.exit_code == 0 and exported.output.startswith("<?xml")
    opml = tmp_path / "subs.opml"
    opml.write_text(exported.output, encoding="utf-8")
    target = tmp_path / "mine.yaml"
    feedlist.save([feedlist.Feed(url="https://feeds.nos.nl/nosnieuwsalgemeen")], target)
    imported = runner.invoke(app, ["feeds", "import", str(opml), "-o", str(target)], env=env)
    starter = feedlist.load(ROOT / "seeds/feeds/starter.yaml")
    assert f"{len(starter) - 1} feeds added" in imported.output
    assert {f.url for f in feedlist.load(target)} == {f.url for f in starter}


def test_feeds_serve_answers_with_validators(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsstream",
            "feeds",
            "serve",
            str(ROOT / "seeds/feeds/fixtures"),
            "--port",
            str(port),
        ],
        env=settings_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/quotidien.atom"
    try:
        for _ in range(100):
            try:
                response = urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("feeds serve did not start")
        assert response.headers["Content-Type"] == "application/atom+xml"
        assert b"Notre-Dame" in response.read()
        request = urllib.request.Request(url, headers={"If-None-Match": response.headers["ETag"]})
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(request, timeout=5)
        assert not_modified.value.code == 304
    finally:
        proc.terminate()
        proc.wait(timeout=10)
