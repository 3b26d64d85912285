"""A local feed server that misbehaves on request, for the ingest tests.

Paths:
  /feeds/<name>          a feed from ``files`` with ETag/Last-Modified and 304s
  /status/<code>         that status (429/503 carry Retry-After: 120)
  /hang                  accepts, then sends nothing for a long time
  /slow                  headers at once, then one byte per second
  /endless               a 200 whose body never ends
  /gzip-bomb             a small gzip body that inflates to 20 MB
  /loop                  redirects to itself
  /redirect/<n>/<name>   n redirects, then /feeds/<name>
  /to-file               redirects to file:///etc/passwd
  /raw/<name>            ``raw[name]``: (content type, bytes) served as-is
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GZIP_BOMB = gzip.compress(b"\0" * (20 * 1024 * 1024), 9)


class _Server(ThreadingHTTPServer):
    """A client hanging up (a killed poller) is expected here, not an error to print."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class FeedServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.raw: dict[str, tuple[str, bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.modified = formatdate(time.time() - 3600, usegmt=True)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append((self.path, dict(self.headers)))
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.route(self)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]

    # -- routes --------------------------------------------------------------

    def route(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path
        if path.startswith("/feeds/"):
            return self._feed(h, path[len("/feeds/") :])
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            extra = {"Retry-After": "120"} if code in (429, 503) else {}
            return _send(h, code, b"nope", "text/plain", extra)
        if path.startswith("/raw/"):
            content_type, body = self.raw[path[len("/raw/") :]]
            return _send(h, 200, body, content_type)
        if path == "/hang":
            time.sleep(8)
            return _send(h, 200, b"late", "text/plain")
        if path == "/slow":
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", "60")
            h.end_headers()
            for _ in range(60):
                h.wfile.write(b" ")
                h.wfile.flush()
                time.sleep(1)
            return None
        if path == "/endless":
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            chunk = b"<!-- " + b"x" * 16000 + b" -->\n"
            for _ in range(100_000):
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            return None
        if path == "/gzip-bomb":
            return _send(h, 200, GZIP_BOMB, "application/rss+xml", {"Content-Encoding": "gzip"})
        if path == "/loop":
            return _send(h, 302, b"", "text/plain", {"Location": "/loop"})
        if path == "/to-file":
            return _send(h, 302, b"", "text/plain", {"Location": "file:///etc/passwd"})
        if path.startswith("/redirect/"):
            _, _, count, name = path.split("/", 3)
            n = int(count)
            target = f"/redirect/{n - 1}/{name}" if n > 1 else f"/feeds/{name}"
            return _send(h, 301, b"", "text/plain", {"Location": target})
        return _send(h, 404, b"not found", "text/plain")

    def _feed(self, h: BaseHTTPRequestHandler, name: str) -> None:
        body = self.files.get(name)
        if body is None:
            return _send(h, 404, b"not found", "text/plain")
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        validators = {"ETag": etag, "Last-Modified": self.modified}
        if h.headers.get("If-None-Match") == etag:
            return _send(h, 304, b"", "", validators)
        content_type = "application/atom+xml" if name.endswith(".atom") else "application/rss+xml"
        if name.endswith(".rdf"):
            content_type = "application/rdf+xml"
        return _send(h, 200, body, content_type, validators)


def _send(
    h: BaseHTTPRequestHandler,
    code: int,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> None:
    h.send_response(code)
    if content_type:
        h.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if body:
        h.wfile.write(body)
