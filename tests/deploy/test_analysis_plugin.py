"""The language-analysis plugin that deploy/stack builds and installs."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from stacklib import analysis_plugin, cli, elastic
from stacklib.config import StackConfig, StackError

from contract.settings import Settings
from search.analysis import PLUGIN_ANALYZERS, PLUGIN_FOLDING, PLUGIN_INDEX_ANALYZERS

REPO = Path(__file__).resolve().parents[2]
SRC = analysis_plugin.source_dir(REPO)


def test_the_descriptor_has_only_the_keys_elasticsearch_accepts_for_stable_plugins():
    text = analysis_plugin.descriptor("9.5.0")
    keys = {line.split("=", 1)[0] for line in text.splitlines() if line}
    assert keys == {"description", "version", "name", "elasticsearch.version", "java.version"}
    assert "elasticsearch.version=9.5.0" in text


def test_the_plugin_offers_every_analyser_the_service_looks_for():
    offered = set(analysis_plugin.analyzer_names(REPO))
    assert offered >= {*PLUGIN_ANALYZERS.values(), *PLUGIN_INDEX_ANALYZERS.values(), PLUGIN_FOLDING}


def test_every_named_component_is_a_class_in_the_source():
    components = analysis_plugin.named_components(SRC)[analysis_plugin.ANALYZER_FACTORY]
    for cls in components.values():
        assert (SRC / (cls.replace(".", "/") + ".java")).is_file(), cls


def test_a_changed_source_or_version_gets_a_new_build(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(SRC, copy)
    before = analysis_plugin.digest(copy, "9.5.0")
    assert analysis_plugin.digest(copy, "9.5.1") != before
    next(copy.rglob("DutchPluralFilter.java")).write_text("// changed\n", encoding="utf-8")
    assert analysis_plugin.digest(copy, "9.5.0") != before


def fake_jdk(tmp_path: Path) -> Path:
    """A JDK directory without javac (a JRE, say)."""
    jdk = tmp_path / "jre"
    (jdk / "bin").mkdir(parents=True)
    return jdk


def test_a_cached_build_is_used_without_compiling(tmp_path):
    cfg = StackConfig(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    cached = cfg.cache_dir / "es-analysis-plugin" / analysis_plugin.zip_name(SRC, "9.5.0")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"zip")
    got = analysis_plugin.build(cfg, REPO, tmp_path / "es", "9.5.0", fake_jdk(tmp_path), print)
    assert got == cached


def test_without_javac_the_error_says_a_jdk_is_needed(tmp_path):
    cfg = StackConfig(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    with pytest.raises(StackError, match="no javac"):
        analysis_plugin.build(cfg, REPO, tmp_path / "es", "9.5.0", fake_jdk(tmp_path), print)


def test_an_installed_plugin_of_the_same_build_is_not_installed_again(tmp_path):
    home = tmp_path / "elasticsearch-9.5.0"
    (home / "plugins" / analysis_plugin.NAME).mkdir(parents=True)
    plugin_zip = tmp_path / analysis_plugin.zip_name(SRC, "9.5.0")
    analysis_plugin.installed_marker(home).write_text(plugin_zip.name + "\n")
    # No bin/elasticsearch-plugin exists here: installing would fail.
    assert analysis_plugin.install(home, plugin_zip, {}, print) is False
    assert not analysis_plugin.is_installed(home, tmp_path / "another-build.zip")


def test_status_shows_the_modules_and_the_plugins_analysers_of_the_running_node(es_client):
    port = urlsplit(Settings.from_env().es_url).port or 9200
    status = cli._analysis_status(port)
    assert "newsstream_dutch" in status["analyzers"]["plugin"], (
        "the local Elasticsearch lacks the newsstream-analysis plugin: "
        "`deploy/stack down && deploy/stack up` installs it"
    )
    assert status["modules"] and status["distribution"] in {"integration-test", "full"}
    assert any(p.startswith(analysis_plugin.NAME) for p in status["plugins"])


def test_status_text_names_the_distribution_modules_plugins_and_analysers():
    status = {
        "kafka": {
            "state": "stopped",
            "bootstrap": "127.0.0.1:9092",
            "version": None,
            "cluster_id": None,
            "config": "",
            "data": "",
            "logs": [],
        },
        "elasticsearch": {
            "state": "running",
            "pid": 1,
            "url": "http://127.0.0.1:9200",
            "version": "9.5.0",
            "health": "green",
            "user": None,
            "data": None,
            "logs": [],
            "modules": ["apm", "x-pack-core"],
            "plugins": ["newsstream-analysis 1.0.0"],
            "distribution": "integration-test",
            "analyzers": {"plugin": ["newsstream_dutch", "newsstream_folding"], "built-in": []},
        },
        "state_dir": "/s",
        "cache_dir": "/c",
    }
    text = cli.format_status(status)
    assert "modules    apm, x-pack-core" in text
    assert "integration-test distribution" in text
    assert "plugins    newsstream-analysis 1.0.0" in text
    assert "analysers  plugin newsstream_*: dutch, folding" in text
    status["elasticsearch"]["analyzers"] = {"plugin": [], "built-in": []}
    assert "standard only (no language analysers)" in cli.format_status(status)


def test_a_plugin_that_cannot_be_built_leaves_elasticsearch_startable(tmp_path, capsys):
    cfg = StackConfig(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    paths = elastic.EsPaths(tmp_path / "es", "9.5.0")
    cli._install_analysis_plugin(cfg, "9.5.0", paths, fake_jdk(tmp_path))
    out = capsys.readouterr().out
    assert "starting without the analysis plugin" in out and "no javac" in out
