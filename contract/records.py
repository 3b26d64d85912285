"""The records that travel on Kafka, as plain dataclasses with JSON codecs.

Every message is a UTF-8 JSON object with ``schema_version`` and is keyed by
the article id (alerts: by alert id), so all events for one article share a
partition and arrive in order. Decoding is strict about what downstream code
relies on and tolerant of fields it does not know, at every depth.

How the contract evolves (the version policy):

- Adding a field is not a new version. A producer may add fields anywhere
  (top level or inside ``source``, an entity, a mention...); a consumer
  ignores the fields it does not know, so older consumers keep working.
- A change an older consumer would misread (a field removed, renamed or
  given another meaning) is a new *major* version: :data:`SCHEMA_VERSION`
  goes up by one and :data:`UPCASTS` gains the function that turns a record
  of the previous version into the new shape.
- ``schema_version`` is written as an integer (the major version). Readers
  also accept ``"MAJOR.MINOR"``; the minor part only says which additions a
  producer made and is never needed to read a record.
- A record of an older major version is upcast, one version at a time, and
  then read as a current one; a record without ``schema_version`` predates
  the field and is read as version 1.
- A record of a newer major version than this code knows raises
  :class:`UnsupportedSchema`: the stage parks it with that reason, to be
  replayed once the consumer is upgraded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from contract.errors import InvalidMessage, UnsupportedSchema
from contract.redact import redact_urls

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")

SCHEMA_VERSION = 1
# Version n -> the function turning a record of version n into version n + 1.
UPCASTS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def plain_dict(record: DataclassInstance) -> dict[str, Any]:
    """A record as a JSON-ready dict (see ``plain``)."""
    return {k: plain(v) for k, v in vars(record).items()}


def plain(value: Any) -> Any:
    """A record as JSON-ready dicts and lists.

    Like ``dataclasses.asdict`` but without its deep copy of every leaf, which
    cost as much as enriching the article: the records hold only dataclasses,
    lists, dicts and immutable scalars, so fresh containers suffice.
    """
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: plain(v) for k, v in vars(value).items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def utcnow_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    """Parse the ISO-8601 timestamps this contract writes (always UTC)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Source:
    """Where an article came from."""

    name: str
    feed_url: str
    feed_id: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class Article:
    """A normalised feed entry: what ``ingest`` publishes to the raw topic."""

    id: str
    url: str
    title: str
    text: str
    published: str
    source: Source
    fetched_at: str
    story_id: str = ""
    content_hash: str = ""
    guid: str = ""
    published_from: str = "feed"  # feed | updated | fetched (fallback recorded)
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    language_hint: str = ""
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return plain_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        with _reading("an article"):
            src = _obj(data["source"], "source")
            source = Source(
                name=str(src.get("name", "")),
                feed_url=str(src.get("feed_url", "")),
                feed_id=str(src.get("feed_id", "")),
                tags=[str(t) for t in _list(src, "tags")],
            )
            return cls(
                id=_required_str(data, "id"),
                url=str(data.get("url", "")),
                title=str(data.get("title", "")),
                text=str(data.get("text", "")),
                published=_required_str(data, "published"),
                source=source,
                fetched_at=str(data.get("fetched_at", "")),
                story_id=str(data.get("story_id", "")),
                content_hash=str(data.get("content_hash", "")),
                guid=str(data.get("guid", "")),
                published_from=str(data.get("published_from", "feed")),
                authors=[str(a) for a in _list(data, "authors")],
                categories=[str(c) for c in _list(data, "categories")],
                language_hint=str(data.get("language_hint", "") or ""),
                schema_version=SCHEMA_VERSION,
            )


@dataclass
class Mention:
    """One occurrence of an entity: character offsets into ``field``."""

    start: int
    end: int
    text: str
    field: str = "text"  # title | text


