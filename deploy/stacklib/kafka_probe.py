"""Ask a Kafka broker for its metadata over the wire protocol, standard library only.

Two requests: ApiVersions v0 (which every broker answers) and then Metadata
at a non-flexible version the broker supports (v4..v8), which proves the
broker is up, has joined its own KRaft quorum and knows its listeners.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

API_METADATA = 3
API_VERSIONS = 18
_CLIENT_ID = b"newsstream-stack"


class ProtocolError(Exception):
    """The peer answered, but not like a healthy Kafka broker."""


@dataclass(frozen=True)
class BrokerInfo:
    brokers: list[tuple[int, str, int]]
    cluster_id: str | None
    controller_id: int


def encode_request(api_key: int, api_version: int, correlation_id: int, body: bytes) -> bytes:
    """Request header v1 (key, version, correlation id, client id) plus body, size-prefixed."""
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(_CLIENT_ID))
    payload = header + _CLIENT_ID + body
    return struct.pack(">i", len(payload)) + payload


def parse_api_versions(payload: bytes) -> dict[int, tuple[int, int]]:
    """ApiVersions v0 response (after the size prefix): {api key: (min, max)}."""
    _, error, count = struct.unpack_from(">ihi", payload, 0)
    if error:
        raise ProtocolError(f"ApiVersions error code {error}")
    out = {}
    for i in range(count):
        key, low, high = struct.unpack_from(">hhh", payload, 10 + 6 * i)
        out[key] = (low, high)
    return out


def metadata_body(version: int) -> bytes:
    body = struct.pack(">i", -1)  # null topic array: all topics
    body += b"\x00"  # allow_auto_topic_creation = false
    if version >= 8:
        body += b"\x00\x00"  # no authorized-operations lookups
    return body


def parse_metadata(payload: bytes) -> BrokerInfo:
    """Metadata v4..v8 response (after the size prefix): brokers, cluster id, controller."""
    offset = 8  # correlation id, throttle time
    (count,) = struct.unpack_from(">i", payload, offset)
    offset += 4
    brokers = []
    for _ in range(count):
        (node_id,) = struct.unpack_from(">i", payload, offset)
        host, offset = _string(payload, offset + 4)
        (port,) = struct.unpack_from(">i", payload, offset)
        _, offset = _string(payload, offset + 4)  # rack
        brokers.append((node_id, host or "", port))
    cluster_id, offset = _string(payload, offset)
    (controller,) = struct.unpack_from(">i", payload, offset)
    return BrokerInfo(brokers, cluster_id, controller)


def _string(payload: bytes, offset: int) -> tuple[str | None, int]:
    (length,) = struct.unpack_from(">h", payload, offset)
    offset += 2
    if length < 0:
        return None, offset
    return payload[offset : offset + length].decode("utf-8"), offset + length


def probe(host: str, port: int, timeout: float = 3.0) -> BrokerInfo:
    """Metadata of the broker at ``host:port``; raises OSError or ProtocolError."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(encode_request(API_VERSIONS, 0, 1, b""))
        versions = parse_api_versions(_read_response(sock, 1))
        if API_METADATA not in versions:
            raise ProtocolError("broker does not offer Metadata")
        low, high = versions[API_METADATA]
        version = min(max(low, 4), 8)
        if not low <= version <= high:
            raise ProtocolError(f"no common Metadata version (broker offers {low}..{high})")
        sock.sendall(encode_request(API_METADATA, version, 2, metadata_body(version)))
        info = parse_metadata(_read_response(sock, 2))
    if not info.brokers:
        raise ProtocolError("broker reports no live brokers yet")
    return info


def _read_response(sock: socket.socket, correlation_id: int) -> bytes:
    (size,) = struct.unpack(">i", _read_exact(sock, 4))
    if not 4 <= size <= 16 * 1024 * 1024:
        raise ProtocolError(f"implausible response size {size}")
    payload = _read_exact(sock, size)
    (got,) = struct.unpack_from(">i", payload, 0)
    if got != correlation_id:
        raise ProtocolError(f"correlation id {got}, expected {correlation_id}")
    return payload


def _read_exact(sock: socket.socket, n: int) -> bytes:
    chunks, remaining = [], n
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise ProtocolError("connection closed mid-response")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
