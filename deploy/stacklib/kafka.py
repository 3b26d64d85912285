"""The Kafka broker: write its configuration, format its storage once, start it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from stacklib import procs, render
from stacklib.config import StackConfig, StackError

MAIN_CLASS = "kafka.Kafka"
STOP_GRACE = 30.0


class KafkaPaths:
    def __init__(self, cfg: StackConfig):
        self.root = cfg.kafka_dir
        self.data = self.root / "data"
        self.logs = self.root / "logs"
        self.properties = self.root / "server.properties"
        self.log4j = self.root / "log4j2.properties"
        self.pid = self.root / "kafka.pid"
        self.run = self.root / "run.json"
        self.server_log = self.logs / "server.log"
        self.console_log = self.logs / "console.log"

    @property
    def marker(self) -> str:
        """Part of the command line that identifies our broker."""
        return str(self.properties)


def java_binary(environ: dict[str, str] | os._Environ) -> str:
    home = environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise StackError("Kafka needs Java 17 or newer: install a JDK or set JAVA_HOME")
    return found


def classpath(cache: Path) -> str:
    return str(cache / "libs") + "/*"


def prepare(cfg: StackConfig, cache: Path, java: str, say) -> None:
    """Write the configuration; format the storage if this state dir has none yet."""
    paths = KafkaPaths(cfg)
    for d in (paths.data, paths.logs):
        d.mkdir(parents=True, exist_ok=True)
    paths.properties.write_text(render.kafka_properties(cfg, paths.data))
    paths.log4j.write_text(render.kafka_log4j2(paths.logs))
    if (paths.data / "meta.properties").exists():
        return
    cluster_id = render.kafka_cluster_id()
    say(f"kafka: formatting storage in {paths.data} (cluster id {cluster_id})")
    cmd = [
        java,
        f"-Dlog4j2.configurationFile={paths.log4j}",
        "-cp",
        classpath(cache),
        "kafka.tools.StorageTool",
        "format",
        "-t",
        cluster_id,
        "-c",
        str(paths.properties),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"kafka storage format failed:\n{result.stdout}{result.stderr}")


def command(cfg: StackConfig, cache: Path, java: str) -> list[str]:
    paths = KafkaPaths(cfg)
    return [
        java,
        *render.java_heap_flags(cfg.kafka_heap),
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={paths.log4j}",
        f"-Dkafka.logs.dir={paths.logs}",
        "-cp",
        classpath(cache),
        MAIN_CLASS,
        str(paths.properties),
    ]


def start(cfg: StackConfig, version: str, cache: Path, java: str) -> int:
    paths = KafkaPaths(cfg)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
    proc = procs.start_detached(command(cfg, cache, java), paths.console_log, env, paths.root)
    paths.pid.write_text(f"{proc.pid}\n")
    paths.run.write_text(
        json.dumps(
            {
                "version": version,
                "bootstrap": cfg.kafka_bootstrap,
                "controller": f"127.0.0.1:{cfg.kafka_controller_port}",
                "heap": cfg.kafka_heap,
                "pid": proc.pid,
            },
            indent=2,
        )
    )
    return proc.pid


def running_pid(cfg: StackConfig) -> int | None:
    paths = KafkaPaths(cfg)
    pid = procs.read_pid(paths.pid)
    return pid if procs.is_running(pid, paths.marker) else None
