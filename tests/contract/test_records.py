import base64
import json

import pytest

from contract import records
from contract.errors import InvalidMessage, UnsupportedSchema
from contract.records import (
    ActorMention,
    Article,
    EnrichedArticle,
    Entity,
    Language,
    Mention,
    Source,
    Topic,
    dead_letter_for,
    decode_article,
    decode_enriched,
    encode,
)


def _article() -> Article:
    return Article(
        id="a1",
        url="https://nos.nl/a1",
        title="Guaidó",
        text="Tekst",
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
        article=_article(),
        language=Language("nl", 0.98, "test"),
        entities=[],
        topics=[],
        versions={"language": "1"},
        enriched_at="2019-03-12T10:01:01Z",
    )
    assert decode_enriched(encode(enriched)) == enriched


def test_encoding_writes_what_the_standard_json_module_would():
    import json

    from contract.records import ActorMention, Entity, Mention, Topic, plain

    enriched = EnrichedArticle(
        article=_article(),
        language=Language("nl", 0.98, "test"),
        entities=[
            Entity(
                "per:x", "PER", "Juan Guaidó", 1, [Mention(0, 6, "Guaidó", "title")], "gazetteer"
            )
        ],
        topics=[Topic("11000000", "politics", 0.5)],
        versions={"language": "1"},
        enriched_at="2019-03-12T10:01:01Z",
        actors=[ActorMention("juan-guaido", "Juan Guaidó", "person", "Guaidó", "title", 0, 6, 1)],
        raw_timestamp_ms=1552384860000,
    )
    expected = json.dumps(plain(enriched), ensure_ascii=False, separators=(",", ":"))
    assert encode(enriched) == expected.encode("utf-8")


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"\xff\xfe garbage",
        b"[1, 2]",
        b'{"schema_version": 99, "id": "x"}',
        b'{"id": "x"}',
        b'{"id": "", "published": "x", "source": {}}',
    ],
)
def test_undecodable_messages_raise_invalid_message(raw):
    with pytest.raises(InvalidMessage):
        decode_article(raw)


def test_dead_letter_keeps_the_exact_original_bytes():
    raw = b"\xff\x00not utf8"
    record = dead_letter_for(raw, InvalidMessage("not JSON"), stage="enrich", topic="t", offset=7)
    assert base64.b64decode(record.original_b64) == raw
    assert record.error_type == "InvalidMessage" and record.offset == 7


def _enriched_dict() -> dict:
    enriched = EnrichedArticle(
        article=_article(),
        language=Language("nl", 0.98, "test"),
        entities=[Entity("e1", "PER", "Juan Guaidó", 1, [Mention(0, 6, "Guaidó", "title")])],
        topics=[Topic("medtop:11000000", "politics", 0.9)],
        versions={"language": "1"},
        enriched_at="2019-03-12T10:01:01Z",
        actors=[ActorMention("guaido", "Juan Guaidó", "person", "Guaidó", "title", 0, 6)],
    )
    return json.loads(encode(enriched))


@pytest.mark.parametrize(
    "path",
    [
        (),
        ("article",),
        ("article", "source"),
        ("language",),
        ("entities", 0),
        ("entities", 0, "mentions", 0),
        ("topics", 0),
        ("actors", 0),
    ],
)
def test_unknown_fields_are_ignored_at_every_depth(path):
    data = _enriched_dict()
    expected = decode_enriched(json.dumps(data).encode())
    node = data
    for step in path:
        node = node[step]
    node["added_by_a_newer_producer"] = {"any": ["shape"]}
    assert decode_enriched(json.dumps(data).encode()) == expected


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(entities="Guaidó"), "entities: expected a JSON array, got a string"),
        (lambda d: d["entities"].__setitem__(0, 5), "entity: expected a JSON object, got a number"),
        (lambda d: d["entities"][0].pop("name"), "entity: missing name"),
        (lambda d: d.pop("language"), "field 'language' is missing"),
        (lambda d: d["article"].update(source=[]), "source: expected a JSON object, got an array"),
    ],
)
def test_a_record_of_the_wrong_shape_says_where(change, reason):
    data = _enriched_dict()
    change(data)
    with pytest.raises(InvalidMessage) as caught:
        decode_enriched(json.dumps(data).encode())
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe not json", "not JSON: not UTF-8 text (byte 0xff at position 0)"),
        (b'{"id": ', "not JSON: unexpected end of data at line 1 column 8"),
        (b"   ", "empty message (no JSON)"),
        (b"[1, 2]", "expected a JSON object, got an array"),
        (b"null", "expected a JSON object, got null"),
    ],
)
def test_a_message_that_is_not_a_json_object_gets_a_clear_reason(raw, reason):
    with pytest.raises(InvalidMessage) as caught:
        decode_article(raw)
    assert str(caught.value) == reason
    assert "utf-16" not in str(caught.value)


