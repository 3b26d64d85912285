"""Elasticsearch: a JDK it accepts, an unprivileged user, an unpacked home, a start.

Elasticsearch refuses to run as root, so when we are root it runs as a
system user of its own. That user must be able to reach its files: every
directory above them needs the execute bit for it. When the state directory
sits somewhere it cannot reach (say under /root, mode 700), the Elasticsearch
part moves to a directory under /var/lib and the state directory links to it;
no system directory's permissions are ever changed.
"""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import re
import stat
import subprocess
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from stacklib import procs, render
from stacklib.config import StackConfig, StackError, heap_mb

JVM_ROOT = Path("/usr/lib/jvm")
FALLBACK_ROOT = Path("/var/lib/newsstream-stack")
STOP_GRACE = 45.0


# -- Java ---------------------------------------------------------------------


def jdk_major(release_text: str) -> int | None:
    """The feature version from a JDK's ``release`` file (``JAVA_VERSION="21.0.4"`` -> 21)."""
    match = re.search(r'^JAVA_VERSION="([^"]+)"', release_text, re.MULTILINE)
    if not match:
        return None
    parts = match.group(1).split(".")
    if parts[0] == "1" and len(parts) > 1:  # 1.8.0_x
        parts = parts[1:]
    digits = re.match(r"\d+", parts[0])
    return int(digits.group()) if digits else None


def installed_jdks(root: Path = JVM_ROOT) -> list[tuple[Path, int]]:
    found: dict[Path, int] = {}
    for home in sorted(root.glob("*")) if root.is_dir() else []:
        real = home.resolve()
        release = real / "release"
        if real in found or not (real / "bin" / "java").exists() or not release.exists():
            continue
        major = jdk_major(release.read_text(errors="replace"))
        if major is not None:
            found[real] = major
    return sorted(found.items(), key=lambda item: str(item[0]))


def choose_jdk(jdks: Iterable[tuple[Path, int]], minimum: int) -> Path | None:
    """The newest JDK of at least ``minimum``, or None."""
    usable = [(major, str(path)) for path, major in jdks if major >= minimum]
    return Path(max(usable)[1]) if usable else None


def minimum_java(es_version: str) -> int:
    return 21 if int(es_version.split(".")[0]) >= 9 else 17


def java_home(es_version: str, environ: dict[str, str] | os._Environ) -> Path:
    minimum = minimum_java(es_version)
    if environ.get("ES_JAVA_HOME"):
        given = Path(environ["ES_JAVA_HOME"])
        release = given / "release"
        major = jdk_major(release.read_text(errors="replace")) if release.is_file() else None
        if major is not None and major < minimum:
            raise StackError(
                f"ES_JAVA_HOME={given} is Java {major}; Elasticsearch {es_version} needs "
                f"Java {minimum} or newer"
            )
        return given
    jdks = installed_jdks()
    chosen = choose_jdk(jdks, minimum)
    if chosen is None:
        seen = ", ".join(f"{p} (Java {m})" for p, m in jdks) or "none"
        raise StackError(
            f"Elasticsearch {es_version} needs Java {minimum} or newer; JDKs under "
            f"{JVM_ROOT}: {seen}. Install one, or set ES_JAVA_HOME to its directory."
        )
    return chosen


# -- who runs it, and where ---------------------------------------------------


@dataclass(frozen=True)
class RunAs:
    user: str | None  # None: ourselves (we are not root)
    uid: int
    gids: frozenset[int]


