"""The one query layer behind ``newsstream search`` and the HTTP API.

:class:`SearchRequest` (plain data, validated on construction) becomes an
Elasticsearch request body with :func:`build_query`; a raw response becomes a
:class:`SearchResult` with :func:`parse_response`. Free text goes through
``simple_query_string``, whose syntax never fails to parse, so a user's typo
is a query, not an error. Paging is ``search_after`` on a sort that always
ends with the keyword field ``id`` (``_id`` is not sortable in recent
Elasticsearch), carried between pages as an opaque cursor.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from contract.ids import fold
from search.analysis import ALL_KEYS
from search.percolate import word_operators

SORTS = ("relevance", "recent")
INTERVALS = ("auto", "hour", "day", "week", "month", "year")
MAX_LIMIT = 500
# The cost cap: a query longer or with more terms than this, or more filter
# values, is refused with a clear message instead of keeping a node busy.
MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 64
MAX_FILTER_VALUES = 50
MAX_FILTER_CHARS = 200
QUERY_TIMEOUT = "5s"
TEXT_FIELDS = ["title^3", "text", "i18n.*.title^3", "i18n.*.text"]
FACETS: dict[str, str] = {
    "language": "language.code",
    "source": "source.name",
    "topic": "topics.label",
    "entity": "entities.any",
    "actor": "actors.name",
}
_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


_OFFSET = "@offset"
#: The story fingerprint: syndicated copies of one story share it.
STORY_FIELD = "story_id"
#: Copies listed on a collapsed result.
MAX_COPIES = 10
COPY_FIELDS = ["id", "url", "title", "source.name", "@timestamp"]
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TERM = re.compile(r"[^\s|+\-()\"~*]+")


class QueryTooCostly(ValueError):
    """The query exceeds the server's cost cap; narrowing it is the fix."""


def parse_time(value: str, *, now: datetime | None = None, end_of_day: bool = False) -> datetime:
    """``2019-03-12``, ``2019-03-12T08:00:00Z`` or relative ``90m``/``24h``/``7d``/``2w``.

    With ``end_of_day`` (for *until*), a bare date means the end of that day,
    so ``--until 2019-03-12`` includes the 12th.
    """
    try:
        return _parse_time(value.strip(), now=now, end_of_day=end_of_day)
    except OverflowError:
        raise ValueError(f"time out of range: {value!r}") from None


def _parse_time(text: str, *, now: datetime | None, end_of_day: bool) -> datetime:
    value = text
    if end_of_day and _DATE_ONLY.match(text):
        start = _parse_time(text, now=now, end_of_day=False)
        return start.replace(hour=23, minute=59, second=59, microsecond=999000)
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a time: {value!r} (use 2019-03-12, 2019-03-12T08:00:00Z, or 24h / 7d / 2w)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def encode_cursor(sort_values: list[Any]) -> str:
    raw = json.dumps(sort_values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise ValueError("invalid cursor: pass the next_cursor of a previous page") from None
    if not isinstance(values, list) or not values:
        raise ValueError("invalid cursor: pass the next_cursor of a previous page")
    return values


def _clean(values: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (values or ()) if v and v.strip())


@dataclass(frozen=True)
class SearchRequest:
    """What a user asks; every filter takes several values (OR within, AND across)."""

    query: str = ""
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    sort: str = ""  # relevance with a query, recent without
    limit: int = 20
    cursor: str = ""
    facets: bool = False
    facet_size: int = 10
    histogram: bool = False
    interval: str = "auto"
    collapse: bool = True  # one result per story (its copies listed on it)

    def __post_init__(self) -> None:
        for name in ("languages", "sources", "topics", "entities", "actors"):
            object.__setattr__(self, name, _clean(getattr(self, name)))
        object.__setattr__(self, "query", self.query.strip())
        if not self.sort:
            object.__setattr__(self, "sort", "relevance" if self.query else "recent")
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, not {self.limit}")
        if not 1 <= self.facet_size <= 100:
            raise ValueError("facet_size must be between 1 and 100")
        if self.interval not in INTERVALS:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
        if self.since and self.until and self.since > self.until:
            raise ValueError("since is after until")
        if self.cursor:
            decode_cursor(self.cursor)
        check_cost(self)

    @property
    def search_after(self) -> list[Any] | None:
        if not self.cursor:
            return None
        values = decode_cursor(self.cursor)
        return None if values[0] == _OFFSET else values

    @property
    def offset(self) -> int:
        """Where a page of stories starts: collapsed results page by offset, since
        Elasticsearch pages them with ``search_after`` only when sorted by story."""
        if not self.cursor:
            return 0
        values = decode_cursor(self.cursor)
        return int(values[1]) if values[0] == _OFFSET and len(values) == 2 else 0


def check_cost(request: SearchRequest) -> None:
    """Raise :class:`QueryTooCostly` when ``request`` is over the cost cap."""
    if len(request.query) > MAX_QUERY_CHARS:
        raise QueryTooCostly(
            f"query too long: {len(request.query)} characters, at most {MAX_QUERY_CHARS}"
        )
    terms = len(_TERM.findall(request.query))
    if terms > MAX_QUERY_TERMS:
        raise QueryTooCostly(f"query has {terms} terms, at most {MAX_QUERY_TERMS}: narrow it")
    for name in ("languages", "sources", "topics", "entities", "actors"):
        values = getattr(request, name)
        if len(values) > MAX_FILTER_VALUES:
            raise QueryTooCostly(
                f"too many {name}: {len(values)} values, at most {MAX_FILTER_VALUES}"
            )
        if any(len(v) > MAX_FILTER_CHARS for v in values):
            raise QueryTooCostly(f"a value of {name} is longer than {MAX_FILTER_CHARS} characters")


def _any_term(fields: list[str], value: str) -> dict[str, Any]:
    shoulds = [{"term": {f: {"value": value, "case_insensitive": True}}} for f in fields]
    return shoulds[0] if len(shoulds) == 1 else {"bool": {"should": shoulds}}


def _filter(values: tuple[str, ...], one: Any) -> dict[str, Any] | None:
    if not values:
        return None
    clauses = [one(v) for v in values]
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses}}