def test_a_utf8_byte_order_mark_is_tolerated():
    assert decode_article(b"\xef\xbb\xbf" + encode(_article())) == _article()


@pytest.mark.parametrize("version", [2, "2.0", 17])
def test_a_newer_major_version_is_refused_with_a_reason(version):
    data = {**json.loads(encode(_article())), "schema_version": version}
    with pytest.raises(UnsupportedSchema) as caught:
        decode_article(json.dumps(data).encode())
    assert f"schema_version {version!r} is newer than this consumer reads" in str(caught.value)


@pytest.mark.parametrize("version", [None, 1, "1", "1.4"])
def test_the_current_major_version_and_records_without_one_are_read(version):
    data = json.loads(encode(_article()))
    if version is None:
        del data["schema_version"]
    else:
        data["schema_version"] = version
    assert decode_article(json.dumps(data).encode()) == _article()


@pytest.mark.parametrize("version", [0, -1, "x", True, 1.5])
def test_a_version_that_is_no_version_is_refused(version):
    data = {**json.loads(encode(_article())), "schema_version": version}
    with pytest.raises(InvalidMessage, match="is not a version number"):
        decode_article(json.dumps(data).encode())


def test_an_older_version_is_upcast_step_by_step(monkeypatch):
    # As if version 3 were current: 1 named the title "headline", 2 kept it in a list.
    monkeypatch.setattr(records, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(
        records,
        "UPCASTS",
        {
            1: lambda d: {
                **{k: v for k, v in d.items() if k != "headline"},
                "titles": [d["headline"]],
            },
            2: lambda d: {**{k: v for k, v in d.items() if k != "titles"}, "title": d["titles"][0]},
        },
    )
    data = json.loads(encode(_article()))
    data["headline"] = data.pop("title")
    data["schema_version"] = 1
    article = decode_article(json.dumps(data).encode())
    assert article.title == "Guaidó" and article.schema_version == 3
    monkeypatch.setattr(records, "UPCASTS", {})
    with pytest.raises(UnsupportedSchema, match="no upcast to 2"):
        decode_article(json.dumps(data).encode())


@pytest.mark.parametrize(
    ("raw", "utf8"),
    [(("é" * 600_000).encode(), True), (b"\xff" * 1_000_000, False)],
)
def test_a_dead_letter_record_of_a_huge_original_still_fits_on_kafka(raw, utf8):
    record = dead_letter_for(raw, InvalidMessage("x" * 100_000), stage="enrich")
    assert len(encode(record)) < 1_000_000  # Kafka's default record size limit
    assert record.truncated and record.original_size == len(raw)
    kept = record.original.encode() if utf8 else base64.b64decode(record.original_b64)
    assert raw.startswith(kept) and len(kept) > 100_000
    assert len(record.error) < 5_000


def test_a_small_original_is_kept_whole():
    record = dead_letter_for(b"\xff" * 1000, InvalidMessage("x"), stage="enrich")
    assert not record.truncated and record.original_size == 1000
    assert base64.b64decode(record.original_b64) == b"\xff" * 1000
