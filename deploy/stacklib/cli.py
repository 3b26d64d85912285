"""``deploy/stack up | down [--purge] | status [--json] | env``."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from stacklib import analysis_plugin, elastic, kafka, maven, procs, render
from stacklib.config import PREFIX, StackConfig, StackError, load_config
from stacklib.kafka_probe import BrokerInfo, ProtocolError, probe
from stacklib.versions import neighbours

STATE_MARKER = ".newsstream-stack"
READY = {"green", "yellow"}

EPILOG = f"""\
environment (all optional):
  {PREFIX}DIR                    state: data, logs, pid files (default <repo>/.stack)
  {PREFIX}CACHE                  downloads (default ~/.cache/newsstream-stack)
  {PREFIX}KAFKA_VERSION          default 4.4.0; older releases are tried if not served
  {PREFIX}ES_VERSION             default 9.5.0; same
  {PREFIX}KAFKA_PORT             default 9092 ({PREFIX}KAFKA_CONTROLLER_PORT 9093)
  {PREFIX}ES_PORT                default 9200 ({PREFIX}ES_TRANSPORT_PORT 9300)
  {PREFIX}KAFKA_HEAP, _ES_HEAP   default 512m and 768m
  {PREFIX}ES_USER                system user that runs Elasticsearch when we are root
  {PREFIX}MAVEN_REPO             Maven local repository (default: Maven's own)
  {PREFIX}TIMEOUT                seconds `up` waits for health (default 300)
  ES_JAVA_HOME                  JDK for Elasticsearch (default: newest >= 21 in /usr/lib/jvm)
  JAVA_HOME                     JDK for Kafka (default: java on PATH)
"""


def say(message: str) -> None:
    print(message, flush=True)


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def es_root(cfg: StackConfig) -> Path | None:
    """The Elasticsearch runtime directory of this state dir, if one was made."""
    link = cfg.es_link
    if link.is_symlink():
        return link.resolve()
    return link if link.is_dir() else None


def es_running_pid(cfg: StackConfig) -> tuple[int | None, elastic.EsPaths | None]:
    root = es_root(cfg)
    if root is None:
        return None, None
    version = elastic.read_run(root).get("version", cfg.es_version)
    paths = elastic.EsPaths(root, version)
    pid = procs.read_pid(paths.pid)
    return (pid if procs.is_running(pid, paths.marker) else None), paths


def kafka_info(port: int) -> BrokerInfo | None:
    try:
        return probe("127.0.0.1", port)
    except (OSError, ProtocolError):
        return None


# -- up -----------------------------------------------------------------------


def up(cfg: StackConfig) -> int:
    started_at = time.monotonic()
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    (cfg.state_dir / STATE_MARKER).write_text("state directory of deploy/stack\n")
    waiting: dict[str, tuple[int, Path]] = {}  # service -> (pid, log) not yet known healthy
    started: set[str] = set()  # what this call started, and stops again if start-up fails

    kafka_pid = kafka.running_pid(cfg)
    kpaths = kafka.KafkaPaths(cfg)
    if kafka_pid:
        say(f"kafka: already running (pid {kafka_pid})")
        waiting["kafka"] = (kafka_pid, kpaths.server_log)
    elif _foreign("kafka", cfg.kafka_port, kafka_info(cfg.kafka_port) is not None):
        pass
    else:
        _port_free(cfg.kafka_controller_port, "KAFKA_CONTROLLER_PORT")
        version, cache, _ = maven.provision(
            cfg, "kafka", neighbours(cfg.kafka_version), render.kafka_pom, say
        )
        java = kafka.java_binary(os.environ)
        kafka.prepare(cfg, cache, java, say)
        pid = kafka.start(cfg, version, cache, java)
        say(f"kafka {version}: started (pid {pid}), logs in {kpaths.logs}")
        waiting["kafka"] = (pid, kpaths.server_log)
        started.add("kafka")

    es_pid, epaths = es_running_pid(cfg)
    if es_pid and epaths:
        say(f"elasticsearch: already running (pid {es_pid})")
        _warn_if_plugin_outdated(epaths)
        waiting["elasticsearch"] = (es_pid, epaths.console_log)
    elif _foreign("elasticsearch", cfg.es_port, elastic.cluster_health(cfg.es_port) is not None):
        pass
    else:
        _port_free(cfg.es_transport_port, "ES_TRANSPORT_PORT")
        version, cache, _ = maven.provision(
            cfg, "elasticsearch", neighbours(cfg.es_version), render.es_pom, say
        )
        jdk = elastic.java_home(version, os.environ)
        who = elastic.run_as(cfg, say)
        root = elastic.runtime_dir(cfg, who, say)
        epaths = elastic.EsPaths(root, version)
        elastic.unpack(cache / "dist" / f"elasticsearch-{version}.zip", epaths, say)
        _install_analysis_plugin(cfg, version, epaths, jdk)
        elastic.prepare(cfg, epaths, who)
        pid = elastic.start(cfg, version, epaths, who, jdk)
        say(
            f"elasticsearch {version}: started (pid {pid}, user {who.user or 'self'}, "
            f"Java {jdk}), logs in {epaths.logs}"
        )
        waiting["elasticsearch"] = (pid, epaths.console_log)
        started.add("elasticsearch")

    try:
        _wait_ready(cfg, waiting, started_at)
    except StackError:
        for name in started:
            pid = waiting[name][0]
            marker = kpaths.marker if name == "kafka" else (epaths.marker if epaths else "")
            procs.stop(pid, marker, grace=10)
        raise
    say(
        f"stack is up in {time.monotonic() - started_at:.1f} s: "
        f"Kafka {cfg.kafka_bootstrap}, Elasticsearch {cfg.es_url}"
    )
    return 0


def _install_analysis_plugin(
    cfg: StackConfig, version: str, epaths: elastic.EsPaths, jdk: Path
) -> None:
    """Build (or take from the cache) and install the language-analysis plugin.

    Without it Elasticsearch still runs, and the service analyses every
    language with ``standard``; so a failure here is said, not fatal.
    """
    try:
        plugin = analysis_plugin.build(cfg, repo_root(), epaths.home, version, jdk, say)
        epaths.tmp.mkdir(parents=True, exist_ok=True)
        env = elastic.environment(cfg, epaths, jdk)
        if not analysis_plugin.install(epaths.home, plugin, env, say):
            say(f"elasticsearch: analysis plugin {analysis_plugin.NAME} already installed")
    except StackError as exc:
        say(
            f"elasticsearch: WARNING: starting without the analysis plugin, so search "
            f"analyses every language with 'standard': {exc}"
        )


def _warn_if_plugin_outdated(epaths: elastic.EsPaths) -> None:
    src = analysis_plugin.source_dir(repo_root())
    version = elastic.read_run(epaths.root).get("version", "")
    expected = analysis_plugin.zip_name(src, version)
    marker = analysis_plugin.installed_marker(epaths.home)
    current = marker.read_text().strip() if marker.is_file() else ""
    if current != expected:
        say(
            "elasticsearch: runs without the current analysis plugin; "
            "`deploy/stack down && deploy/stack up` installs it"
        )


def _foreign(name: str, port: int, healthy_there: bool) -> bool:
    """True when a server we did not start already serves ``port``; error if it is not ours."""
    if not procs.port_open(port):
        return False
    if healthy_there:
        say(f"{name}: a server not started by deploy/stack answers on port {port}; using it")
        return True
    var = "KAFKA_PORT" if name == "kafka" else "ES_PORT"
    raise StackError(f"port {port} is taken by another program: choose another with {PREFIX}{var}")


def _port_free(port: int, var: str) -> None:
    if procs.port_open(port):
        raise StackError(f"port {port} is taken by another program: set {PREFIX}{var}")


def _wait_ready(cfg: StackConfig, waiting: dict[str, tuple[int, Path]], started_at: float) -> None:
    pending = dict(waiting)
    deadline = time.monotonic() + cfg.timeout
    while pending:
        for name, (pid, log) in list(pending.items()):
            if name == "kafka":
                marker = kafka.KafkaPaths(cfg).marker
                ready = kafka_info(cfg.kafka_port) is not None
            else:
                _, epaths = es_running_pid(cfg)
                marker = epaths.marker if epaths else ""
                ready = elastic.cluster_health(cfg.es_port) in READY
            if ready:
                say(f"{name}: ready after {time.monotonic() - started_at:.1f} s")
                del pending[name]
            elif not procs.is_running(pid, marker):
                tail = procs.log_tail(log)
                raise StackError(f"{name} exited during start-up; end of {log}:\n{tail}")
        if pending and time.monotonic() > deadline:
            tails = "\n".join(f"--- {log}\n{procs.log_tail(log)}" for _, log in pending.values())
            raise StackError(
                f"not healthy after {cfg.timeout:.0f} s ({PREFIX}TIMEOUT): "
                f"{', '.join(pending)}\n{tails}"
            )
        if pending:
            time.sleep(0.5)


# -- status -------------------------------------------------------------------


def collect_status(cfg: StackConfig) -> dict:
    kpaths = kafka.KafkaPaths(cfg)
    krun = _read_json(kpaths.run)
    kpid = kafka.running_pid(cfg)
    kport = _port_of(krun.get("bootstrap"), cfg.kafka_port) if kpid else cfg.kafka_port
    info = kafka_info(kport)
    k = {
        "state": _state(kpid, info is not None),
        "pid": kpid,
        "bootstrap": f"127.0.0.1:{kport}",
        "version": krun.get("version") if kpid else None,
        "cluster_id": info.cluster_id if info else None,
        "config": str(kpaths.properties),
        "data": str(kpaths.data),
        "logs": [str(kpaths.server_log), str(kpaths.console_log)],
    }
    es_pid, epaths = es_running_pid(cfg)
    erun = elastic.read_run(epaths.root) if epaths else {}
    eport = _port_of(erun.get("url"), cfg.es_port) if es_pid else cfg.es_port
    health = elastic.cluster_health(eport)
    e = {
        "state": _state(es_pid, health in READY),
        "pid": es_pid,
        "url": f"http://127.0.0.1:{eport}",
        "version": elastic.server_version(eport) if health else None,
        "health": health,
        "user": erun.get("user") if es_pid else None,
        "data": str(epaths.data) if epaths else None,
        "logs": [str(epaths.server_log), str(epaths.console_log)] if epaths else [],
        **(_analysis_status(eport) if health else {}),
    }
    return {
        "kafka": k,
        "elasticsearch": e,
        "state_dir": str(cfg.state_dir),
        "cache_dir": str(cfg.cache_dir),
    }


def _analysis_status(port: int) -> dict:
    """Modules, plugins and language analysers: which distribution this is, in effect."""
    extensions = elastic.node_extensions(port)
    plugin = elastic.available_analyzers(port, analysis_plugin.analyzer_names(repo_root()))
    builtin = elastic.available_analyzers(port, elastic.BUILTIN_ANALYZERS)
    full = "analysis-common" in extensions["modules"]
    return {
        **extensions,
        "distribution": "full" if full else "integration-test",
        "analyzers": {"plugin": plugin, "built-in": builtin},
    }


def _port_of(address: object, default: int) -> int:
    """The port recorded at start-up (the environment may have changed since)."""
    tail = str(address or "").rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else default


def _state(pid: int | None, healthy: bool) -> str:
    if pid and healthy:
        return "running"
    if pid:
        return "starting"  # or stuck: the process lives but does not answer yet
    return "external" if healthy else "stopped"


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def format_status(status: dict) -> str:
    k, e = status["kafka"], status["elasticsearch"]
    lines = [_headline("kafka", k, k["bootstrap"], f"Kafka {k['version'] or '?'}")]
    if k["cluster_id"]:
        lines.append(f"    cluster id {k['cluster_id']}")
    if k["state"] != "external":  # our files say nothing about someone else's server
        lines += [
            f"    config     {k['config']}",
            f"    data       {k['data']}",
            f"    logs       {', '.join(k['logs'])}",
        ]
    lines.append(_headline("elasticsearch", e, e["url"], f"Elasticsearch {e['version'] or '?'}"))
    if e["health"]:
        runs_as = f", runs as {e['user']}" if e["user"] else ""
        lines.append(f"    health     {e['health']}{runs_as}")
    if "modules" in e:
        lines += [
            f"    modules    {', '.join(e['modules']) or 'none'}",
            f"    kind       {e['distribution']} distribution",
            f"    plugins    {', '.join(e['plugins']) or 'none'}",
            f"    analysers  {_analysers_line(e['analyzers'])}",
        ]
    if e["state"] != "external" and e["data"]:
        lines += [f"    data       {e['data']}", f"    logs       {', '.join(e['logs'])}"]
    lines += [f"state dir {status['state_dir']}", f"cache dir {status['cache_dir']}"]
    return "\n".join(lines)


def _analysers_line(analyzers: dict[str, list[str]]) -> str:
    parts = []
    for kind, names in analyzers.items():
        if names and all(n.startswith("newsstream_") for n in names):
            parts.append(f"{kind} newsstream_*: {', '.join(n[11:] for n in names)}")
        elif names:
            parts.append(f"{kind}: {', '.join(names)}")
    return "; ".join(parts) or "standard only (no language analysers)"


def _headline(name: str, svc: dict, address: str, version: str) -> str:
    state = svc["state"]
    if state == "stopped":
        return f"{name:<14} stopped"
    pid = f"pid {svc['pid']}" if svc["pid"] else "not started by deploy/stack"
    return f"{name:<14} {state}  {address}  {version}  ({pid})"


def status(cfg: StackConfig, as_json: bool) -> int:
    report = collect_status(cfg)
    print(json.dumps(report, indent=2) if as_json else format_status(report))
    healthy = {"running", "external"}
    ok = report["kafka"]["state"] in healthy and report["elasticsearch"]["state"] in healthy
    return 0 if ok else 1


# -- down ---------------------------------------------------------------------


def down(cfg: StackConfig, purge: bool) -> int:
    kpaths = kafka.KafkaPaths(cfg)
    kpid = procs.read_pid(kpaths.pid)
    if kpid:
        say(f"kafka: {procs.stop(kpid, kpaths.marker, kafka.STOP_GRACE)}")
        kpaths.pid.unlink(missing_ok=True)
    root = es_root(cfg)
    if root is not None:
        epaths = elastic.EsPaths(root, elastic.read_run(root).get("version", cfg.es_version))
        for pidfile in (epaths.pid, epaths.server_pid):
            pid = procs.read_pid(pidfile)
            if pid:
                result = procs.stop(pid, epaths.marker, elastic.STOP_GRACE)
                if pidfile == epaths.pid or result != "not running":
                    say(f"elasticsearch: {result}")
        epaths.pid.unlink(missing_ok=True)
    if purge:
        _purge(cfg, root)
    return 0


def _purge(cfg: StackConfig, root: Path | None) -> None:
    state = cfg.state_dir
    if not state.exists():
        say(f"nothing to purge at {state}")
        return
    if not (state / STATE_MARKER).exists():
        raise StackError(f"{state} has no {STATE_MARKER}: not made by deploy/stack, not removed")
    if root is not None and cfg.es_link.is_symlink():
        shutil.rmtree(root, ignore_errors=True)
        say(f"removed {root}")
    shutil.rmtree(state)
    say(f"removed {state} (data and logs); the download cache {cfg.cache_dir} is kept")


# -- entry point --------------------------------------------------------------


def env_lines(cfg: StackConfig) -> list[str]:
    return [
        f"export NEWSSTREAM_KAFKA_BOOTSTRAP_SERVERS={cfg.kafka_bootstrap}",
        f"export NEWSSTREAM_ES_URL={cfg.es_url}",
    ]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="deploy/stack",
        description=(
            "Run a real single-node Kafka (KRaft) and Elasticsearch on this machine, "
            "provisioned from Maven Central, without Docker."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("up", help="fetch (first time only), start both servers, wait until healthy")
    d = sub.add_parser("down", help="stop both servers")
    d.add_argument("--purge", action="store_true", help="also delete their data and logs")
    s = sub.add_parser("status", help="what runs, where, which versions; exit 1 if one is down")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser("env", help="print the NEWSSTREAM_* exports that point the service at the stack")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        cfg = load_config(os.environ, repo_root(), Path.home())
        if args.command == "up":
            return up(cfg)
        if args.command == "down":
            return down(cfg, args.purge)
        if args.command == "status":
            return status(cfg, args.json)
        print("\n".join(env_lines(cfg)))
        return 0
    except StackError as exc:
        print(f"deploy/stack: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
