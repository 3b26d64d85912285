"""May we fetch this URL? Scheme allow-list and SSRF refusal.

A feed list is user input and a feed's redirects are a stranger's input, so
every hop is checked: only http(s) (``file:`` only when
``allow_file_urls``), and the host must resolve to public addresses only,
unless ``allow_private_networks`` is set (the demo and tests serve on
loopback). Every address a name resolves to is checked, so a name with one
public and one private record is refused.

Known gap: the check resolves the name and the HTTP client resolves it again
when connecting; a DNS server that answers differently within that window
(rebinding) is not caught. Pinning the connection to the checked address
needs a custom transport and is left for later.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from newsstream.contract.errors import FeedError

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
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    )
    return list(dict.fromkeys(info[4][0] for info in infos))


async def check_url(
    url: str,
    *,
    allow_private: bool,
    allow_file: bool = False,
    resolve: Resolver = system_resolver,
) -> None:
    """Raise :class:`FeedError` unless ``url`` may be fetched."""
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
    try:
        addresses = addresses or await resolve(host, port)
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
