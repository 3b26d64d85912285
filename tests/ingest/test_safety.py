"""Only web URLs to public addresses are fetched unless told otherwise."""

from __future__ import annotations

import pytest

from contract.errors import FeedError
from ingest.safety import check_url, is_public


def resolver(table):
    async def resolve(host, port):
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.5",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_and_special_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_public(address):
    assert is_public(address)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.org/feed", "gopher://x/", "javascript:1", "feed.xml"],
)
async def test_other_schemes_are_refused(url):
    with pytest.raises(FeedError) as err:
        await check_url(url, allow_private=True)
    assert err.value.kind == "scheme"


async def test_file_urls_only_when_explicitly_allowed():
    await check_url("file:///tmp/feed.xml", allow_private=False, allow_file=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765/feed",
        "http://[::1]/feed",
        "http://169.254.169.254/latest",
        "http://intranet.example/feed",
        "http://mixed.example/feed",
    ],
)
async def test_ssrf_targets_are_refused(url):
    table = {"intranet.example": ["10.0.0.7"], "mixed.example": ["93.184.216.34", "192.168.0.2"]}
    with pytest.raises(FeedError) as err:
        await check_url(url, allow_private=False, resolve=resolver(table))
    assert err.value.kind == "ssrf"


async def test_literal_addresses_are_checked_without_dns():
    with pytest.raises(FeedError):
        await check_url("http://10.0.0.1/x", allow_private=False)


async def test_public_hosts_pass_and_private_ones_pass_when_allowed():
    await check_url(
        "https://news.example/feed",
        allow_private=False,
        resolve=resolver({"news.example": ["93.184.216.34"]}),
    )
    await check_url("http://127.0.0.1/feed", allow_private=True)


async def test_unresolvable_host_is_a_dns_error():
    async def fail(host, port):
        raise OSError("Name or service not known")

    with pytest.raises(FeedError) as err:
        await check_url("https://nowhere.example/", allow_private=False, resolve=fail)
    assert err.value.kind == "dns"