def _entity_clause(value: str) -> dict[str, Any]:
    """Exact name or id, or the words of a name: 'maduro' finds 'Nicolás Maduro'."""
    return {
        "bool": {
            "should": [
                {"term": {"entities.ids": value}},
                {"term": {"entities.any": {"value": value, "case_insensitive": True}}},
                {"match_phrase": {"entities.folded": fold(value)}},
            ]
        }
    }


def _actor_clause(value: str) -> dict[str, Any]:
    return {
        "bool": {
            "should": [
                {"term": {"actors.id": value}},
                {"term": {"actors.name": {"value": value, "case_insensitive": True}}},
                {"match_phrase": {"actors.folded": fold(value)}},
            ]
        }
    }


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def filters(request: SearchRequest) -> list[dict[str, Any]]:
    out = [
        _filter(request.languages, lambda v: _any_term(["language.code"], v)),
        _filter(
            request.sources,
            lambda v: _any_term(
                ["source.name", "source.domain", "source.feed_id", "source.feed_url"], v
            ),
        ),
        _filter(request.topics, lambda v: _any_term(["topics.label", "topics.code"], v)),
        _filter(request.entities, _entity_clause),
        _filter(request.actors, _actor_clause),
    ]
    if request.since or request.until:
        bounds: dict[str, str] = {}
        if request.since:
            bounds["gte"] = _iso(request.since)
        if request.until:
            bounds["lte"] = _iso(request.until)
        out.append({"range": {"@timestamp": bounds}})
    return [f for f in out if f is not None]


def histogram_interval(request: SearchRequest, *, now: datetime | None = None) -> str:
    """The calendar interval: as asked, or from the span of since..until."""
    if request.interval != "auto":
        return request.interval
    if not request.since:
        return "day"
    span = (request.until or now or datetime.now(UTC)) - request.since
    if span <= timedelta(days=3):
        return "hour"
    if span <= timedelta(days=120):
        return "day"
    if span <= timedelta(days=730):
        return "week"
    return "month"


def sort_clause(request: SearchRequest) -> list[Any]:
    recent = [{"@timestamp": {"order": "desc"}}, {"id": {"order": "asc"}}]
    return ([{"_score": {"order": "desc"}}] + recent) if request.sort == "relevance" else recent


