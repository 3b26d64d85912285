"""`newsstream run`: the whole service on one machine, in one command.

Brings the local stack up when no servers are configured and none answer,
then supervises a continuous poller, N workers and the API with the web
pages (see :mod:`newsstream.supervise`), shows how far the pipeline has got,
and on Ctrl-C or SIGTERM stops everything in order.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from contract.settings import PREFIX, Settings
from newsstream.cli.common import load_settings

if TYPE_CHECKING:
    from newsstream.supervise import ChildSpec

RECOGNISER_NICENESS = 10  # the recogniser's scheduling priority, below the workers'

REPO = Path(__file__).resolve().parents[2]
STACK_SCRIPT = REPO / "deploy" / "stack"


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def default_workers(cpus: int | None, partitions: int) -> int:
    """One worker per core, at most one per partition.

    Measured with the poller and both servers on the same two cores
    (``benchmarks/e2e.py``, 10,000 articles): two workers moved 345 articles/s
    where one moved 291.
    """
    return max(1, min(partitions, cpus or 1))


def default_recognisers(installed: bool) -> int:
    """One recognise worker when the statistical models are installed (the ``ner``
    extra), none otherwise: one keeps up with news-feed rates (its articles/s per
    core: ``benchmarks/recognition_speed.py``), and each loads the models into
    memory of its own."""
    return 1 if installed else 0


def models_installed() -> bool:
    return importlib.util.find_spec("pycrfsuite") is not None


def _answers(hostport: str, timeout: float = 1.0) -> bool:
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def _es_hostport(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 9200)}"


def ensure_servers(settings: Settings) -> bool:
    """Make sure Kafka and Elasticsearch answer; True when this started the local stack."""
    kafka = settings.kafka_bootstrap_servers.split(",")[0]
    es = _es_hostport(settings.es_url)
    up = {"Kafka": _answers(kafka), "Elasticsearch": _answers(es)}
    if all(up.values()):
        return False
    configured = any(f"{PREFIX}{n}" in os.environ for n in ("KAFKA_BOOTSTRAP_SERVERS", "ES_URL"))
    missing = ", ".join(name for name, ok in up.items() if not ok)
    if configured or any(up.values()):
        typer.secho(
            f"{missing} not reachable (Kafka {kafka}, Elasticsearch {settings.es_url}); "
            "start it, or unset the NEWSSTREAM_ server variables to use the local "
            "stack",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)
    if not STACK_SCRIPT.exists():
        typer.secho(
            f"no servers answer and {STACK_SCRIPT} is not here to start them", fg="red", err=True
        )
        raise typer.Exit(1)
    typer.echo(f"no Kafka or Elasticsearch here: starting them ({STACK_SCRIPT} up)", err=True)
    if subprocess.run([sys.executable, str(STACK_SCRIPT), "up"], check=False).returncode:
        typer.secho("the local stack did not start; see deploy/stack status", fg="red", err=True)
        raise typer.Exit(1)
    return True


def _child_env(settings: Settings, feeds: Path, private_feeds: bool) -> dict[str, str]:
    env = dict(os.environ)
    env[f"{PREFIX}FEEDS"] = str(feeds.resolve())
    env[f"{PREFIX}DATA_DIR"] = str(settings.data_path.resolve())
    if private_feeds:
        env[f"{PREFIX}ALLOW_PRIVATE_NETWORKS"] = "1"
    return env


def _wait_for_api(url: str, proc_alive, timeout: float = 60.0) -> bool:  # noqa: ANN001
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc_alive():
        try:
            if httpx.get(url + "health", timeout=2).status_code in (200, 503):
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def run(
    feeds: Path = typer.Option(..., "--feeds", help="Feed list to poll, YAML or OPML."),
    workers: int = typer.Option(
        0, "--workers", "-w", min=0, help="Worker processes (default: one per core)."
    ),
    host: str = typer.Option("127.0.0.1", help="Address of the web page and API."),
    port: int = typer.Option(8000, help="Port of the web page and API."),
    serve: Path = typer.Option(
        None,
        "--serve",
        help="Also serve the feed files in this directory on 127.0.0.1 "
        "(the offline sample feeds: seeds/feeds/fixtures).",
    ),
    serve_port: int = typer.Option(8765, help="Port for --serve."),
    recognisers: int | None = typer.Option(
        None,
        "--recognisers",
        min=0,
        help="Recognise-stage workers, which add the statistical "
        "names (default: 1 when the ner extra is installed, else 0).",
    ),
    allow_unauthenticated: bool = typer.Option(
        False, "--allow-unauthenticated", help="See `newsstream api --help`."
    ),
) -> None:
    """Run the whole service: poller, workers, web page and API, until Ctrl-C."""
    from newsstream.cli.search_commands import check_api_exposure

    settings = load_settings()
    # The status reader's Kafka client logs its own time-outs; the status line shows
    # "lag ?" instead, and the children's logs say what Kafka did to them.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    if not feeds.exists():
        typer.secho(f"feed list not found: {feeds}", fg="red", err=True)
        raise typer.Exit(2)
    _load_feeds_or_exit(feeds)
    check_api_exposure(host, settings.api_key_list, allow_unauthenticated)
    count = workers or default_workers(os.cpu_count(), settings.topic_partitions)
    installed = models_installed()
    if recognisers is None:
        recognisers = default_recognisers(installed)
    if recognisers and not installed:
        typer.secho(
            "--recognisers needs the ner extra: pip install -e '.[ner]'", fg="red", err=True
        )
        raise typer.Exit(2)
    if not recognisers:
        typer.echo(
            "statistical names are off (fast path only): "
            + (
                "no recogniser asked for"
                if installed
                else "install the ner extra, pip install -e '.[ner]'"
            ),
            err=True,
        )
    started_stack = ensure_servers(settings)
    server = _serve(serve, serve_port) if serve else None
    try:
        _supervise(
            settings, feeds, count, recognisers, host, port, bool(serve), allow_unauthenticated
        )
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if started_stack:
            typer.echo(f"stopping the local stack it started ({STACK_SCRIPT} down)", err=True)
            subprocess.run([sys.executable, str(STACK_SCRIPT), "down"], check=False)


def _load_feeds_or_exit(path: Path) -> None:
    from contract.errors import ConfigError
    from ingest import feedlist

    try:
        feedlist.load(path)
    except ConfigError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None


def _serve(directory: Path, port: int):  # noqa: ANN202 - http.server type
    from ingest.serve import make_server

    if not directory.is_dir():
        typer.secho(f"not a directory: {directory}", fg="red", err=True)
        raise typer.Exit(2)
    try:
        server = make_server(directory, port=port)
    except OSError as exc:
        typer.secho(f"cannot serve {directory} on 127.0.0.1:{port}: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    typer.echo(f"serving {directory} on http://127.0.0.1:{server.server_port}/", err=True)
    return server


def child_specs(
    settings: Settings,
    feeds: Path,
    workers: int,
    recognisers: int,
    api: list[str],
    env: dict[str, str],
) -> list[ChildSpec]:
    """The processes of the service, in start order, each with its stop group:
    the poller stops first, then the workers drain, then the page goes."""
    from newsstream.supervise import ChildSpec

    logs = settings.data_path / "logs"
    me = [sys.executable, "-m", "newsstream"]
    specs = [
        ChildSpec(
            "poller", [*me, "poll", "--feeds", str(feeds)], env, logs / "poller.log", stop_group=0
        )
    ]
    specs += [
        ChildSpec(f"worker-{i}", [*me, "process"], env, logs / f"worker-{i}.log", stop_group=1)
        for i in range(1, workers + 1)
    ]
    # The recogniser yields the CPU to the fast path, which keeps every article
    # searchable within the second; the statistical names follow when cores are free.
    nice = ["nice", "-n", str(RECOGNISER_NICENESS)] if shutil.which("nice") else []
    specs += [
        ChildSpec(
            f"recogniser-{i}",
            [*nice, *me, "process", "--stage", "recognise"],
            env,
            logs / f"recogniser-{i}.log",
            stop_group=1,
        )
        for i in range(1, recognisers + 1)
    ]
    specs.append(ChildSpec("api", [*me, *api], env, logs / "api.log", stop_group=2))
    return specs


def _supervise(
    settings: Settings,
    feeds: Path,
    workers: int,
    recognisers: int,
    host: str,
    port: int,
    private_feeds: bool,
    allow_unauthenticated: bool,
) -> None:
    from contract.kafka_admin import ensure_topics
    from newsstream.pipeline_status import StatusFeed, StatusReader
    from newsstream.supervise import Supervisor
    from processors.groups import DEFAULT_STAGES, app_id_for
    from processors.recognition.recognise import VERSION_KEY

    ensure_topics(settings)
    env = _child_env(settings, feeds, private_feeds)
    logs = settings.data_path / "logs"
    api = ["api", "--host", host, "--port", str(port)]
    if allow_unauthenticated:
        api.append("--allow-unauthenticated")
    specs = child_specs(settings, feeds, workers, recognisers, api, env)

    stop = threading.Event()
    interrupted = {"count": 0}

    def on_signal(signum: int, _frame: object) -> None:
        interrupted["count"] += 1
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    terminal = sys.stdout.isatty()
    supervisor = Supervisor(specs, report=lambda text: _say(text, terminal))
    recognise_group = app_id_for(settings, ("recognise",)) if recognisers else None
    reader = StatusReader(
        settings,
        app_id_for(settings, DEFAULT_STAGES),
        recognise_group,
        recognised_version=VERSION_KEY,
    )
    status = StatusFeed(reader, every=2.0 if terminal else 10.0)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/"
    try:
        supervisor.start_all()
        status.start()
        parts = ["the poller", f"{workers} worker{'s' if workers != 1 else ''}"]
        if recognisers:
            parts.append(f"{recognisers} recogniser{'s' if recognisers != 1 else ''}")
        typer.echo(f"started {', '.join(parts)} and the API (logs: {logs})")
        api_child = supervisor.children[-1]
        if _wait_for_api(
            f"http://127.0.0.1:{port}/" if host in ("0.0.0.0", "::") else url,
            lambda: api_child.running and not stop.is_set(),
        ):
            typer.secho(f"newsstream is running: open {url}  (Ctrl-C stops it)", bold=True)
        elif not stop.is_set():
            _say(f"the API did not answer on {url}; see {logs / 'api.log'}", terminal)
        _watch(supervisor, status, stop, terminal)
    finally:
        if terminal:
            sys.stdout.write("\r\x1b[2K")
        typer.echo("stopping: poller, workers, API …")
        supervisor.stop_all(grace=5.0 if interrupted["count"] > 1 else 30.0)
        status.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        typer.echo("stopped; nothing left running")


def _say(text: str, terminal: bool) -> None:
    if terminal:
        sys.stdout.write("\r\x1b[2K")
    stamp = time.strftime("%H:%M:%S")
    typer.echo(f"{stamp} {text}")


def _watch(supervisor, status, stop: threading.Event, terminal: bool) -> None:  # noqa: ANN001
    """Supervise until asked to stop; a live line on a terminal, log lines otherwise."""
    shown, last_print = None, 0.0
    while not stop.is_set():
        supervisor.tick()
        now = time.monotonic()
        latest = status.latest
        if latest is not None and terminal:
            width = shutil.get_terminal_size((120, 24)).columns
            sys.stdout.write("\r\x1b[2K" + latest.line()[: max(40, width - 1)])
            sys.stdout.flush()
        elif latest is not None and (latest != shown or now - last_print >= 300):
            typer.echo(f"{time.strftime('%H:%M:%S')} {latest.line()}")
            shown, last_print = latest, now
        stop.wait(0.5)
