"""Serve a directory of feed files over HTTP on loopback, like a polite server.

For the offline demo, the README and the benchmark: ``newsstream feeds serve
seeds/feeds/fixtures`` answers on http://127.0.0.1:8765/ with the validators
a well-behaved feed server sends (ETag, Last-Modified, 304 on a conditional
request), gzip when the client accepts it, and HTTP/1.1 keep-alive.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONTENT_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".xml": "application/xml",
    ".opml": "text/x-opml",
}


class _Files:
    """File bytes and their validators, cached by (path, mtime, size)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[Path, tuple[tuple[float, int], bytes, bytes, str, str]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> tuple[bytes, bytes, str, str] | None:
        path = (self.root / name.lstrip("/")).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        stat = path.stat()
        key = (stat.st_mtime, stat.st_size)
        with self._lock:
            hit = self._cache.get(path)
            if hit is None or hit[0] != key:
                body = path.read_bytes()
                etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
                modified = formatdate(stat.st_mtime, usegmt=True)
                hit = (key, body, gzip.compress(body, 6), etag, modified)
                self._cache[path] = hit
        return hit[1], hit[2], hit[3], hit[4]


class FeedFileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "newsstream-feeds"

    def __init__(
        self,
        *args: object,
        files: _Files,
        quiet: bool = True,
        delay: float = 0.0,
        **kwargs: object,
    ):
        self.files = files
        self.quiet = quiet
        self.delay = delay
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        if self.delay:
            time.sleep(self.delay)
        found = self.files.get(self.path.split("?", 1)[0])
        if found is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        body, zipped, etag, modified = found
        if self._not_modified(etag, modified):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        use_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        payload = zipped if use_gzip else body
        self.send_response(HTTPStatus.OK)
        suffix = Path(self.path.split("?", 1)[0]).suffix.lower()
        self.send_header("Content-Type", CONTENT_TYPES.get(suffix, "application/xml"))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Cache-Control", "max-age=60")
        if use_gzip:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if send_body:
            self.wfile.write(payload)

    def _not_modified(self, etag: str, modified: str) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            return etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return parsedate_to_datetime(since) >= parsedate_to_datetime(modified)
            except (TypeError, ValueError):
                return False
        return False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if not self.quiet:
            super().log_message(format, *args)


def make_server(
    directory: str | Path,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    quiet: bool = True,
    delay: float = 0.0,
) -> ThreadingHTTPServer:
    """A server for ``directory``; call ``serve_forever()`` (port 0 picks a free one).

    ``delay`` seconds are waited before each response, to stand in for the
    network and server time of a real feed host.
    """
    handler = partial(FeedFileHandler, files=_Files(Path(directory)), quiet=quiet, delay=delay)
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
