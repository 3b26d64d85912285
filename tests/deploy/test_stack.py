"""deploy/stack without servers: configuration, rendering, version choice, probes, CLI."""

from __future__ import annotations

import base64
import json
import os
import socket
import stat
import struct
import sys
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from stacklib import cli, elastic, maven, procs, render
from stacklib.config import StackConfig, StackError, load_config
from stacklib.kafka_probe import (
    API_METADATA,
    API_VERSIONS,
    ProtocolError,
    parse_api_versions,
    parse_metadata,
    probe,
)
from stacklib.versions import neighbours

REPO = Path(__file__).resolve().parents[2]


def config(tmp_path: Path, **env: str) -> StackConfig:
    return load_config({f"NEWSSTREAM_STACK_{k}": v for k, v in env.items()}, REPO, tmp_path)


# -- configuration ------------------------------------------------------------


def test_defaults_put_state_in_the_repo_and_downloads_in_the_user_cache(tmp_path):
    cfg = config(tmp_path)
    assert cfg.state_dir == REPO / ".stack"
    assert cfg.cache_dir == tmp_path / ".cache" / "newsstream-stack"
    assert (cfg.kafka_bootstrap, cfg.es_url) == ("127.0.0.1:9092", "http://127.0.0.1:9200")
    assert (cfg.kafka_version, cfg.es_version) == ("4.4.0", "9.5.0")


def test_environment_overrides_every_location_port_and_size(tmp_path):
    cfg = config(
        tmp_path,
        DIR=str(tmp_path / "state"),
        CACHE=str(tmp_path / "cache"),
        KAFKA_PORT="19092",
        KAFKA_CONTROLLER_PORT="19093",
        ES_PORT="19200",
        ES_TRANSPORT_PORT="19300",
        KAFKA_HEAP="1g",
        ES_HEAP="600M",
        ES_VERSION="9.2.0",
    )
    assert cfg.state_dir == tmp_path / "state"
    assert cfg.cache_dir == tmp_path / "cache"
    assert cfg.kafka_bootstrap == "127.0.0.1:19092"
    assert cfg.es_url == "http://127.0.0.1:19200"
    assert (cfg.kafka_heap, cfg.es_heap, cfg.es_version) == ("1g", "600m", "9.2.0")


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("KAFKA_PORT", "kafka"),
        ("ES_PORT", "70000"),
        ("ES_HEAP", "lots"),
        ("KAFKA_HEAP", "64m"),
        ("ES_HEAP", "16g"),
        ("KAFKA_VERSION", "4.4"),
        ("TIMEOUT", "soon"),
    ],
)
def test_a_bad_value_names_its_variable(tmp_path, var, value):
    with pytest.raises(StackError, match=f"NEWSSTREAM_STACK_{var}"):
        config(tmp_path, **{var: value})


def test_two_services_on_one_port_is_refused(tmp_path):
    with pytest.raises(StackError, match="must all differ"):
        config(tmp_path, ES_PORT="9092")


# -- versions -----------------------------------------------------------------


def test_neighbours_try_the_requested_version_then_older_ones_of_the_same_major():
    assert neighbours("9.5.0") == ["9.5.0", "9.4.0", "9.3.0", "9.2.0", "9.1.0", "9.0.0"]
    assert neighbours("4.4.2", limit=5) == ["4.4.2", "4.4.1", "4.4.0", "4.3.0", "4.2.0"]
    assert neighbours("4.0.0") == ["4.0.0"]


def test_an_interrupted_download_does_not_count_as_cached(tmp_path):
    (tmp_path / "kafka-4.4.0" / "libs").mkdir(parents=True)
    (tmp_path / "kafka-4.3.0").mkdir()
    (tmp_path / "kafka-4.3.0" / maven.MARKER).write_text("4.3.0\n")
    assert maven.cached_versions(tmp_path, "kafka") == {"4.3.0"}


def cache_with(tmp_path: Path, kind: str, *versions: str) -> None:
    for version in versions:
        (tmp_path / f"{kind}-{version}").mkdir()
        (tmp_path / f"{kind}-{version}" / maven.MARKER).write_text(version)


@pytest.fixture
def no_maven(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))


def test_a_cached_version_is_used_without_maven(tmp_path, no_maven):
    cache_with(tmp_path, "kafka", "4.4.0", "4.3.0")
    cfg = config(tmp_path, CACHE=str(tmp_path))
    got = maven.provision(cfg, "kafka", neighbours("4.4.0"), render.kafka_pom, print)
    assert got == ("4.4.0", tmp_path / "kafka-4.4.0", False)


