"""The language-analysis plugin: built from its Java source, cached, installed once.

The integration-test distribution of Elasticsearch has no ``analysis-common``
module, so it knows no language analysers. ``deploy/es-analysis-plugin`` holds
a stable text-analysis plugin (Elasticsearch's stable plugin API) that exposes
Lucene's analysers under ``newsstream_<language>`` names. It is compiled with
the JDK's ``javac`` against the distribution's own ``lib/`` jars (no build
tool), zipped into the download cache under a name carrying a digest of its
source, and installed with ``bin/elasticsearch-plugin``. A changed source makes
a new zip and a reinstall; an unchanged one is neither rebuilt nor reinstalled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

from stacklib.config import StackConfig, StackError

NAME = "newsstream-analysis"
JAVA_RELEASE = "21"
#: The interface every analyser of the plugin implements.
ANALYZER_FACTORY = "org.elasticsearch.plugin.analysis.AnalyzerFactory"
_COMPONENT = re.compile(
    r'@NamedComponent\("([^"]+)"\)\s*public\s+(?:final\s+)?class\s+(\w+)\s+implements\s+(\w+)'
)
_PACKAGE = re.compile(r"^package\s+([\w.]+);", re.MULTILINE)


def source_dir(repo: Path) -> Path:
    return repo / "deploy" / "es-analysis-plugin" / "src"


def java_sources(src: Path) -> list[Path]:
    return sorted(src.rglob("*.java"))


def resources(src: Path) -> list[Path]:
    """Files the classes read at run time (word lists), packed beside them."""
    return sorted(p for p in src.rglob("*") if p.is_file() and p.suffix != ".java")


def named_components(src: Path) -> dict[str, dict[str, str]]:
    """``named_components.json``: interface -> {component name: class}, read from the source."""
    found: dict[str, str] = {}
    for path in java_sources(src):
        text = path.read_text()
        package = _PACKAGE.search(text)
        for name, cls, interface in _COMPONENT.findall(text):
            if interface != "AnalyzerFactory":
                raise StackError(f"{path}: only AnalyzerFactory components are packaged")
            found[name] = f"{package.group(1)}.{cls}" if package else cls
    return {ANALYZER_FACTORY: dict(sorted(found.items()))}


def analyzer_names(repo: Path) -> list[str]:
    """The analysers the plugin offers (``newsstream_dutch``, ...)."""
    return sorted(named_components(source_dir(repo))[ANALYZER_FACTORY])


def descriptor(es_version: str) -> str:
    """``stable-plugin-descriptor.properties``: Elasticsearch refuses any other key."""
    return "\n".join(
        [
            "description=Lucene language analysers (newsstream_<language>) and a folding analyser",
            "version=1.0.0",
            f"name={NAME}",
            f"elasticsearch.version={es_version}",
            f"java.version={JAVA_RELEASE}",
            "",
        ]
    )


def digest(src: Path, es_version: str) -> str:
    """Changes whenever a source file, the Elasticsearch version or the Java release does."""
    h = hashlib.sha256(f"{es_version}\0{JAVA_RELEASE}\0".encode())
    for path in java_sources(src) + resources(src):
        h.update(str(path.relative_to(src)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def zip_name(src: Path, es_version: str) -> str:
    return f"{NAME}-{es_version}-{digest(src, es_version)}.zip"


def build(
    cfg: StackConfig,
    repo: Path,
    es_home: Path,
    es_version: str,
    jdk: Path,
    say: Callable[[str], None],
) -> Path:
    """The plugin zip for this source and version: from the cache, else compiled now."""
    src = source_dir(repo)
    if not java_sources(src):
        raise StackError(f"no Java source under {src}")
    target = cfg.cache_dir / "es-analysis-plugin" / zip_name(src, es_version)
    if target.is_file():
        return target
    javac = jdk / "bin" / "javac"
    if not javac.exists():
        raise StackError(
            f"{jdk} has no javac: the analysis plugin is compiled at provisioning; "
            "install a JDK (not a JRE), or set ES_JAVA_HOME to one"
        )
    say(f"elasticsearch: compiling the analysis plugin with {javac}")
    work = target.parent / f".build-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    classes = work / "classes"
    classes.mkdir(parents=True)
    classpath = os.pathsep.join(str(p) for p in sorted((es_home / "lib").glob("*.jar")))
    cmd = [
        str(javac),
        "--release",
        JAVA_RELEASE,
        "-nowarn",
        "-encoding",
        "UTF-8",
        "-cp",
        classpath,
        "-d",
        str(classes),
        *map(str, java_sources(src)),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise StackError(f"the analysis plugin does not compile:\n{result.stderr.strip()[-3000:]}")
    for resource in resources(src):
        target_file = classes / resource.relative_to(src)
        target_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(resource, target_file)
    jar = work / f"{NAME}.jar"
    _zip_tree(classes, jar)
    staging = work / "plugin.zip"
    with zipfile.ZipFile(staging, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(jar, jar.name)
        archive.writestr("stable-plugin-descriptor.properties", descriptor(es_version))
        archive.writestr("named_components.json", json.dumps(named_components(src), indent=2))
    staging.replace(target)
    shutil.rmtree(work, ignore_errors=True)
    return target


def _zip_tree(root: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(root).as_posix())


def installed_marker(es_home: Path) -> Path:
    return es_home / ".analysis-plugin"


def is_installed(es_home: Path, plugin_zip: Path) -> bool:
    marker = installed_marker(es_home)
    return (
        (es_home / "plugins" / NAME).is_dir()
        and marker.is_file()
        and marker.read_text().strip() == plugin_zip.name
    )


def install(
    es_home: Path, plugin_zip: Path, env: dict[str, str], say: Callable[[str], None]
) -> bool:
    """Install ``plugin_zip`` unless exactly it is installed; True when it installed."""
    if is_installed(es_home, plugin_zip):
        return False
    shutil.rmtree(es_home / "plugins" / NAME, ignore_errors=True)
    installed_marker(es_home).unlink(missing_ok=True)
    cmd = [str(es_home / "bin" / "elasticsearch-plugin"), "install", "--batch", plugin_zip.as_uri()]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=es_home)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise StackError(f"elasticsearch-plugin could not install {plugin_zip}:\n{output}")
    installed_marker(es_home).write_text(plugin_zip.name + "\n")
    say(f"elasticsearch: installed the analysis plugin {NAME} ({plugin_zip.name})")
    return True
