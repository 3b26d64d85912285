"""Write a benchmark's figures to ``benchmarks/results/<name>.json`` with where they came from.

Every figure the README and ``docs/`` quote is generated from these files
(``python benchmarks/report.py``), so each carries the commit it measured, the
command that produced it, the machine's core count and its load average: a
figure means little without the load it was measured under.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def commit() -> str:
    """The commit checked out now (a long run reads it at its start)."""
    return _git("rev-parse", "HEAD") or "unknown"


def provenance() -> dict[str, Any]:
    """Commit, uncommitted changes to the code, command, cores, load average and time."""
    changed = _git(
        "status", "--porcelain", "--untracked-files=no", "--", ".", ":!benchmarks/results"
    )
    return {
        "commit": commit(),
        "uncommitted_changes": bool(changed),
        "command": " ".join(["python", "benchmarks/" + Path(sys.argv[0]).name, *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write(name: str, figures: dict[str, Any], *, started_load: float | None = None) -> Path:
    """Write ``figures`` as ``benchmarks/results/<name>.json`` and say where."""
    record: dict[str, Any] = {"benchmark": name, **provenance()}
    if started_load is not None:
        record["load_average_at_start"] = round(started_load, 2)
    record["figures"] = figures
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    print(f"results written to {path.relative_to(ROOT)}")
    return path


def load_start() -> float:
    """The one-minute load average now, to record beside the figures at the end."""
    return os.getloadavg()[0]
