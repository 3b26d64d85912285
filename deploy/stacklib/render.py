"""Configuration files for the servers and the Maven projects that fetch them.

Pure functions of the configuration, so that what gets written is testable
without starting anything.
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

from stacklib.config import StackConfig

LOG4J_VERSION = "2.24.3"
# Pinned: left alone, Maven mediates slf4j-api down to 1.7.x and Kafka logs nothing.
SLF4J_VERSION = "2.0.17"
ES_CLUSTER_NAME = "newsstream-local"


def kafka_properties(cfg: StackConfig, data_dir: Path) -> str:
    """A single-node KRaft broker+controller bound to loopback."""
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{cfg.kafka_controller_port}",
        "listeners": (
            f"PLAINTEXT://127.0.0.1:{cfg.kafka_port},"
            f"CONTROLLER://127.0.0.1:{cfg.kafka_controller_port}"
        ),
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{cfg.kafka_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
    }
    lines = ["# Written by deploy/stack; edits are overwritten on the next `up`."]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def kafka_log4j2(log_dir: Path) -> str:
    """Log4j2 configuration sending Kafka's logs to a size-capped file."""
    log = log_dir / "server.log"
    return "\n".join(
        [
            "status = warn",
            "appender.file.type = RollingFile",
            "appender.file.name = file",
            f"appender.file.fileName = {log}",
            f"appender.file.filePattern = {log}.%i",
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = [%d] %p %m (%c)%n",
            "appender.file.policies.type = Policies",
            "appender.file.policies.size.type = SizeBasedTriggeringPolicy",
            "appender.file.policies.size.size = 50MB",
            "appender.file.strategy.type = DefaultRolloverStrategy",
            "appender.file.strategy.max = 3",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.file.ref = file",
            "logger.request.name = kafka.request.logger",
            "logger.request.level = WARN",
            "logger.cleaner.name = kafka.log.LogCleaner",
            "logger.cleaner.level = WARN",
            "",
        ]
    )


def es_yml(cfg: StackConfig, data_dir: Path, log_dir: Path) -> str:
    """A single-node, loopback-only cluster with security off (local use only)."""
    settings = {
        "cluster.name": ES_CLUSTER_NAME,
        "node.name": "local-1",
        "network.host": "127.0.0.1",
        "http.port": str(cfg.es_port),
        "transport.port": str(cfg.es_transport_port),
        "discovery.type": "single-node",
        "xpack.security.enabled": "false",
        "path.data": str(data_dir),
        "path.logs": str(log_dir),
        "cluster.routing.allocation.disk.threshold_enabled": "false",
    }
    lines = ["# Written by deploy/stack; edits are overwritten on the next `up`."]
    lines += [f"{key}: {_yaml_scalar(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def _yaml_scalar(value: str) -> str:
    if value in {"true", "false"} or value.isdigit() or value.replace("-", "").isalnum():
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def java_heap_flags(heap: str) -> list[str]:
    return [f"-Xms{heap}", f"-Xmx{heap}"]


def kafka_pom(version: str) -> str:
    """A throwaway Maven project whose runtime dependencies are a Kafka broker."""
    deps = [
        ("org.apache.kafka", "kafka_2.13", version, "jar"),
        ("org.apache.logging.log4j", "log4j-slf4j2-impl", LOG4J_VERSION, "jar"),
        ("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION, "jar"),
        ("org.slf4j", "slf4j-api", SLF4J_VERSION, "jar"),
    ]
    return _pom("kafka-runtime", deps)


def es_pom(version: str) -> str:
    """A throwaway Maven project whose one dependency is the Elasticsearch zip."""
    deps = [("org.elasticsearch.distribution.integ-test-zip", "elasticsearch", version, "zip")]
    return _pom("elasticsearch-runtime", deps)


def _pom(artifact: str, deps: list[tuple[str, str, str, str]]) -> str:
    body = "".join(
        "    <dependency>"
        f"<groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>"
        f"<type>{t}</type></dependency>\n"
        for g, a, v, t in deps
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        f"  <groupId>local.newsstream</groupId><artifactId>{artifact}</artifactId>"
        "<version>1</version>\n"
        f"  <dependencies>\n{body}  </dependencies>\n"
        "</project>\n"
    )


def kafka_cluster_id(data: bytes | None = None) -> str:
    """A cluster id in Kafka's format: 16 random bytes, URL-safe base64, unpadded.

    Kafka never hands out ids starting with '-' (they read as options on a
    command line), so the first character is kept away from it.
    """
    data = uuid.uuid4().bytes if data is None else data
    if data[0] >> 2 == 62:  # base64 digit 62 is '-'
        data = bytes([data[0] & 0x7F]) + data[1:]
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
