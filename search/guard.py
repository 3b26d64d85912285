"""What the desk checks before any page or endpoint runs, in one ASGI layer.

In order: the ``Host`` must be one of the desk's own names (a DNS-rebinding
page names its own host and gets 400); a client over its request rate gets
429 with ``Retry-After``; with API keys configured, a request without a good
one gets 401 (a key in ``?api_key=`` is taken once and answered with a
redirect to the same address without it, the key moving to an ``HttpOnly``,
``SameSite=Strict`` cookie); a state-changing request from a foreign
``Origin`` gets 403, and one whose body is not JSON or YAML gets 415 (a
web page can send ``text/plain`` or a form anywhere without asking first).
Every request is then written to the access log with ``api_key`` cut from
its query string.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse, Response

access_log = logging.getLogger("newsstream.access")

API_KEY_HEADER = "X-API-Key"
API_KEY_COOKIE = "newsstream_api_key"
API_KEY_PARAM = "api_key"
#: What anyone may read when keys are required: liveness and static assets.
OPEN_PATHS = ("/health", "/favicon.ico")
OPEN_PREFIXES = ("/static/", "/static-offline-docs/")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Bodies a page cannot send across origins without the browser asking first.
BODY_TYPES = frozenset(
    {"application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
)
#: Bodies an HTML form sends: taken only with the desk's own Origin.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """True for addresses only this machine reaches (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without port or brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    if header.count(":") > 1:  # a bare IPv6 address
        return header
    return header.split(":", 1)[0]


def without_key(query: str) -> str:
    """A query string with any ``api_key`` taken out (for redirects and logs)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, v) for k, v in pairs if k != API_KEY_PARAM])


def logged_query(query: str) -> str:
    """A query string fit for a log: an ``api_key`` value shows as ``…``."""
    parts = query.split("&")
    return "&".join(
        f"{API_KEY_PARAM}=…" if unquote_plus(p.split("=", 1)[0]) == API_KEY_PARAM else p
        for p in parts
    )


@dataclass
class TokenBucket:
    """Per-client request budget: ``rate`` a second, up to ``burst`` at once."""

    rate: float
    burst: int
    clients: dict[str, tuple[float, float]] = field(default_factory=dict)
    max_clients: int = 10_000

    def wait(self, client: str, now: float) -> float:
        """Take one request for ``client``: 0 when allowed, else seconds to wait."""
        tokens, stamp = self.clients.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
        if tokens >= 1.0:
            if len(self.clients) >= self.max_clients and client not in self.clients:
                self._forget_idle(now)
            self.clients[client] = (tokens - 1.0, now)
            return 0.0
        self.clients[client] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        """Drop clients whose budget is full again (they lose nothing)."""
        full = self.burst / self.rate
        for client, (_, stamp) in list(self.clients.items()):
            if now - stamp >= full:
                del self.clients[client]
        if len(self.clients) >= self.max_clients:
            self.clients.clear()


@dataclass(frozen=True)
class GuardConfig:
    allowed_hosts: tuple[str, ...]
    keys: tuple[str, ...] = ()
    rate: float = 0.0
    burst: int = 1


class Guard:
    """The ASGI middleware doing the checks of this module's docstring."""

    def __init__(self, app: ASGIApp, config: GuardConfig) -> None:
        self.app = app
        self.config = config
        self.allowed = frozenset(h.lower().strip("[]") for h in config.allowed_hosts)
        self.keys = [k.encode() for k in config.keys]
        self.bucket = TokenBucket(config.rate, config.burst) if config.rate > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            refusal = self.check(scope)
            if refusal is not None:
                await refusal(scope, receive, sending)
            else:
                await self.app(scope, receive, sending)
        finally:
            self._log(scope, status, time.perf_counter() - started)

    def check(self, scope: Scope) -> Response | None:
        """The answer that replaces the app's, or None to let the request through."""
        headers = Headers(scope=scope)
        path: str = scope["path"]
        method: str = scope["method"]
        if host_name(headers.get("host", "")) not in self.allowed:
            return _refuse(400, "unknown Host: this server answers only to its own names")
        open_path = path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)
        key, from_query = self._presented_key(scope, headers)
        valid = bool(key) and any(hmac.compare_digest(key.encode(), k) for k in self.keys)
        if self.bucket is not None and not open_path:
            # A client is its key when it has a good one, its address otherwise.
            client = key if valid else (scope.get("client") or ("?", 0))[0]
            wait = self.bucket.wait(client, time.monotonic())
            if wait > 0:
                return _refuse(
                    429,
                    "too many requests: slow down",
                    {"Retry-After": str(max(1, math.ceil(wait)))},
                )
        if self.keys and not open_path:
            if not valid:
                return _refuse(
                    401,
                    f"an API key is required: send it in the {API_KEY_HEADER} header, as a "
                    "Bearer token, or once as ?api_key= in a browser",
                    {"WWW-Authenticate": "Bearer"},
                )
            if from_query:
                return self._keep_key(scope, key, method)
        if method in UNSAFE_METHODS:
            return self._check_body_origin(scope, headers, method)
        return None

    def _presented_key(self, scope: Scope, headers: Headers) -> tuple[str, bool]:
        """(key, came from the query string): header, bearer token, ?api_key= or cookie."""
        header = headers.get(API_KEY_HEADER, "")
        if header:
            return header, False
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip(), False
        query = scope.get("query_string", b"").decode("latin-1")
        if API_KEY_PARAM in query:
            for name, value in parse_qsl(query):
                if name == API_KEY_PARAM and value:
                    return value, True
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == API_KEY_COOKIE and value:
                return value, False
        return "", False

    def _keep_key(self, scope: Scope, key: str, method: str) -> Response:
        """A key from the query string: to a cookie, and back to the address without it."""
        if method not in ("GET", "HEAD"):
            return _refuse(
                401, f"send the API key in the {API_KEY_HEADER} header, not in the address"
            )
        query = without_key(scope.get("query_string", b"").decode("latin-1"))
        target = scope.get("root_path", "") + scope["path"] + (f"?{query}" if query else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            API_KEY_COOKIE,
            key,
            httponly=True,
            samesite="strict",
            secure=scope.get("scheme") == "https",
        )
        return response

    def _check_body_origin(self, scope: Scope, headers: Headers, method: str) -> Response | None:
        origin = headers.get("origin")
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
        if origin is not None and origin.lower() != own:
            return _refuse(403, f"requests from {origin} are not accepted here")
        kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if method != "POST" and not kind and _bodiless(headers):
            return None  # a page cannot send these methods elsewhere without asking first
        if kind in BODY_TYPES or kind.endswith("+json"):
            return None
        if kind in FORM_TYPES and origin is not None:
            return None
        return _refuse(
            415, f"send the body as application/json or application/yaml, not {kind or 'nothing'}"
        )

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client") or ("-", 0)
        query = logged_query(scope.get("query_string", b"").decode("latin-1"))
        access_log.info(
            '%s "%s %s%s" %d %.0fms',
            client[0],
            scope.get("method", "-"),
            scope.get("path", ""),
            f"?{query}" if query else "",
            status,
            seconds * 1000,
        )


def _bodiless(headers: Headers) -> bool:
    return headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers


def _refuse(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(status_code=status, content={"detail": detail}, headers=headers)