def test_an_unavailable_version_gives_way_to_a_cached_neighbour(tmp_path, no_maven, capsys):
    cache_with(tmp_path, "elasticsearch", "9.2.0", "9.4.0")
    cfg = config(tmp_path, CACHE=str(tmp_path))
    got = maven.provision(cfg, "elasticsearch", neighbours("9.5.0"), render.es_pom, print)
    assert got == ("9.4.0", tmp_path / "elasticsearch-9.4.0", False)
    assert "elasticsearch 9.5.0 is not available; using 9.4.0 instead" in capsys.readouterr().out


def test_without_cache_or_maven_the_error_says_what_to_install(tmp_path, no_maven):
    cfg = config(tmp_path, CACHE=str(tmp_path))
    with pytest.raises(StackError, match="apt-get install maven"):
        maven.provision(cfg, "kafka", ["4.4.0"], render.kafka_pom, print)


# -- rendered files -----------------------------------------------------------


def properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return dict(pairs)


def test_kafka_runs_kraft_on_loopback_with_the_configured_ports(tmp_path):
    cfg = config(tmp_path, KAFKA_PORT="19092", KAFKA_CONTROLLER_PORT="19093")
    props = properties(render.kafka_properties(cfg, tmp_path / "data"))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["offsets.topic.replication.factor"] == "1"


def test_kafka_logs_go_to_a_file_in_the_state_dir(tmp_path):
    text = render.kafka_log4j2(tmp_path / "logs")
    assert f"fileName = {tmp_path / 'logs' / 'server.log'}" in text
    assert "rootLogger.appenderRef.file.ref = file" in text


def test_elasticsearch_is_a_single_loopback_node_without_security(tmp_path):
    cfg = config(tmp_path, ES_PORT="19200", ES_TRANSPORT_PORT="19300")
    odd = tmp_path / "dir with: colon"
    conf = yaml.safe_load(render.es_yml(cfg, odd / "data", odd / "logs"))
    assert conf["discovery.type"] == "single-node"
    assert conf["xpack.security.enabled"] is False
    assert conf["network.host"] == "127.0.0.1"
    assert (conf["http.port"], conf["transport.port"]) == (19200, 19300)
    assert conf["path.data"] == str(odd / "data")
    assert conf["path.logs"] == str(odd / "logs")


def dependencies(pom: str) -> dict[str, tuple[str, str]]:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.fromstring(pom)
    return {
        d.findtext("m:artifactId", namespaces=ns): (
            d.findtext("m:version", namespaces=ns),
            d.findtext("m:type", namespaces=ns),
        )
        for d in root.iterfind("m:dependencies/m:dependency", ns)
    }


def test_kafka_pom_pins_slf4j_2_so_the_broker_can_log():
    deps = dependencies(render.kafka_pom("4.3.0"))
    assert deps["kafka_2.13"] == ("4.3.0", "jar")
    assert deps["slf4j-api"][0].startswith("2.")
    assert "log4j-slf4j2-impl" in deps and "log4j-core" in deps


def test_elasticsearch_pom_fetches_the_integration_test_zip():
    assert dependencies(render.es_pom("9.5.0")) == {"elasticsearch": ("9.5.0", "zip")}


def test_cluster_ids_have_kafkas_format_and_never_start_with_a_dash():
    for first in (0x00, 0xF8, 0xFB, 0xFF):
        cid = render.kafka_cluster_id(bytes([first]) + bytes(15))
        assert len(cid) == 22 and not cid.startswith("-")
        assert len(base64.urlsafe_b64decode(cid + "==")) == 16
    assert render.kafka_cluster_id() != render.kafka_cluster_id()


# -- Kafka wire probe ---------------------------------------------------------


def _string(text: str | None) -> bytes:
    if text is None:
        return struct.pack(">h", -1)
    raw = text.encode()
    return struct.pack(">h", len(raw)) + raw


def api_versions_response(correlation: int, ranges: dict[int, tuple[int, int]]) -> bytes:
    body = struct.pack(">ihi", correlation, 0, len(ranges))
    body += b"".join(struct.pack(">hhh", k, lo, hi) for k, (lo, hi) in ranges.items())
    return body


def metadata_response(correlation: int, brokers: list[tuple[int, str, int]]) -> bytes:
    body = struct.pack(">iii", correlation, 0, len(brokers))
    for node, host, port in brokers:
        body += struct.pack(">i", node) + _string(host) + struct.pack(">i", port) + _string(None)
    return body + _string("cluster-x") + struct.pack(">ii", 1, 0)


def test_metadata_parsing_reads_brokers_cluster_and_controller():
    info = parse_metadata(metadata_response(2, [(1, "127.0.0.1", 9092), (2, "kafka", 29092)]))
    assert info.brokers == [(1, "127.0.0.1", 9092), (2, "kafka", 29092)]
    assert (info.cluster_id, info.controller_id) == ("cluster-x", 1)