@dataclass
class Entity:
    """A named entity, merged over all its surface forms in one article."""

    id: str
    type: str  # PER | ORG | LOC | MISC
    name: str  # normalised form
    count: int
    mentions: list[Mention] = field(default_factory=list)
    source: str = "gazetteer"  # which layer found it


@dataclass
class Language:
    code: str  # ISO 639-1, "und" when undetermined
    confidence: float
    method: str = ""


@dataclass
class Topic:
    code: str  # IPTC Media Topic code, e.g. "medtop:11000000"
    label: str  # e.g. "politics"
    score: float  # calibrated probability that this is the article's topic
    # The words that weighed most for it (the first topic only); empty in older records.
    evidence: list[str] = field(default_factory=list)
    source: str = ""  # "model" or "keywords": what assigned it; empty in older records


@dataclass
class ActorMention:
    """A tracked actor (from the watchlist) found in an article."""

    actor_id: str
    name: str
    kind: str  # person | organisation | ...
    matched_text: str  # first surface form found, as written
    field: str  # title | text
    start: int
    end: int
    count: int = 1
    alias: str = ""  # the watchlist name that matched
    rule: str = ""  # the matching rules that accepted it
    entity: str = ""  # the entity the recognisers saw there ("PER Nicolás Maduro")


@dataclass
class EnrichedArticle:
    """An article with what the processors found; indexed and matched on."""

    article: Article
    language: Language
    entities: list[Entity]
    topics: list[Topic]
    versions: dict[str, str]
    enriched_at: str
    actors: list[ActorMention] = field(default_factory=list)
    raw_timestamp_ms: int = 0  # when the raw message landed on Kafka
    schema_version: int = SCHEMA_VERSION

    @property
    def id(self) -> str:
        return self.article.id

    def to_dict(self) -> dict[str, Any]:
        return plain_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnrichedArticle:
        with _reading("an enriched article"):
            return cls(
                article=Article.from_dict(_obj(data["article"], "article")),
                language=_known(Language, data["language"], "language"),
                entities=[
                    _known(
                        Entity,
                        e,
                        "entity",
                        mentions=[
                            _known(Mention, m, "mention")
                            for m in _list(_obj(e, "entity"), "mentions")
                        ],
                    )
                    for e in _list(data, "entities")
                ],
                topics=[_known(Topic, t, "topic") for t in _list(data, "topics")],
                versions=dict(_obj(data.get("versions", {}), "versions")),
                enriched_at=str(data.get("enriched_at", "")),
                actors=[_known(ActorMention, a, "actor") for a in _list(data, "actors")],
                raw_timestamp_ms=int(data.get("raw_timestamp_ms", 0)),
                schema_version=SCHEMA_VERSION,
            )


@dataclass
class Alert:
    """A tracked actor mentioned in, or a saved search matching, a story that has not
    alerted for it yet (a saved search's alert names it in ``saved_search``)."""

    id: str
    actor_id: str
    actor_name: str
    actor_kind: str
    article_id: str
    story_id: str
    title: str
    url: str
    source: str
    language: str
    published: str
    matched_text: str
    snippet: str
    raw_timestamp_ms: int
    alerted_at: str
    latency_ms: int
    alias: str = ""  # why it fired: the watchlist name that matched ...
    rule: str = ""  # ... the rules that accepted it ...
    entity: str = ""  # ... and the entity the recognisers saw there
    saved_search: str = ""  # the saved search that fired (then no actor matched) ...
    highlights: list[str] = field(default_factory=list)  # ... on these words, as written
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return plain_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        try:
            return _known(cls, data, "alert")
        except InvalidMessage:
            raise
        except TypeError as exc:
            raise InvalidMessage(f"not an alert record: {exc!r}") from exc


