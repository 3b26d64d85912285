"""Fetch server artifacts from Maven Central into the download cache, once.

A version counts as cached when its directory holds a ``.complete`` marker,
written only after Maven finished; a cached version never runs Maven again,
so a second ``up`` downloads nothing. Maven is first asked offline (the local
repository may already hold everything), then online.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from stacklib.config import StackConfig, StackError

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
    """Return (version, cache directory, downloaded?) for the first candidate available.

    Candidates are taken in order: a cached one is used as it is, a missing one
    is fetched, and one the registry does not serve gives way to the next.
    """
    cached = cached_versions(cfg.cache_dir, kind)
    failures = []
    for version in candidates:
        if version in cached:
            chosen, downloaded = version, False
        else:
            error = _fetch_logged(cfg, kind, version, pom(version), say)
            if error is not None:
                failures.append(f"  {version}: {error}")
                continue
            chosen, downloaded = version, True
        if chosen != candidates[0]:
            say(f"{kind} {candidates[0]} is not available; using {chosen} instead")
        return chosen, cfg.cache_dir / f"{kind}-{chosen}", downloaded
    raise StackError(
        f"no {kind} version is cached or could be fetched into {cfg.cache_dir}:\n"
        + "\n".join(failures)
    )


def _fetch_logged(
    cfg: StackConfig, kind: str, version: str, pom_text: str, say: Callable[[str], None]
) -> str | None:
    mvn = shutil.which("mvn")
    if mvn is None:
        return "not cached, and Maven is not installed (Debian: apt-get install maven)"
    cfg.cache_dir.mkdir(parents=True, exist_ok=True)
    say(f"{kind} {version}: resolving from Maven Central ...")
    started = time.monotonic()
    error = _fetch(cfg, mvn, kind, version, pom_text)
    if error is None:
        say(f"{kind} {version}: fetched in {time.monotonic() - started:.1f} s")
    else:
        say(f"{kind} {version}: not available ({error})")
    return error


def _fetch(cfg: StackConfig, mvn: str, kind: str, version: str, pom_text: str) -> str | None:
    work = cfg.cache_dir / f".work-{kind}-{version}"
    shutil.rmtree(work, ignore_errors=True)
    out = work / "out"
    work.mkdir(parents=True)
    (work / "pom.xml").write_text(pom_text)
    base = [mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(work / "pom.xml")]
    if cfg.maven_repo:
        base.append(f"-Dmaven.repo.local={cfg.maven_repo}")
    goal = [
        "dependency:copy-dependencies",
        f"-DoutputDirectory={out}",
        "-DincludeScope=runtime",
    ]
    error = "unknown"
    for offline in (True, False):
        # Online, -U re-asks for releases an earlier run found missing.
        cmd = base + (["-o"] if offline else ["-U"]) + goal
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
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    lines = [line.strip() for line in output.splitlines() if "ERROR" in line]
    text = lines[0] if lines else (output.strip().splitlines() or ["failed"])[-1]
    return text[:300]