def test_api_versions_error_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        parse_api_versions(struct.pack(">ihi", 1, 35, 0))


def fake_broker(responses):
    """A one-connection TCP server answering each request with the next canned response."""
    server = socket.create_server(("127.0.0.1", 0))
    seen: list[tuple[int, int]] = []

    def serve():
        conn, _ = server.accept()
        with conn:
            for make in responses:
                size = struct.unpack(">i", conn.recv(4))[0]
                request = b""
                while len(request) < size:
                    request += conn.recv(size - len(request))
                key, version, correlation = struct.unpack_from(">hhi", request)
                seen.append((key, version))
                payload = make(correlation)
                conn.sendall(struct.pack(">i", len(payload)) + payload)
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1], seen


def test_probe_asks_api_versions_then_a_metadata_version_the_broker_offers():
    port, seen = fake_broker(
        [
            lambda c: api_versions_response(c, {API_METADATA: (4, 13), API_VERSIONS: (0, 4)}),
            lambda c: metadata_response(c, [(1, "127.0.0.1", 9092)]),
        ]
    )
    info = probe("127.0.0.1", port)
    assert info.brokers == [(1, "127.0.0.1", 9092)]
    assert seen == [(API_VERSIONS, 0), (API_METADATA, 4)]


def test_probe_rejects_a_broker_that_knows_no_live_brokers_yet():
    port, _ = fake_broker(
        [
            lambda c: api_versions_response(c, {API_METADATA: (0, 12)}),
            lambda c: metadata_response(c, []),
        ]
    )
    with pytest.raises(ProtocolError, match="no live brokers"):
        probe("127.0.0.1", port)


# -- Elasticsearch: Java, user, directories -----------------------------------


def test_jdk_release_files_give_the_feature_version():
    assert elastic.jdk_major('IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="25.0.1"\n') == 25
    assert elastic.jdk_major('JAVA_VERSION="1.8.0_432"') == 8
    assert elastic.jdk_major('JAVA_VERSION="21"') == 21
    assert elastic.jdk_major("nothing here") is None


def test_the_newest_jdk_that_is_new_enough_is_chosen():
    jdks = [(Path("/jvm/17"), 17), (Path("/jvm/25"), 25), (Path("/jvm/21"), 21)]
    assert elastic.choose_jdk(jdks, elastic.minimum_java("9.5.0")) == Path("/jvm/25")
    assert elastic.choose_jdk(jdks[:1], elastic.minimum_java("9.5.0")) is None
    assert elastic.minimum_java("8.19.0") == 17


def fake_stat(modes: dict[str, tuple[int, int, int]]):
    def stat_fn(path: Path):
        if str(path) not in modes:
            raise FileNotFoundError(path)
        mode, uid, gid = modes[str(path)]
        return SimpleNamespace(st_mode=stat.S_IFDIR | mode, st_uid=uid, st_gid=gid)

    return stat_fn


def test_a_private_home_directory_blocks_the_elasticsearch_user():
    tree = fake_stat(
        {
            "/": (0o755, 0, 0),
            "/root": (0o700, 0, 0),
            "/root/repo": (0o755, 0, 0),
            "/tmp": (0o1777, 0, 0),
            "/srv": (0o750, 0, 50),
        }
    )
    user = frozenset({50})
    assert elastic.blocking_ancestor(Path("/root/repo/.stack"), 999, user, tree) == Path("/root")
    assert elastic.blocking_ancestor(Path("/tmp/x/.stack"), 999, user, tree) is None
    assert elastic.blocking_ancestor(Path("/srv/.stack"), 999, user, tree) is None  # via group
    assert elastic.blocking_ancestor(Path("/srv/.stack"), 999, frozenset(), tree) == Path("/srv")


def test_each_state_dir_gets_its_own_fallback_directory():
    a, b = Path("/root/a/.stack"), Path("/root/b/.stack")
    assert elastic.fallback_dir(a) == elastic.fallback_dir(a)
    assert elastic.fallback_dir(a) != elastic.fallback_dir(b)
    assert elastic.fallback_dir(a).parent == elastic.FALLBACK_ROOT


def make_zip(path: Path, top: str) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        script = zipfile.ZipInfo(f"{top}/bin/elasticsearch")
        script.external_attr = (stat.S_IFREG | 0o755) << 16
        archive.writestr(script, "#!/bin/sh\n")
        archive.writestr(f"{top}/config/jvm.options", "-Xss1m\n")


