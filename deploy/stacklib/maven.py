"""Fetch server artifacts from Maven Central into the download cache, once.

A version counts as cached when its directory holds a ``.complete`` marker,
written only after Maven finished; a cached version never runs Maven again,
so a second ``up`` downloads nothing. Maven is first asked offline (the local
repository may already hold everything), then online.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from stacklib.config import StackConfig, StackError
from stacklib.versions import first_cached

MARKER = ".complete"


def cached_versions(cache_dir: Path, kind: str) -> set[str]:
    found = set()
    for path in cache_dir.glob(f"{kind}-*"):
        if (path / MARKER).exists():
            found.add(path.name[len(kind) + 1 :])
    return found


def provision(
    cfg: StackConfig,
    kind: str,
    candidates: list[str],
    pom: Callable[[str], str],
    say: Callable[[str], None],
) -> tuple[str, Path, bool]:
    """Return (version, cache directory, downloaded?) for the first candidate available."""
    cached = first_cached(candidates, cached_versions(cfg.cache_dir, kind))
    if cached:
        return cached, cfg.cache_dir / f"{kind}-{cached}", False
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            f"{kind} is not in the cache ({cfg.cache_dir}) and Maven is not installed: "
            "install it (Debian: apt-get install maven) and run `deploy/stack up` again"
        )
    cfg.cache_dir.mkdir(parents=True, exist_ok=True)
    failures = []
    for version in candidates:
        say(f"{kind} {version}: resolving from Maven Central ...")
        started = time.monotonic()
        error = _fetch(cfg, mvn, kind, version, pom(version))
        if error is None:
            say(f"{kind} {version}: fetched in {time.monotonic() - started:.1f} s")
            if version != candidates[0]:
                say(f"{kind} {candidates[0]} is not served; using {version} instead")
            return version, cfg.cache_dir / f"{kind}-{version}", True
        failures.append(f"  {version}: {error}")
    raise StackError(
        f"no {kind} version could be fetched (tried {', '.join(candidates)}):\n"
        + "\n".join(failures)
    )


def _fetch(cfg: StackConfig, mvn: str, kind: str, version: str, pom_text: str) -> str | None:
    work = cfg.cache_dir / f".work-{kind}-{version}"
    shutil.rmtree(work, ignore_errors=True)
    out = work / "out"
    work.mkdir(parents=True)
    (work / "pom.xml").write_text(pom_text)
    base = [mvn, "-q", "-B", "-f", str(work / "pom.xml")]
    if cfg.maven_repo:
        base.append(f"-Dmaven.repo.local={cfg.maven_repo}")
    goal = [
        "dependency:copy-dependencies",
        f"-DoutputDirectory={out}",
        "-DincludeScope=runtime",
    ]
    error = "unknown"
    for offline in (True, False):
        cmd = base + (["-o"] if offline else []) + goal
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
        if result.returncode == 0 and out.is_dir() and any(out.iterdir()):
            target = cfg.cache_dir / f"{kind}-{version}"
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            out.rename(target / ("libs" if kind == "kafka" else "dist"))
            (target / MARKER).write_text(f"{version}\n")
            shutil.rmtree(work, ignore_errors=True)
            return None
        error = _summarise(result.stdout + result.stderr)
    shutil.rmtree(work, ignore_errors=True)
    return error


def _summarise(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if "ERROR" in line]
    text = lines[0] if lines else (output.strip().splitlines() or ["failed"])[-1]
    return text[:300]
