"""docker-compose.yml and the service image: what `docker compose up` would run."""

from __future__ import annotations

import base64
import importlib.metadata
import importlib.util
import shutil
import subprocess
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml
from stacklib.config import DEFAULT_ES_VERSION, DEFAULT_KAFKA_VERSION

from contract.settings import Settings
from tests.conftest import missing

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
SERVERS = {"kafka", "elasticsearch"}
APP = {"poller", "processors", "recogniser", "api"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def in_repo(container_path: str) -> Path:
    """Where a path of the image (WORKDIR /app) comes from in the checkout."""
    assert container_path.startswith("/app/")
    return REPO / container_path.removeprefix("/app/")


def test_the_stack_has_both_servers_and_the_service_parts(compose):
    assert set(compose["services"]) == SERVERS | APP


def test_every_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        assert service.get("healthcheck", {}).get("test"), name


def test_services_start_only_after_both_servers_are_healthy(compose):
    for name in APP:
        depends = compose["services"][name]["depends_on"]
        assert {k: v["condition"] for k, v in depends.items()} == {
            "kafka": "service_healthy",
            "elasticsearch": "service_healthy",
        }, name


def test_named_volumes_are_declared_and_used(compose):
    used = {
        mount.split(":", 1)[0]
        for service in compose["services"].values()
        for mount in service.get("volumes", [])
    }
    assert used == set(compose["volumes"])
    assert all(not name.startswith(("/", ".")) for name in used)  # named, not bind mounts


def test_services_reach_kafka_on_its_advertised_internal_listener(compose):
    kafka_env = compose["services"]["kafka"]["environment"]
    advertised = {
        entry.split("://", 1)[1] for entry in kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    }
    for name in APP:
        env = compose["services"][name]["environment"]
        assert env["NEWSSTREAM_KAFKA_BOOTSTRAP_SERVERS"] in advertised, name
        assert env["NEWSSTREAM_ES_URL"] == "http://elasticsearch:9200", name
        assert env["NEWSSTREAM_DATA_DIR"] == "/data", name


def test_every_service_variable_is_a_real_setting(compose):
    known = {var for var, _ in Settings.variables()}
    for name in APP:
        unknown = {v for v in compose["services"][name]["environment"] if v not in known}
        assert not unknown, f"{name}: {unknown}"


def test_server_versions_match_deploy_stack_and_the_python_client(compose):
    kafka_tag = compose["services"]["kafka"]["image"].rsplit(":", 1)[1]
    es_tag = compose["services"]["elasticsearch"]["image"].rsplit(":", 1)[1]
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")
    assert (kafka_tag, es_tag) == (DEFAULT_KAFKA_VERSION, DEFAULT_ES_VERSION)
    client_major = importlib.metadata.version("elasticsearch").split(".")[0]
    assert es_tag.split(".")[0] == client_major


def test_kafka_runs_kraft_with_a_valid_cluster_id(compose):
    env = compose["services"]["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16


def test_elasticsearch_is_single_node_without_security_and_a_capped_heap(compose):
    env = compose["services"]["elasticsearch"]["environment"]
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "false"
    assert "-Xmx768m" in env["ES_JAVA_OPTS"].split()


def test_files_the_services_point_at_are_in_the_image(compose):
    services = compose["services"]
    command = services["poller"]["command"]
    assert command[:2] == ["newsstream", "poll"]
    assert in_repo(command[command.index("--feeds") + 1]).is_file()
    assert in_repo(services["processors"]["environment"]["NEWSSTREAM_ACTORS"]).is_file()
    assert services["recogniser"]["command"][-2:] == ["--stage", "recognise"]
    assert services["recogniser"]["healthcheck"]["test"][-2:] == ["processors", "recognise"]
    for name in APP:
        test = services[name]["healthcheck"]["test"]
        scripts = [arg for arg in test if arg.startswith("/app/")]
        assert scripts and all(in_repo(s).is_file() for s in scripts), name


def test_the_image_copies_every_package_the_distribution_installs():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    includes = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*").rstrip(".") for pattern in includes}
    dockerfile = (REPO / "Dockerfile").read_text()
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    assert packages <= copied
    assert "FROM python:3.11-slim" in dockerfile
    # editable (the code reads /app/seeds), with the models the recogniser runs
    assert "pip install -e '.[ner]'" in dockerfile


def test_docker_compose_accepts_the_file():
    if shutil.which("docker-compose") is None:
        missing("docker-compose is not installed", "apt-get install docker-compose")
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


# -- the containers' health check script --------------------------------------


def load_healthcheck():
    spec = importlib.util.spec_from_file_location(
        "healthcheck", REPO / "deploy" / "docker" / "healthcheck.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(status: int) -> HTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(("status", "code"), [(200, 0), (503, 1)])
def test_http_health_follows_the_status_code(status, code):
    server = serve(status)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/health"
        assert load_healthcheck().main(["http", url]) == code
    finally:
        server.shutdown()


def test_http_health_fails_when_nothing_listens():
    with serve(200) as server:
        port = server.server_address[1]
        server.shutdown()
    assert load_healthcheck().main(["http", f"http://127.0.0.1:{port}/health"]) == 1


def test_health_check_usage_error():
    assert load_healthcheck().main(["bogus"]) == 2


# -- the mapping the service writes on the full distribution -------------------


def test_compose_runs_the_full_distribution_with_built_in_language_analysers(compose):
    image = compose["services"]["elasticsearch"]["image"]
    assert image.startswith("docker.elastic.co/elasticsearch/elasticsearch:")


def test_the_full_distributions_mapping_is_accepted_and_searchable(es_client, unique):
    """The mapping for the built-in analysers (``dutch``, ``english``, ...), on a real node.

    The local node lacks those analysers, so the index defines stand-ins under
    the same names: what is checked is every field, type and analyser reference
    of the mapping the service writes under docker compose, and that indexing
    and search (with highlights) work on it.
    """
    from search.analysis import LANGUAGE_ANALYZERS
    from search.documents import to_document
    from search.index_template import mappings_component, settings_component
    from search.query import SearchRequest, run_search
    from tests.search.factories import dutch_seed, enriched

    index = f"t{unique}-full-mapping"
    stand_ins = {
        name: {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]}
        for name in set(LANGUAGE_ANALYZERS.values())
    }
    settings = settings_component()["settings"]
    es_client.indices.create(
        index=index,
        settings={**settings, "analysis": {"analyzer": stand_ins}},
        mappings=mappings_component(dict(LANGUAGE_ANALYZERS))["mappings"],
    )
    try:
        records = [
            dutch_seed(),
            enriched(1, title="Maduro culpa a EE.UU. del apagón", language="es"),
        ]
        for record in records:
            es_client.index(
                index=index,
                id=record.id,
                refresh="wait_for",
                document=to_document(record, analysed_languages=frozenset(LANGUAGE_ANALYZERS)),
            )
        result = run_search(es_client, index, SearchRequest(query="maduro"))
        assert sorted(h.language for h in result.hits) == ["es", "nl"]
        assert all("<em>Maduro</em>" in h.title_highlight for h in result.hits)
    finally:
        es_client.indices.delete(index=index)


def test_the_recognisers_health_follows_its_own_consumer_group(
    kafka_bootstrap, unique, tmp_path, monkeypatch
):
    from contract.isolated import isolated_settings, settings_env
    from contract.kafka_admin import ensure_topics
    from newsstream.workers import running_worker

    settings = isolated_settings(unique, tmp_path / "data")
    ensure_topics(settings)
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    health = load_healthcheck()
    assert health.main(["processors", "recognise"]) == 1  # nothing runs yet
    with running_worker(settings, ("recognise",), log_path=tmp_path / "w.log"):
        deadline = time.monotonic() + 30
        while health.main(["processors", "recognise"]) != 0:
            assert time.monotonic() < deadline, "the recogniser's group never showed as live"
            time.sleep(1)
        assert health.main(["processors"]) == 1  # the enrich/index/alerts group is not running
