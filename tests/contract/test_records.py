import pytest

from newsstream.contract.errors import InvalidMessage
from newsstream.contract.records import (
    Article,
    EnrichedArticle,
    Language,
    Source,
    dead_letter_for,
    decode_article,
    decode_enriched,
    encode,
)


def _article() -> Article:
    return Article(
        id="a1", url="https://nos.nl/a1", title="Guaidó", text="Tekst",
        published="2019-03-12T10:00:00Z",
        source=Source(name="NOS", feed_url="https://nos.nl/feed"),
        fetched_at="2019-03-12T10:01:00Z",
    )


def test_article_round_trips_through_json():
    article = _article()
    raw = encode(article)
    assert b'"schema_version":1' in raw
    assert "Guaidó".encode() in raw  # UTF-8, not \\u escapes
    assert decode_article(raw) == article


def test_enriched_article_round_trips_through_json():
    enriched = EnrichedArticle(
        article=_article(), language=Language("nl", 0.98, "test"), entities=[], topics=[],
        versions={"language": "1"}, enriched_at="2019-03-12T10:01:01Z",
    )
    assert decode_enriched(encode(enriched)) == enriched


def test_encoding_writes_what_the_standard_json_module_would():
    import json

    from newsstream.contract.records import ActorMention, Entity, Mention, Topic, plain

    enriched = EnrichedArticle(
        article=_article(), language=Language("nl", 0.98, "test"),
        entities=[Entity("per:x", "PER", "Juan Guaidó", 1, [Mention(0, 6, "Guaidó", "title")],
                         "gazetteer")],
        topics=[Topic("11000000", "politics", 0.5)], versions={"language": "1"},
        enriched_at="2019-03-12T10:01:01Z",
        actors=[ActorMention("juan-guaido", "Juan Guaidó", "person", "Guaidó", "title", 0, 6, 1)],
        raw_timestamp_ms=1552384860000,
    )
    expected = json.dumps(plain(enriched), ensure_ascii=False, separators=(",", ":"))
    assert encode(enriched) == expected.encode("utf-8")


@pytest.mark.parametrize(
    "raw",
    [None, b"", b"\xff\xfe garbage", b"[1, 2]", b'{"schema_version": 99, "id": "x"}',
     b'{"id": "x"}', b'{"id": "", "published": "x", "source": {}}'],
)
def test_undecodable_messages_raise_invalid_message(raw):
    with pytest.raises(InvalidMessage):
        decode_article(raw)


def test_dead_letter_keeps_the_exact_original_bytes():
    raw = b"\xff\x00not utf8"
    record = dead_letter_for(raw, InvalidMessage("not JSON"), stage="enrich", topic="t", offset=7)
    import base64

    assert base64.b64decode(record.original_b64) == raw
    assert record.error_type == "InvalidMessage" and record.offset == 7