def _text_query(request: SearchRequest) -> dict[str, Any]:
    """All words, each in the neutral fields or the article's language copy.

    The language copy (``i18n.<lang>``, stemmed) finds other forms of a word
    in that language; the neutral ``title``/``text`` find names and numbers
    as written, whatever the language of the query or the article.
    """
    return {
        "simple_query_string": {
            "query": word_operators(request.query),
            "fields": TEXT_FIELDS,
            "default_operator": "and",
            "lenient": True,
        }
    }


def highlight(request: SearchRequest) -> dict[str, Any]:
    """Highlights on the text as written, including words matched in a language copy.

    ``matched_fields`` carries matches in ``i18n.*`` (same text, analysed by
    language) over to ``title`` and ``text``; it requires field matching, so
    names asked for in the entity/actor filters are added as a highlight query.
    """
    fields: dict[str, Any] = {}
    for name, options in (
        ("title", {"number_of_fragments": 0}),
        ("text", {"fragment_size": 180, "number_of_fragments": 2, "no_match_size": 180}),
    ):
        fields[name] = {
            **options,
            "require_field_match": True,
            "matched_fields": [f"i18n.{key}.{name}" for key in ALL_KEYS],
        }
        names = [fold(v) for v in (*request.entities, *request.actors)]
        if names:
            shoulds = [{"match_phrase": {name: value}} for value in names]
            if request.query:
                shoulds.append(_text_query(request))
            fields[name]["highlight_query"] = {"bool": {"should": shoulds}}
    return {
        "encoder": "html",
        "pre_tags": ["<em>"],
        "post_tags": ["</em>"],
        "fields": fields,
    }


def build_query(request: SearchRequest, *, now: datetime | None = None) -> dict[str, Any]:
    """The request body for ``POST <alias>/_search``."""
    must: list[dict[str, Any]] = [_text_query(request)] if request.query else []
    body: dict[str, Any] = {
        "query": {"bool": {"must": must or [{"match_all": {}}], "filter": filters(request)}},
        "size": request.limit,
        "sort": sort_clause(request),
        "track_total_hits": True,
        "timeout": QUERY_TIMEOUT,
        "_source": {"excludes": ["text", "i18n"]},
        "highlight": highlight(request),
    }
    if request.search_after:
        body["search_after"] = request.search_after
    aggs: dict[str, Any] = {}
    stories = {"stories": {"cardinality": {"field": STORY_FIELD}}}
    if request.collapse:
        body["collapse"] = {
            "field": STORY_FIELD,
            "inner_hits": {
                "name": "copies",
                "size": MAX_COPIES,
                "_source": COPY_FIELDS,
                "sort": [{"@timestamp": {"order": "asc"}}, {"id": {"order": "asc"}}],
            },
        }
        if request.offset:
            body["from"] = request.offset
        aggs.update(stories)
    if request.facets:
        for name, path in FACETS.items():
            aggs[name] = {"terms": {"field": path, "size": request.facet_size}}
            if request.collapse:
                aggs[name]["aggs"] = stories
    if request.histogram:
        histogram: dict[str, Any] = {
            "field": "@timestamp",
            "calendar_interval": histogram_interval(request, now=now),
            "min_doc_count": 0 if request.since else 1,
        }
        if request.since:
            histogram["extended_bounds"] = {
                "min": _iso(request.since),
                "max": _iso(request.until or now or datetime.now(UTC)),
            }
        aggs["published"] = {"date_histogram": histogram}
        if request.collapse:
            aggs["published"]["aggs"] = stories
    if aggs:
        body["aggs"] = aggs
    return body


@dataclass
class Hit:
    id: str
    index: str
    score: float | None
    title: str
    url: str
    published: str
    language: str
    source: str
    topics: list[str]
    entities: dict[str, list[str]]
    actors: list[str]
    title_highlight: str
    snippets: list[str]
    story_id: str = ""
    copies: int = 1  # articles of this story that match, this one included
    copy_list: list[dict[str, str]] = field(default_factory=list)  # the first few, oldest first
    # Calibrated probability per topic label, and the words that weighed most for the first.
    topic_scores: list[float] = field(default_factory=list)
    topic_evidence: list[str] = field(default_factory=list)


@dataclass
class Bucket:
    value: str
    count: int


@dataclass
class SearchResult:
    total: int  # stories when ``counts`` is "stories", else articles
    total_is_exact: bool
    took_ms: int
    hits: list[Hit]
    counts: str = "articles"  # what total, facets and histogram count
    articles: int = 0  # matching articles, copies included
    facets: dict[str, list[Bucket]] = field(default_factory=dict)
    histogram: list[Bucket] = field(default_factory=list)
    interval: str = ""
    next_cursor: str | None = None


