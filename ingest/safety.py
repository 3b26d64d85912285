"""May we fetch this URL? Scheme allow-list and SSRF refusal.

A feed list is user input and a feed's redirects are a stranger's input, so
every hop is checked: only http(s) (``file:`` only when
``allow_file_urls``), and the host must resolve to public addresses only,
unless ``allow_private_networks`` is set (the demo and tests serve on
loopback). Every address a name resolves to is checked, so a name with one
public and one private record is refused.

:func:`check_url` checks the scheme and literal addresses before a request;
:class:`GuardedResolver` is the HTTP client's resolver and refuses private
addresses at connect time, on the very addresses the connection will use, so
a DNS answer that changes between a check and the connect (rebinding) is
caught too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver

from contract.errors import FeedError

Resolver = Callable[[str, int], Awaitable[list[str]]]

WEB_SCHEMES = frozenset({"http", "https"})


def check_scheme(url: str, *, allow_file: bool = False) -> str:
    """The URL's scheme, or :class:`FeedError` ``kind="scheme"``."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in WEB_SCHEMES or (scheme == "file" and allow_file):
        return scheme
    raise FeedError(f"refused URL scheme {scheme or '(none)'!r}: {url}", kind="scheme")


def is_public(address: str) -> bool:
    """True for globally routable unicast addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class RefusedAddress(OSError):
    """A name resolved to an address we may not connect to."""


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses non-public addresses (the SSRF guard at connect time)."""

    def __init__(self, *, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self.allow_private = allow_private
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[Any]:
        infos = await self._inner.resolve(host, port, family)
        if not self.allow_private:
            blocked = [i["host"] for i in infos if not is_public(i["host"])]
            if blocked:
                raise RefusedAddress(
                    f"{host} resolves to non-public address {blocked[0]} "
                    "(set NEWSSTREAM_ALLOW_PRIVATE_NETWORKS=1 to allow)"
                )
        return infos

    async def close(self) -> None:
        await self._inner.close()


async def check_url(
    url: str,
    *,
    allow_private: bool,
    allow_file: bool = False,
    resolve: Resolver | None = system_resolver,
) -> None:
    """Raise :class:`FeedError` unless ``url`` may be fetched.

    With ``resolve=None`` host names are not looked up here (the connection's
    :class:`GuardedResolver` checks them); literal addresses always are.
    """
    scheme = check_scheme(url, allow_file=allow_file)
    if scheme == "file" or allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise FeedError(f"URL without a host: {url}", kind="scheme")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise FeedError(f"URL with a bad port: {url}", kind="scheme") from None
    try:
        addresses = [str(ipaddress.ip_address(host))]  # a literal address needs no DNS
    except ValueError:
        addresses = []
    if not addresses:
        if resolve is None:
            return
        try:
            addresses = await resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise FeedError(f"cannot resolve {host}: {exc}", kind="dns") from exc
    if not addresses:
        raise FeedError(f"{host} resolves to no address", kind="dns")
    blocked = [a for a in addresses if not is_public(a)]
    if blocked:
        raise FeedError(
            f"refused {url}: {host} resolves to non-public address {blocked[0]} "
            "(set NEWSSTREAM_ALLOW_PRIVATE_NETWORKS=1 to allow)",
            kind="ssrf",
        )
