"""Fetching against a real local server: validators, limits and misbehaviour."""

from __future__ import annotations

import dataclasses

import pytest

from contract.errors import FeedError
from ingest.fetch import Fetcher, FetchLimits, cache_max_age, retry_after_seconds


@pytest.fixture
async def fetcher(fast):
    async with Fetcher(FetchLimits.from_settings(fast)) as f:
        yield f


async def failure(fetcher, url) -> FeedError:
    with pytest.raises(FeedError) as err:
        await fetcher.fetch(url)
    return err.value


async def test_fetch_returns_body_and_validators(server, fetcher, fast):
    result = await fetcher.fetch(server.url("/feeds/dagkoerier.rss"))
    assert result.status == 200 and b"Maduro" in result.body
    assert result.etag and result.last_modified
    sent = server.hits("/feeds/dagkoerier.rss")[0]
    assert sent["User-Agent"] == fast.user_agent
    assert "gzip" in sent["Accept-Encoding"]


async def test_conditional_get_gives_304(server, fetcher):
    first = await fetcher.fetch(server.url("/feeds/worldwire.rss"))
    again = await fetcher.fetch(
        server.url("/feeds/worldwire.rss"), etag=first.etag, last_modified=first.last_modified
    )
    assert again.not_modified and again.body == b""
    assert server.hits("/feeds/worldwire.rss")[1]["If-None-Match"] == first.etag


@pytest.mark.parametrize(("code", "retry_after"), [(404, None), (500, None), (503, 120.0)])
async def test_http_errors_have_a_kind(server, fetcher, code, retry_after):
    error = await failure(fetcher, server.url(f"/status/{code}"))
    assert error.kind == f"http_{code}" and error.retry_after == retry_after


async def test_server_that_never_answers_times_out(server, fetcher):
    assert (await failure(fetcher, server.url("/hang"))).kind == "timeout"


async def test_one_byte_per_second_gives_up_at_the_deadline(server, fetcher, fast):
    # Each byte arrives within the read timeout, so only the total deadline can end this;
    # without it the fetch would succeed after a minute.
    error = await failure(fetcher, server.url("/slow"))
    assert error.kind == "timeout" and "no complete response within 2.5s" in str(error)


async def test_endless_body_is_cut_off_at_the_size_cap(server, fetcher):
    assert (await failure(fetcher, server.url("/endless"))).kind == "too_large"


async def test_gzip_bomb_is_cut_off_while_inflating(server, fetcher):
    assert (await failure(fetcher, server.url("/gzip-bomb"))).kind == "too_large"


async def test_redirect_loop_stops_at_the_cap(server, fetcher, fast):
    assert (await failure(fetcher, server.url("/loop"))).kind == "redirects"
    assert len(server.hits("/loop")) == fast.max_redirects + 1


async def test_redirects_within_the_cap_are_followed(server, fetcher):
    result = await fetcher.fetch(server.url("/redirect/3/quotidien.atom"))
    assert result.status == 200 and result.redirects == 3 and result.permanent_redirect
    assert result.final_url == server.url("/feeds/quotidien.atom")


async def test_redirect_to_a_file_url_is_refused(server, fetcher):
    assert (await failure(fetcher, server.url("/to-file"))).kind == "scheme"


async def test_file_urls_are_refused_by_default(fetcher):
    assert (await failure(fetcher, "file:///etc/hostname")).kind == "scheme"


async def test_loopback_is_refused_unless_private_networks_are_allowed(server, fast):
    strict = dataclasses.replace(fast, allow_private_networks=False)
    async with Fetcher(FetchLimits.from_settings(strict)) as fetcher:
        error = await failure(fetcher, server.url("/feeds/dagkoerier.rss"))
    assert error.kind == "ssrf"
    assert server.hits("/feeds/dagkoerier.rss") == []  # refused before connecting


async def test_host_names_are_checked_on_the_address_connected_to(server, fast):
    strict = dataclasses.replace(fast, allow_private_networks=False)
    named = server.url("/feeds/dagkoerier.rss").replace("127.0.0.1", "localhost")
    async with Fetcher(FetchLimits.from_settings(strict)) as fetcher:
        error = await failure(fetcher, named)
    assert error.kind == "ssrf" and ("127.0.0.1" in str(error) or "::1" in str(error))
    assert server.hits("/feeds/dagkoerier.rss") == []


async def test_connection_refused_is_a_connect_error(fetcher):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends
    assert (await failure(fetcher, f"http://127.0.0.1:{port}/feed")).kind == "connect"


def test_cache_control_and_retry_after_headers():
    assert cache_max_age("public, max-age=600") == 600
    assert cache_max_age("max-age=600, s-maxage=900") == 900
    assert cache_max_age("no-cache") is None
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert retry_after_seconds("soon") is None