def _hit(raw: dict[str, Any]) -> Hit:
    src = raw.get("_source", {})
    hl = raw.get("highlight", {})
    entities = src.get("entities", {})
    return Hit(
        id=src.get("id", raw["_id"]),
        index=raw.get("_index", ""),
        score=raw.get("_score"),
        title=src.get("title", ""),
        url=src.get("url", ""),
        published=src.get("@timestamp", ""),
        language=src.get("language", {}).get("code", ""),
        source=src.get("source", {}).get("name", ""),
        topics=[t.get("label", "") for t in src.get("topics", [])],
        entities={k: entities.get(k, []) for k in ("person", "organisation", "location", "misc")},
        actors=src.get("actors", {}).get("name", []),
        title_highlight=(hl.get("title") or [""])[0],
        snippets=list(hl.get("text", [])),
        story_id=src.get(STORY_FIELD, ""),
        **_copies(raw),
        topic_scores=[float(t.get("score") or 0.0) for t in src.get("topics", [])],
        topic_evidence=list((src.get("topics") or [{}])[0].get("evidence") or []),
    )


def _copies(raw: dict[str, Any]) -> dict[str, Any]:
    inner = raw.get("inner_hits", {}).get("copies", {}).get("hits")
    if not inner:
        return {}
    listed = [
        {
            "id": c.get("_source", {}).get("id", c.get("_id", "")),
            "url": c.get("_source", {}).get("url", ""),
            "source": c.get("_source", {}).get("source", {}).get("name", ""),
            "published": c.get("_source", {}).get("@timestamp", ""),
        }
        for c in inner.get("hits", [])
    ]
    return {"copies": int(inner.get("total", {}).get("value", len(listed))), "copy_list": listed}


def _count(bucket: dict[str, Any], collapsed: bool) -> int:
    if collapsed and "stories" in bucket:
        return int(bucket["stories"]["value"])
    return int(bucket["doc_count"])


def parse_response(
    request: SearchRequest, response: dict[str, Any], *, interval: str = ""
) -> SearchResult:
    hits_block = response.get("hits", {})
    total = hits_block.get("total", {"value": 0, "relation": "eq"})
    raw_hits = hits_block.get("hits", [])
    aggs = response.get("aggregations", {})
    collapsed = request.collapse
    facets = {
        name: [Bucket(str(b["key"]), _count(b, collapsed)) for b in aggs[name]["buckets"]]
        for name in FACETS
        if name in aggs
    }
    histogram = [
        Bucket(b.get("key_as_string", str(b["key"])), _count(b, collapsed))
        for b in aggs.get("published", {}).get("buckets", [])
    ]
    next_cursor = None
    if collapsed and len(raw_hits) == request.limit:
        next_cursor = encode_cursor([_OFFSET, request.offset + request.limit])
    elif len(raw_hits) == request.limit and raw_hits and raw_hits[-1].get("sort"):
        next_cursor = encode_cursor(raw_hits[-1]["sort"])
    articles = int(total.get("value", 0))
    stories = aggs.get("stories", {}).get("value")
    return SearchResult(
        total=int(stories) if collapsed and stories is not None else articles,
        total_is_exact=total.get("relation", "eq") == "eq",
        took_ms=int(response.get("took", 0)),
        hits=[_hit(h) for h in raw_hits],
        counts="stories" if collapsed else "articles",
        articles=articles,
        facets=facets,
        histogram=histogram,
        interval=interval if request.histogram else "",
        next_cursor=next_cursor,
    )


def run_search(client: Any, index: str, request: SearchRequest) -> SearchResult:
    """Run ``request`` against ``index`` (the read alias) with a sync client."""
    now = datetime.now(UTC)
    body = build_query(request, now=now)
    response = client.search(index=index, ignore_unavailable=True, allow_no_indices=True, **body)
    raw = getattr(response, "body", response)
    if raw.get("timed_out"):
        raise QueryTooCostly(
            f"the query took longer than {QUERY_TIMEOUT}: narrow it (fewer terms, "
            "fewer wildcards, a time range)"
        )
    return parse_response(request, raw, interval=histogram_interval(request, now=now))
