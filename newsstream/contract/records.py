"""The records that travel on Kafka, as plain dataclasses with JSON codecs.

Every message is a JSON object with ``schema_version`` and is keyed by the
article id (alerts: by alert id), so all events for one article share a
partition and arrive in order. Decoding is strict about what downstream code
relies on and tolerant of fields it does not know, so producers can add
fields without breaking older consumers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from newsstream.contract.errors import InvalidMessage

SCHEMA_VERSION = 1


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
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        try:
            src = data["source"]
            source = Source(
                name=str(src.get("name", "")),
                feed_url=str(src.get("feed_url", "")),
                feed_id=str(src.get("feed_id", "")),
                tags=list(src.get("tags", [])),
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
                authors=[str(a) for a in data.get("authors", [])],
                categories=[str(c) for c in data.get("categories", [])],
                language_hint=str(data.get("language_hint", "") or ""),
                schema_version=int(data.get("schema_version", SCHEMA_VERSION)),
            )
        except InvalidMessage:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidMessage(f"not an article record: {exc!r}") from exc


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
    score: float


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
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnrichedArticle:
        try:
            return cls(
                article=Article.from_dict(data["article"]),
                language=Language(**data["language"]),
                entities=[
                    Entity(**{**e, "mentions": [Mention(**m) for m in e.get("mentions", [])]})
                    for e in data.get("entities", [])
                ],
                topics=[Topic(**t) for t in data.get("topics", [])],
                versions=dict(data.get("versions", {})),
                enriched_at=str(data.get("enriched_at", "")),
                actors=[ActorMention(**a) for a in data.get("actors", [])],
                raw_timestamp_ms=int(data.get("raw_timestamp_ms", 0)),
                schema_version=int(data.get("schema_version", SCHEMA_VERSION)),
            )
        except InvalidMessage:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidMessage(f"not an enriched article record: {exc!r}") from exc


@dataclass
class Alert:
    """A tracked actor mentioned in a story that has not alerted for it yet."""

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
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        try:
            known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
            return cls(**known)
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
    partition: int = -1
    offset: int = -1
    key: str = ""
    failed_at: str = field(default_factory=utcnow_iso)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return plain(self)


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
    """Bytes to a JSON object, or :class:`InvalidMessage` saying why not."""
    if raw is None:
        raise InvalidMessage("empty message (no value)")
    try:
        data = orjson.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMessage(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidMessage(f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if version is not None and version != SCHEMA_VERSION:
        raise InvalidMessage(f"unsupported schema_version {version!r}")
    return data


def decode_article(raw: bytes | str | None) -> Article:
    return Article.from_dict(decode_json(raw))


def decode_enriched(raw: bytes | str | None) -> EnrichedArticle:
    return EnrichedArticle.from_dict(decode_json(raw))


def dead_letter_for(
    raw: bytes | None, exc: BaseException, *, stage: str, topic: str = "",
    partition: int = -1, offset: int = -1, key: bytes | str | None = None,
) -> DeadLetter:
    """Wrap a failed input so nothing is lost: the error and the exact bytes."""
    import base64

    raw = raw or b""
    try:
        original, original_b64 = raw.decode("utf-8"), ""
    except UnicodeDecodeError:
        original = raw.decode("utf-8", "replace")
        original_b64 = base64.b64encode(raw).decode("ascii")
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    return DeadLetter(
        stage=stage, error_type=type(exc).__name__, error=str(exc), original=original,
        original_b64=original_b64, topic=topic, partition=partition, offset=offset,
        key=key or "",
    )


def _required_str(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidMessage(f"field {name!r} is missing or empty")
    return value