def run_as(cfg: StackConfig, say: Callable[[str], None]) -> RunAs:
    if os.geteuid() != 0:
        return RunAs(None, os.getuid(), frozenset(os.getgroups()) | {os.getgid()})
    try:
        entry = pwd.getpwnam(cfg.es_user)
    except KeyError:
        cmd = [
            "useradd",
            "--system",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            cfg.es_user,
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise StackError(
                f"could not create the system user {cfg.es_user!r} that runs Elasticsearch "
                f"(it refuses to run as root): {result.stderr.strip()}"
            ) from None
        say(f"elasticsearch: created system user {cfg.es_user!r} to run it (not as root)")
        entry = pwd.getpwnam(cfg.es_user)
    gids = {entry.pw_gid} | {g.gr_gid for g in grp.getgrall() if cfg.es_user in g.gr_mem}
    return RunAs(cfg.es_user, entry.pw_uid, frozenset(gids))


def can_traverse(mode: int, owner: int, group: int, uid: int, gids: frozenset[int]) -> bool:
    if uid == 0:
        return True
    if owner == uid:
        return bool(mode & stat.S_IXUSR)
    if group in gids:
        return bool(mode & stat.S_IXGRP)
    return bool(mode & stat.S_IXOTH)


def blocking_ancestor(
    path: Path, uid: int, gids: frozenset[int], stat_fn: Callable[[Path], os.stat_result] = os.stat
) -> Path | None:
    """The first existing directory on the way to ``path`` that ``uid`` cannot enter."""
    for directory in [*reversed(path.parents), path]:
        try:
            st = stat_fn(directory)
        except FileNotFoundError:
            return None  # the rest will be created by us, with the right owner
        if not can_traverse(st.st_mode, st.st_uid, st.st_gid, uid, gids):
            return directory
    return None


def fallback_dir(state_dir: Path) -> Path:
    digest = hashlib.sha1(str(state_dir).encode()).hexdigest()[:12]
    return FALLBACK_ROOT / f"es-{digest}"


def runtime_dir(cfg: StackConfig, who: RunAs, say: Callable[[str], None]) -> Path:
    """Where Elasticsearch's home, data and logs go; ``cfg.es_link`` names it in the state dir."""
    link = cfg.es_link
    if link.is_symlink():
        return link.resolve()
    blocker = blocking_ancestor(cfg.state_dir, who.uid, who.gids)
    if blocker is None:
        return link
    target = fallback_dir(cfg.state_dir)
    other = blocking_ancestor(target, who.uid, who.gids)
    if other is not None:
        raise StackError(
            f"user {who.user!r} cannot enter {blocker} nor {other}: set NEWSSTREAM_STACK_DIR "
            "to a directory every user can traverse"
        )
    say(
        f"elasticsearch: user {who.user!r} cannot enter {blocker}, so its home, data and "
        f"logs go to {target} (linked from {link})"
    )
    target.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target, target_is_directory=True)
    return target


# -- files --------------------------------------------------------------------


class EsPaths:
    def __init__(self, root: Path, version: str):
        self.root = root
        self.home = root / f"elasticsearch-{version}"
        self.config = self.home / "config"
        self.data = root / "data"
        self.logs = root / "logs"
        self.tmp = root / "tmp"
        self.pid = root / "launcher.pid"
        self.server_pid = root / "server.pid"
        self.run = root / "run.json"
        self.console_log = self.logs / "console.log"
        self.server_log = self.logs / f"{render.ES_CLUSTER_NAME}.log"

    @property
    def marker(self) -> str:
        return str(self.home)


def unpack(zip_path: Path, paths: EsPaths, say: Callable[[str], None]) -> None:
    """Unzip the distribution once per state dir, keeping the files' permission bits."""
    done = paths.home / ".unpacked"
    if done.exists():
        return
    say(f"elasticsearch: unpacking {zip_path.name} into {paths.root}")
    staging = paths.root / ".unpack"
    _rmtree(staging)
    staging.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
        if tops != {paths.home.name}:
            raise StackError(f"{zip_path}: unexpected layout {sorted(tops)[:3]}")
        for info in archive.infolist():
            target = Path(archive.extract(info, staging))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(target, mode)
    _rmtree(paths.home)
    (staging / paths.home.name).rename(paths.home)
    staging.rmdir()
    done.write_text("")


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def prepare(cfg: StackConfig, paths: EsPaths, who: RunAs) -> None:
    for d in (paths.data, paths.logs, paths.tmp):
        d.mkdir(parents=True, exist_ok=True)
    (paths.config / "elasticsearch.yml").write_text(render.es_yml(cfg, paths.data, paths.logs))
    if who.user is not None:
        entry = pwd.getpwnam(who.user)
        for base, dirs, files in os.walk(paths.root):
            for name in [*dirs, *files]:
                os.lchown(os.path.join(base, name), entry.pw_uid, entry.pw_gid)
        os.chown(paths.root, entry.pw_uid, entry.pw_gid)


