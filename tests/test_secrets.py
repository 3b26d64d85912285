"""No secret leaves its setting: a webhook token and an API key, searched for everywhere.

A webhook whose URL holds a token refuses an alert (and echoes its own URL
back, as some do); a browser passes the API key once in the address. Then
every place a person or a log collector could read is searched for either:
the worker's output, the dead-letter record on the real Kafka, the pages,
the API server's own output, and the command line. Zero copies anywhere.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer
from typer.testing import CliRunner

from contract.isolated import isolated_settings, settings_env
from contract.kafka_admin import ensure_topics
from contract.records import encode
from newsstream.cli import app
from newsstream.workers import running_worker
from search.api import create_api
from search.deadletters import read_dead_letters
from tests.processors.alerts.test_webhook_queues import make_alert

TOKEN = "T0KEN" + uuid.uuid4().hex  # the part of the webhook URL that is the credential
KEY = "K3Y" + uuid.uuid4().hex


class EchoingReceiver:
    """A webhook that refuses everything with 403 and quotes the URL it was called at."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers["Content-Length"]))
                body = f"no hook at http://{self.headers['Host']}{self.path}".encode()
                self.send_response(403)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}/services/{TOKEN}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def leaks(text: str) -> list[str]:
    return [s for s in (TOKEN, KEY) if s in text]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.kafka
def test_a_webhook_token_and_an_api_key_appear_nowhere(
    kafka_bootstrap, es_client, tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    receiver = EchoingReceiver()
    tag = uuid.uuid4().hex[:8]
    settings = isolated_settings(
        tag, tmp_path / "data", webhook_urls=receiver.url, api_keys=f"other,{KEY}"
    )
    ensure_topics(settings)
    env = settings_env(settings)
    seen: dict[str, str] = {}
    try:
        # The worker refuses nothing itself: the receiver's 403 parks the alert.
        log_path = tmp_path / "worker.log"
        with running_worker(settings, ("alerts",), log_path=log_path):
            deadline = time.monotonic() + 60
            while "delivering from partitions" not in log_path.read_text():
                assert time.monotonic() < deadline, log_path.read_text()[-2000:]
                time.sleep(0.3)
            producer = KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","), acks="all")
            alert = make_alert(1, tag)
            producer.send(settings.topic_alerts, key=alert.id.encode(), value=encode(alert))
            producer.flush()
            producer.close()
            records: list[dict] = []
            while not records:
                assert time.monotonic() < deadline + 60, "no dead-letter record"
                records = read_dead_letters(settings, limit=10, stage="alerts-webhook", wait=5)
        seen["worker output"] = log_path.read_text()
        (record,) = records
        seen["dead-letter record"] = json.dumps(record)
        assert record["error_type"] == "DeliveryRejected"
        assert f"http://{receiver.host}/…" in record["error"]  # scheme and host, nothing more

        # The pages, with the key passed once in the address as a browser does.
        api = create_api(settings, client=es_client)
        with TestClient(api, base_url="http://localhost") as client:
            first = client.get("/problems", params={"api_key": KEY}, follow_redirects=False)
            assert first.status_code == 303
            assert first.headers["location"] == "/problems"
            cookie = first.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie
            page = client.get("/problems")
            assert page.status_code == 200 and "DeliveryRejected" in page.text
            seen["problems page"] = page.text
            seen["search page"] = client.get("/", params={"q": "x"}).text
        # (httpx's own lines are the test's browser asking, not the server answering)
        server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
        seen["logs of this process"] = "\n".join(r.getMessage() for r in server_side)
        assert "/problems" in seen["logs of this process"]  # the access log was written

        # The API server as deployed: its own output while a browser brings the key.
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "newsstream", "api", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{base}/health", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and server.poll() is None
                    time.sleep(0.2)
            with httpx.Client(base_url=base, follow_redirects=True) as browser:
                landed = browser.get("/problems", params={"api_key": KEY, "stage": "x"})
                assert landed.status_code == 200 and str(landed.url) == f"{base}/problems?stage=x"
                seen["served problems page"] = landed.text
        finally:
            server.terminate()
            seen["API server output"] = server.communicate(timeout=20)[0]
        assert "GET /problems?api_key=…&stage=x" in seen["API server output"]

        # The command line.
        runner = CliRunner()
        for command in (["config"], ["config", "--all"], ["deadletter"], ["deadletter", "--json"]):
            result = runner.invoke(app, command, env={**env, "COLUMNS": "400"})
            assert result.exit_code == 0, result.output
            seen["newsstream " + " ".join(command)] = result.output
        assert f"NEWSSTREAM_WEBHOOK_URLS=http://{receiver.host}/…" in seen["newsstream config"]
        assert "NEWSSTREAM_API_KEYS=***,***" in seen["newsstream config"]
    finally:
        receiver.close()

    found = {where: leaks(text) for where, text in seen.items() if leaks(text)}
    assert found == {}, f"secrets found in: {sorted(found)}"
