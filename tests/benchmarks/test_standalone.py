"""The benchmarks run where `deploy/run` installed the service: without pytest or the tests."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

RESULTS_PATH = re.compile(r"[\"']results[\"']|benchmarks/results/")
SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))
# Each script run as `python benchmarks/NAME.py --help`, with pytest made unimportable.
WITHOUT_PYTEST = (
    "import runpy, sys; sys.modules['pytest'] = None; "
    "sys.path.insert(0, sys.argv[1]); sys.argv = [sys.argv[2], '--help']; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def imported_modules(path) -> set[str]:
    """Every module a script imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_a_benchmark_imports_neither_the_tests_nor_pytest(script):
    roots = {name.split(".")[0] for name in imported_modules(script)}
    assert not roots & {"tests", "pytest"}, f"{script.name} imports {roots & {'tests', 'pytest'}}"


@pytest.mark.parametrize(
    "script", [s for s in SCRIPTS if "argparse" in imported_modules(s)], ids=lambda p: p.name
)
def test_a_benchmark_starts_without_pytest(script):
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYTEST, str(script.parent), str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


@pytest.mark.parametrize(
    "script",
    [s for s in SCRIPTS if "argparse" in imported_modules(s) and s.name != "report.py"],
    ids=lambda p: p.name,
)
def test_a_benchmark_writes_its_results_file(script):
    """Figures in the docs come from benchmarks/results/<name>.json (benchmarks/results.py)."""
    source = script.read_text(encoding="utf-8")
    assert "results.write(" in source or RESULTS_PATH.search(source)