def environment(cfg: StackConfig, paths: EsPaths, jdk: Path) -> dict[str, str]:
    heap = cfg.es_heap
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(paths.root),
        "ES_JAVA_HOME": str(jdk),
        "ES_JAVA_OPTS": " ".join(render.java_heap_flags(heap)),
        "ES_TMPDIR": str(paths.tmp),
        "ES_PATH_CONF": str(paths.config),
    }


def start(cfg: StackConfig, version: str, paths: EsPaths, who: RunAs, jdk: Path) -> int:
    cmd = [str(paths.home / "bin" / "elasticsearch"), "-p", str(paths.server_pid)]
    env = environment(cfg, paths, jdk)
    proc = procs.start_detached(cmd, paths.console_log, env, paths.root, user=who.user)
    paths.pid.write_text(f"{proc.pid}\n")
    paths.run.write_text(
        json.dumps(
            {
                "version": version,
                "url": cfg.es_url,
                "transport": f"127.0.0.1:{cfg.es_transport_port}",
                "heap": cfg.es_heap,
                "heap_mb": heap_mb(cfg.es_heap),
                "user": who.user or pwd.getpwuid(who.uid).pw_name,
                "java_home": str(jdk),
                "home": str(paths.home),
                "pid": proc.pid,
            },
            indent=2,
        )
    )
    return proc.pid


def read_run(root: Path) -> dict:
    try:
        return json.loads((root / "run.json").read_text())
    except (OSError, ValueError):
        return {}


# -- health -------------------------------------------------------------------


def get_json(url: str, timeout: float = 3.0) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None


def cluster_health(port: int) -> str | None:
    """'green', 'yellow' or 'red' when the node answers, else None."""
    body = get_json(f"http://127.0.0.1:{port}/_cluster/health?timeout=2s")
    return body.get("status") if body else None


def server_version(port: int) -> str | None:
    # Not `GET /`: the integration-test distribution has no root endpoint.
    body = get_json(f"http://127.0.0.1:{port}/_nodes/_local?filter_path=nodes.*.version")
    nodes = list((body or {}).get("nodes", {}).values())
    return nodes[0].get("version") if nodes else None


def post_json(url: str, body: dict, timeout: float = 3.0) -> tuple[int, dict | None]:
    """(HTTP status, parsed body) of a JSON POST; status 0 when nothing answered."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


#: Built-in language analysers of the full distribution (module analysis-common), probed by status.
BUILTIN_ANALYZERS = (
    "danish",
    "dutch",
    "english",
    "french",
    "german",
    "italian",
    "portuguese",
    "spanish",
    "swedish",
)


def node_extensions(port: int) -> dict[str, list[str]]:
    """The node's modules and plugins (``name`` or ``name version``)."""
    body = get_json(
        f"http://127.0.0.1:{port}/_nodes/_local/plugins"
        "?filter_path=nodes.*.modules.name,nodes.*.plugins.name,nodes.*.plugins.version"
    )
    nodes = list((body or {}).get("nodes", {}).values())
    node = nodes[0] if nodes else {}
    return {
        "modules": sorted(m["name"] for m in node.get("modules", [])),
        "plugins": sorted(
            f"{p['name']} {p.get('version', '')}".strip() for p in node.get("plugins", [])
        ),
    }


def available_analyzers(port: int, names: Iterable[str]) -> list[str]:
    """Those of ``names`` that ``_analyze`` knows (a 400 means it does not)."""
    url = f"http://127.0.0.1:{port}/_analyze"
    return [n for n in names if post_json(url, {"analyzer": n, "text": "test"})[0] == 200]