@dataclass
class DeadLetter:
    """Anything that could not be processed, with why and the original bytes."""

    stage: str
    error_type: str
    error: str
    original: str  # original value, decoded as UTF-8 with replacement
    original_b64: str = ""  # exact original bytes when they were not UTF-8
    topic: str = ""
    original_size: int = 0  # bytes of the original value
    truncated: bool = False  # only the first bytes are kept (the record must fit on Kafka)
    partition: int = -1
    offset: int = -1
    key: str = ""
    failed_at: str = field(default_factory=utcnow_iso)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return plain_dict(self)


def encode(record: Any) -> bytes:
    """Serialise a record (or plain dict) as compact UTF-8 JSON.

    orjson writes the dataclasses directly, without building the dicts of
    :func:`plain` first: the same bytes as ``json.dumps(plain(record),
    ensure_ascii=False, separators=(",", ":"))`` at a small fraction of the
    cost (records have no field names starting with "_", which orjson leaves
    out).
    """
    return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS)


def decode_json(raw: bytes | str | None) -> dict[str, Any]:
    """Bytes to a JSON object of the current schema version, or
    :class:`InvalidMessage` saying why not (:func:`upcast` for the version)."""
    if raw is None:
        raise InvalidMessage("empty message (no value)")
    if isinstance(raw, bytes | bytearray) and raw[:3] == b"\xef\xbb\xbf":
        raw = raw[3:]  # a UTF-8 byte order mark
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage(_not_json(raw, exc)) from exc
    if not isinstance(data, dict):
        raise InvalidMessage(f"expected a JSON object, got {_json_type(data)}")
    return upcast(data)


def _not_json(raw: bytes | bytearray | str, exc: orjson.JSONDecodeError) -> str:
    """Why ``raw`` is not JSON, in words about the message rather than the parser."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as bad:
            return f"not JSON: not UTF-8 text (byte 0x{raw[bad.start]:02x} at position {bad.start})"
    if not raw.strip():
        return "empty message (no JSON)"
    return f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"


def schema_major(value: object) -> int:
    """The major version of a ``schema_version`` value (1, "1", "1.2")."""
    if value is None:
        return 1  # written before records carried a version
    if isinstance(value, int) and not isinstance(value, bool):
        major = value
    elif isinstance(value, str) and value.strip().split(".")[0].isdigit():
        major = int(value.strip().split(".")[0])
    else:
        raise InvalidMessage(f"schema_version {value!r} is not a version number")
    if major < 1:
        raise InvalidMessage(f"schema_version {value!r} is not a version number")
    return major


def upcast(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` in the current schema version, following :data:`UPCASTS`."""
    version = schema_major(data.get("schema_version"))
    if version > SCHEMA_VERSION:
        raise UnsupportedSchema(
            f"schema_version {data.get('schema_version')!r} is newer than this consumer "
            f"reads (up to {SCHEMA_VERSION}); upgrade it and replay the record"
        )
    while version < SCHEMA_VERSION:
        step = UPCASTS.get(version)
        if step is None:
            raise UnsupportedSchema(
                f"schema_version {version} cannot be read: no upcast to {version + 1}"
            )
        data = step(dict(data))
        version += 1
    if data.get("schema_version") != SCHEMA_VERSION:
        data = {**data, "schema_version": SCHEMA_VERSION}
    return data


