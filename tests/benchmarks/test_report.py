"""The figures in README.md and docs/ are the ones the results files hold."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from tests.conftest import ROOT


@pytest.fixture
def report(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("report", ROOT / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "report", module)
    spec.loader.exec_module(module)
    return module


def write_result(directory, name, figures):
    directory.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": name,
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "uncommitted_changes": False,
        "command": f"python benchmarks/{name}.py",
        "cores": 2,
        "load_average": [1.25, 1.5, 1.75],
        "finished_at": "2026-12-01T10:00:00Z",
        "figures": figures,
    }
    (directory / f"{name}.json").write_text(json.dumps(record), encoding="utf-8")


def test_the_readme_and_docs_match_the_results_files(report):
    assert report.main(["--check"]) == 0, "run: python benchmarks/report.py"


def test_a_region_shows_the_figures_with_the_commit_and_load_they_were_measured_at(
    report, monkeypatch, tmp_path
):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    write_result(
        tmp_path,
        "es_request_cost",
        {
            "background_ms_per_s": 40,
            "ms_cpu_per_doc_by_bulk_size": {"5": 0.3712, "500": 0.0451},
            "ms_cpu_per_request": 1.62,
        },
    )
    page = "intro\n<!-- results:es_request_cost -->\nold figure 9.99\n<!-- /results -->\nend\n"
    new = report.rewrite(page)
    assert "9.99" not in new
    assert "| 5 | 0.371 |" in new and "| 500 | 0.045 |" in new
    assert "1.62 ms" in new
    assert "`0123456789`" in new and "2 cores" in new and "load average 1.2 / 1.5 / 1.8" in new
    assert new.startswith("intro\n") and new.endswith("<!-- /results -->\nend\n")


def test_a_benchmark_without_results_leaves_no_figure_behind(report, monkeypatch, tmp_path):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    page = "<!-- results:web_benchmark -->\n| search | 76 ms |\n<!-- /results -->\n"
    new = report.rewrite(page)
    assert "76" not in new
    assert "Not measured" in new and "python benchmarks/web_benchmark.py" in new


def test_the_results_index_lists_every_file_with_its_commit_and_load(report, monkeypatch, tmp_path):
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    write_result(tmp_path, "e2e", {})
    (tmp_path / "soak.json").write_text(
        json.dumps({"git_commit": "fedcba9876543210", "cores": 4, "load_average_end": 3.5}),
        encoding="utf-8",
    )
    listing = report.render("index")
    assert "| [e2e.json](../benchmarks/results/e2e.json) | `python benchmarks/e2e.py` |" in listing
    assert "`0123456789` | 2 | 1.2 | 2026-12-01 10:00:00 |" in listing
    assert (
        "| [soak.json](../benchmarks/results/soak.json) | - | `fedcba9876` | 4 | 3.5 |" in listing
    )
