"""`newsstream demo`: the whole pipeline on the offline sample feeds, end to end.

It serves ``seeds/feeds/fixtures`` on 127.0.0.1, starts a processor worker,
polls every sample feed once, waits until Elasticsearch holds every published
article, and prints what a user sees: search results, facets and alerts.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from contract.settings import Settings
from newsstream.cli.common import load_settings

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

READY_MARKERS = ("Worker ready", "[^Worker]: Ready")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    query: str = typer.Option("Maduro", "--query", "-q", help="What to search for at the end."),
    feeds_dir: Path = typer.Option(
        Path("seeds/feeds/fixtures"), help="Directory of sample feeds to serve."
    ),
    feeds: Path = typer.Option(
        Path("seeds/feeds/fixtures.yaml"), help="Feed list pointing at the served files."
    ),
    port: int = typer.Option(8765, help="Port for the local feed server."),
    keep_running: bool = typer.Option(
        False, "--keep-running", help="Leave the worker running (Ctrl-C to stop)."
    ),
    timeout: float = typer.Option(180.0, help="Seconds to wait for the pipeline."),
) -> None:
    """Run the pipeline on the sample feeds in seeds/ and show search results and alerts."""
    settings = load_settings(allow_private_networks=True)
    for path in (feeds_dir, feeds):
        if not path.exists():
            typer.secho(f"{path} not found: run the demo from the repository root", fg="red")
            raise typer.Exit(2)
    from search.client import es_client

    server = _serve(feeds_dir, port)
    typer.secho(f"1/5 serving sample feeds from {feeds_dir} on 127.0.0.1:{port}", bold=True)
    log_path = Path(settings.data_dir) / "demo-worker.log"
    client = es_client(settings)
    _prepare(client, settings)
    typer.secho(f"2/5 starting a processor worker (log: {log_path})", bold=True)
    worker = _start_worker(log_path, timeout)
    try:
        typer.secho(f"3/5 polling the feeds in {feeds}", bold=True)
        expected = _poll_once(settings, feeds)
        typer.secho(f"4/5 waiting until Elasticsearch holds all {expected} articles", bold=True)
        indexed = _wait_indexed(client, settings, expected, timeout)
        _wait_alerts_settle(client, settings)
        typer.secho(f"5/5 {indexed} articles searchable; results for {query!r}:", bold=True)
        _show(client, settings, query)
        if keep_running:
            typer.echo("worker keeps running; Ctrl-C to stop")
            worker.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(worker)
        server.shutdown()
        client.close()


def _serve(directory: Path, port: int):  # noqa: ANN202 - http.server type
    from ingest.serve import make_server

    server = make_server(directory, port=port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _prepare(client: Elasticsearch, settings: Settings) -> None:
    from contract.kafka_admin import ensure_topics
    from search.provision import provision

    ensure_topics(settings)
    provision(client, settings)


def _start_worker(log_path: Path, timeout: float) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsstream", "process"], stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + timeout
    while not any(m in log_path.read_text(errors="replace") for m in READY_MARKERS):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            tail = log_path.read_text(errors="replace")[-2000:]
            typer.secho(f"the worker did not start:\n{tail}", fg="red", err=True)
            raise typer.Exit(1)
        time.sleep(0.3)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _poll_once(settings: Settings, feeds: Path) -> int:
    """One poll cycle; returns how many distinct articles have been published."""
    from ingest import feedlist
    from ingest.poller import Poller

    async def cycle() -> tuple[int, int]:
        poller = Poller(settings)
        try:
            report = await poller.run_cycle(feedlist.load(feeds))
            typer.echo("   " + report.summary())
            return report.pending, poller.state.seen_count()
        finally:
            await poller.aclose()

    pending, published = asyncio.run(cycle())
    if pending:
        typer.secho(f"   {pending} articles still wait for Kafka", fg="yellow")
    return published


def _count(client: Elasticsearch, index: str) -> int:
    from elasticsearch import NotFoundError

    try:
        client.indices.refresh(index=index)
        return int(client.count(index=index)["count"])
    except NotFoundError:
        return 0


def _wait_indexed(client: Elasticsearch, settings: Settings, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    count = _count(client, settings.index_articles)
    while count < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        count = _count(client, settings.index_articles)
    if count < expected:
        typer.secho(f"   only {count} of {expected} articles indexed in time", fg="yellow")
    return count


def _wait_alerts_settle(
    client: Elasticsearch, settings: Settings, quiet_for: float = 2.0, limit: float = 20.0
) -> None:
    """Alerts trail indexing slightly; wait until their count stops moving."""
    deadline = time.monotonic() + limit
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = _count(client, settings.index_alerts)
        if count != last:
            last, stable_since = count, time.monotonic()
        elif count > 0 and time.monotonic() - stable_since >= quiet_for:
            return
        time.sleep(0.5)


def _show(client: Elasticsearch, settings: Settings, query: str) -> None:
    from newsstream.cli.alerts_commands import list_alerts
    from newsstream.cli.search_commands import print_table
    from search.query import SearchRequest, run_search

    result = run_search(
        client, settings.index_articles, SearchRequest(query=query, limit=5, facets=True)
    )
    everything = run_search(
        client, settings.index_articles, SearchRequest(query="", limit=1, facets=True)
    )
    print_table(result)
    for name, buckets in everything.facets.items():
        if buckets and name in ("language", "topic", "source", "actor"):
            shown = ", ".join(f"{b.value} ({b.count})" for b in buckets[:8])
            typer.echo(f"{name}: {shown}")
    list_alerts(actor=None, since=None, limit=15, as_json=False)
    typer.echo(
        "\nTry: newsstream search stroompanne --lang nl | newsstream alerts list | "
        "newsstream api (then open http://127.0.0.1:8000/)"
    )