def test_unpacking_keeps_the_launcher_executable(tmp_path):
    make_zip(tmp_path / "es.zip", "elasticsearch-9.5.0")
    paths = elastic.EsPaths(tmp_path / "rt", "9.5.0")
    elastic.unpack(tmp_path / "es.zip", paths, lambda _: None)
    assert os.access(paths.home / "bin" / "elasticsearch", os.X_OK)
    assert (paths.config / "jvm.options").read_text() == "-Xss1m\n"


def test_unpacking_refuses_an_archive_of_another_version(tmp_path):
    make_zip(tmp_path / "es.zip", "elasticsearch-9.4.0")
    with pytest.raises(StackError, match="unexpected layout"):
        elastic.unpack(tmp_path / "es.zip", elastic.EsPaths(tmp_path, "9.5.0"), print)


def test_elasticsearch_gets_its_heap_tmpdir_and_jdk_from_the_environment(tmp_path):
    cfg = config(tmp_path, ES_HEAP="900m")
    paths = elastic.EsPaths(tmp_path, "9.5.0")
    env = elastic.environment(cfg, paths, Path("/jvm/25"))
    assert env["ES_JAVA_OPTS"] == "-Xms900m -Xmx900m"
    assert env["ES_TMPDIR"] == str(tmp_path / "tmp")
    assert env["ES_JAVA_HOME"] == "/jvm/25"
    assert env["ES_PATH_CONF"] == str(paths.home / "config")


# -- processes ----------------------------------------------------------------


def test_a_pid_counts_as_ours_only_with_the_marker_in_its_command_line(tmp_path):
    marker = str(tmp_path / "marker-arg")
    child = procs.start_detached(
        [sys.executable, "-c", "import time; time.sleep(60)", marker],
        tmp_path / "out.log",
        dict(os.environ),
        tmp_path,
    )
    try:
        # Until the child has exec'd, /proc shows the parent's command line.
        deadline = time.monotonic() + 10
        while not procs.is_running(child.pid, marker) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert procs.is_running(child.pid, marker)
        assert not procs.is_running(child.pid, str(tmp_path / "other"))
        assert procs.stop(child.pid, str(tmp_path / "other"), grace=1) == "not running"
        assert procs.stop(child.pid, marker, grace=5) == "stopped"
        child.wait(5)
        assert not procs.is_running(child.pid, marker)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_stale_or_garbled_pid_files_read_as_nothing(tmp_path):
    (tmp_path / "x.pid").write_text("not-a-pid\n")
    assert procs.read_pid(tmp_path / "x.pid") is None
    assert procs.read_pid(tmp_path / "missing.pid") is None
    assert not procs.is_running(None, "anything")


# -- command line -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def empty_stack(tmp_path, monkeypatch):
    """An unused state dir on ports where nothing listens."""
    for name in ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "ES_PORT", "ES_TRANSPORT_PORT"):
        monkeypatch.setenv(f"NEWSSTREAM_STACK_{name}", str(free_port()))
    monkeypatch.setenv("NEWSSTREAM_STACK_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NEWSSTREAM_STACK_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_status_reports_stopped_servers_and_fails(empty_stack, capsys):
    assert cli.main(["status"]) == 1
    out = capsys.readouterr().out
    assert "kafka          stopped" in out
    assert "elasticsearch  stopped" in out
    assert str(empty_stack / "state") in out


def test_status_json_is_machine_readable(empty_stack, capsys):
    assert cli.main(["status", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["kafka"]["state"] == report["elasticsearch"]["state"] == "stopped"


def test_down_with_nothing_running_succeeds(empty_stack):
    assert cli.main(["down"]) == 0


def test_purge_refuses_a_directory_it_did_not_make(empty_stack, capsys):
    state = empty_stack / "state"
    state.mkdir()
    (state / "precious.txt").write_text("keep me")
    assert cli.main(["down", "--purge"]) == 1
    assert "not removed" in capsys.readouterr().err
    assert (state / "precious.txt").exists()


def test_a_bad_variable_is_reported_without_a_traceback(empty_stack, monkeypatch, capsys):
    monkeypatch.setenv("NEWSSTREAM_STACK_ES_PORT", "http")
    assert cli.main(["status"]) == 1
    assert "NEWSSTREAM_STACK_ES_PORT" in capsys.readouterr().err


def test_env_prints_exports_for_the_service_settings(empty_stack, monkeypatch, capsys):
    monkeypatch.setenv("NEWSSTREAM_STACK_KAFKA_PORT", "19092")
    monkeypatch.setenv("NEWSSTREAM_STACK_ES_PORT", "19200")
    assert cli.main(["env"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "export NEWSSTREAM_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092",
        "export NEWSSTREAM_ES_URL=http://127.0.0.1:19200",
    ]


def test_unknown_commands_and_options_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["restart"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        cli.main(["up", "--purge"])
    assert cli.parser().parse_args(["down", "--purge"]).purge is True
