"""Every fixture format parses; hostile bytes are refused or defused."""

from __future__ import annotations

import time

import pytest

from contract.errors import FeedError
from ingest.parse import keep_valid_utf8, parse_feed, strip_entity_declarations
from tests.ingest.conftest import FIXTURE_NAMES, FIXTURES

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
 <!ENTITY ext SYSTEM "file:///etc/passwd">
]>
<rss version="2.0"><channel><title>Laughs &lol9;</title><link>https://x.example/</link>
<item><title>Still readable &ext;</title><link>https://x.example/1</link>
<description>&lol9;</description></item>
</channel></rss>"""

EXPECTED_VERSIONS = {
    "dagkoerier.rss": "rss20",
    "worldwire.rss": "rss20",
    "eveningpost-091.rss": "rss091n",
    "diariocontinental-092.rss": "rss092",
    "morgennachrichten.rdf": "rss10",
    "quotidien.atom": "atom10",
    "dailyglobe.atom": "atom10",
}


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_format_parses_cleanly(name):
    parsed = parse_feed((FIXTURES / name).read_bytes(), url=f"http://127.0.0.1/{name}")
    assert parsed.version == EXPECTED_VERSIONS[name]
    assert parsed.entries and not parsed.problems
    assert all(e.get("title") and e.get("link") for e in parsed.entries)


def test_billion_laughs_is_defused_not_expanded():
    started = time.process_time()
    parsed = parse_feed(BILLION_LAUGHS, url="http://x.example/feed")
    assert time.process_time() - started < 5  # expansion would take minutes and gigabytes
    assert "XML entity declarations removed" in parsed.problems
    assert len(parsed.entries) == 1
    text = str(parsed.entries[0].get("summary", "")) + str(parsed.entries[0].get("title"))
    assert "lollol" not in text and "root:" not in text


def test_entity_declarations_in_utf16_are_refused():
    body = BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', "").encode("utf-16")
    with pytest.raises(FeedError) as err:
        strip_entity_declarations(body)
    assert err.value.kind == "unsafe_xml"


def test_plain_doctype_without_entities_is_kept():
    body = (FIXTURES / "eveningpost-091.rss").read_bytes()
    assert strip_entity_declarations(body) == (body, False)


def test_garbage_is_a_parse_error():
    import random

    garbage = random.Random(7).randbytes(4000)
    with pytest.raises(FeedError) as err:
        parse_feed(garbage, url="http://x.example/garbage")
    assert err.value.kind == "parse"


def test_html_page_is_not_a_feed():
    page = b"<!doctype html><html><head><title>Hi</title></head><body><p>x</p></body></html>"
    with pytest.raises(FeedError):
        parse_feed(page, url="http://x.example/", content_type="text/html")


def test_malformed_feed_still_yields_its_entries_and_reports_the_problem():
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Broken'
        b"</title><item><title>One</title><link>https://x.example/1</link></item>"
        b"<item><title>Two &nbsp; & more</title><link>https://x.example/2</link></item>"
        b"<item><title>Three</title><link>https://x.example/3</link>"
    )
    parsed = parse_feed(body, url="http://x.example/broken")
    assert [e.title for e in parsed.entries][:2] == ["One", "Two \xa0 & more"]
    assert len(parsed.entries) == 3 and parsed.problems


def test_wrong_declared_encoding_is_survived():
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Noticias'
        "</title><item><title>Pedro Sánchez en León</title><link>https://x.example/1</link>"
        "</item></channel></rss>"
    ).encode("latin-1")
    parsed = parse_feed(body, url="http://x.example/", content_type="text/xml; charset=utf-8")
    assert parsed.problems
    assert parsed.entries[0].title == "Pedro Sánchez en León"


def _mostly_utf8_feed() -> bytes:
    return (
        (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Noticias'
            "</title><item><title>Pedro Sánchez en León</title><link>https://x.example/1</link>"
            "<description>Ñandú, café y más</description></item></channel></rss>"
        )
        .encode()
        .replace(b"y m", b"y \xff m")
    )


@pytest.mark.parametrize("content_type", ["", "text/xml; charset=utf-8", "application/rss+xml"])
def test_invalid_utf8_bytes_are_replaced_and_the_valid_text_kept(content_type):
    parsed = parse_feed(_mostly_utf8_feed(), url="http://x.example/", content_type=content_type)
    entry = parsed.entries[0]
    assert entry.title == "Pedro Sánchez en León"  # not "Pedro SÃ¡nchez en LeÃ³n"
    assert entry.description == "Ñandú, café y \ufffd más"
    assert "1 invalid UTF-8 bytes replaced" in parsed.problems


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<rss><t>Le\u00f3n</t></rss>".encode("latin-1"), "text/xml; charset=iso-8859-1"),
        ('<?xml version="1.0" encoding="windows-1252"?><rss>Le\u00f3n</rss>'.encode("cp1252"), ""),
        ("<rss>Le\u00f3n</rss>".encode("utf-16"), ""),
        ("<rss>Le\u00f3n</rss>".encode("utf-8"), ""),
        # Mislabelled windows-1252: no well-formed UTF-8 at all, feedparser reads it as such.
        ('<?xml version="1.0" encoding="utf-8"?><rss>Le\u00f3n</rss>'.encode("latin-1"), ""),
    ],
)
def test_other_encodings_are_left_to_feedparser(body, content_type):
    assert keep_valid_utf8(body, content_type) == (body, 0)