def _json_type(value: object) -> str:
    return {
        list: "an array",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _obj(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidMessage(f"{what}: expected a JSON object, got {_json_type(value)}")
    return value


def _list(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidMessage(f"{name}: expected a JSON array, got {_json_type(value)}")
    return value


@contextmanager
def _reading(what: str) -> Iterator[None]:
    """Turns what reading a malformed record raises into :class:`InvalidMessage`, naming
    the kind of record, so callers have one error to handle."""
    try:
        yield
    except InvalidMessage:
        raise
    except KeyError as exc:
        raise InvalidMessage(f"not {what} record: field {exc} is missing") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidMessage(f"not {what} record: {exc!r}") from exc


@cache
def _field_names(cls: type[DataclassInstance]) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


def _known(cls: type[R], value: object, what: str, **given: Any) -> R:
    """``cls`` from the fields of ``value`` it knows; the others are ignored."""
    data = _obj(value, what)
    names = _field_names(cls)
    known = {k: v for k, v in data.items() if k in names and k not in given}
    try:
        return cls(**known, **given)
    except TypeError as exc:
        missing = sorted(
            f.name
            for f in fields(cls)
            if f.name not in data and f.default is MISSING and f.default_factory is MISSING
        )
        detail = f"missing {', '.join(missing)}" if missing else str(exc)
        raise InvalidMessage(f"{what}: {detail}") from exc


def decode_article(raw: bytes | str | None) -> Article:
    return Article.from_dict(decode_json(raw))


def decode_enriched(raw: bytes | str | None) -> EnrichedArticle:
    return EnrichedArticle.from_dict(decode_json(raw))


def decode_alert(raw: bytes | str | None) -> Alert:
    return Alert.from_dict(decode_json(raw))


# The key of ``EnrichedArticle.versions`` a recogniser stamps on the article's
# second version, the one with the statistical names.
RECOGNITION_STEP = "recognition"
# Revisions of one raw message leave room between its passes (a search-side
# rewrite of a document, such as adding a language copy, raises it by one).
REVISION_PASS = 100


def revision(enriched: EnrichedArticle) -> int:
    """Which version of an article wins, as a number that only goes up.

    An article reaches the enriched topic twice in a language with a model:
    the fast path's version, then the recogniser's with the statistical
    names. Ordered first by the raw message it came from (a later raw
    message is newer news), then by the pass (the recogniser's is more
    complete). Consumers that keep one version (the search index, as its
    external version) keep the highest and need no arrival order.
    """
    passes = 1 if RECOGNITION_STEP in enriched.versions else 0
    return enriched.raw_timestamp_ms * 1000 + passes * REVISION_PASS


# Kafka refuses records over about 1 MB (the producer's and the broker's default
# limits): the original bytes a dead-letter record keeps, and the error text.
DEAD_LETTER_ORIGINAL_MAX = 900_000
DEAD_LETTER_ERROR_MAX = 4_000


def dead_letter_for(
    raw: bytes | None,
    exc: BaseException,
    *,
    stage: str,
    topic: str = "",
    partition: int = -1,
    offset: int = -1,
    key: bytes | str | None = None,
) -> DeadLetter:
    """Wrap a failed input so nothing is lost: the error and the exact bytes.

    Bytes that are not UTF-8 are kept exactly in ``original_b64`` too. An
    original too large to fit in a Kafka record with them is cut to its first
    bytes (``truncated``; ``original_size`` says how long it was): a record
    that cannot be sent would leave its message stuck forever.
    """
    import base64

    raw = raw or b""
    size, truncated = len(raw), False
    try:
        raw.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    # Base64 takes 4/3 of the bytes, the replacement text up to 3x (U+FFFD per byte).
    keep = DEAD_LETTER_ORIGINAL_MAX if utf8 else DEAD_LETTER_ORIGINAL_MAX // 5
    if size > keep:
        raw, truncated = raw[:keep], True
    if utf8:
        original, original_b64 = raw.decode("utf-8", "ignore"), ""  # a cut may split a char
    else:
        original = raw.decode("utf-8", "replace")
        original_b64 = base64.b64encode(raw).decode("ascii")
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    error = redact_urls(str(exc))  # a URL may be a credential (a webhook's token)
    if len(error) > DEAD_LETTER_ERROR_MAX:
        error = error[:DEAD_LETTER_ERROR_MAX] + "…"
    return DeadLetter(
        stage=stage,
        error_type=type(exc).__name__,
        error=error,
        original=original,
        original_b64=original_b64,
        topic=topic,
        partition=partition,
        offset=offset,
        key=key or "",
        original_size=size,
        truncated=truncated,
    )


def _required_str(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidMessage(f"field {name!r} is missing or empty")
    return value
