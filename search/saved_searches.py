"""Saved searches: a search you can run, stored with a name, matched as articles arrive.

A saved search is a :class:`~search.query.SearchRequest`'s query and filters
plus a name; saving it parses the query strictly, analyses its words with
every analyser of the articles index (:func:`search.percolate.compile_query`)
and stores both in their own index, whose mapping carries the articles'
language fields so that an arriving article is analysed there exactly as the
articles index would (``_mtermvectors`` on the unsaved article, see
:func:`article_terms_many`). Nothing is stored until all of it checks out,
and the document id is the folded name, so a duplicate name is refused by
Elasticsearch's create-if-absent, never half-saved.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypedDict, Unpack

from elasticsearch import ApiError, AsyncElasticsearch, ConflictError, Elasticsearch, NotFoundError

from contract.ids import fold
from search.analysis import ALL_KEYS, LanguageAnalysis, detect_language_analysis
from search.documents import language_copy_key
from search.index_template import language_fields
from search.percolate import (
    NEUTRAL,
    ArticleTerms,
    QuerySyntaxError,
    article_terms,
    compile_query,
    parse,
)
from search.query import SearchRequest

MAX_SAVED = 10_000  # loaded at once by the matcher
_NAME = re.compile(r"^[^\x00-\x1f]{1,100}$")
#: Languages an article can be labelled with (the identifier's and the analysers').
_IDENTIFIED = "ar bg ca cs da de el en es et fa fi fr he hi hr hu id it ja ko lt lv nl no pl"
KNOWN_LANGUAGES = frozenset(ALL_KEYS) - {"other"} | {
    *_IDENTIFIED.split(),
    *["pt", "ro", "ru", "sk", "sl", "sr", "sv", "tr", "uk", "vi", "zh", "und"],
}


class SavedSearchError(ValueError):
    """Bad input for a saved search; the message says what to change."""


class DuplicateName(SavedSearchError):
    pass


class UnknownSearch(SavedSearchError):
    pass


def searches_index(alerts_index: str) -> str:
    """The saved searches' index, named after the alerts index they feed."""
    return f"{alerts_index}-searches"


def search_id(name: str) -> str:
    """Names differing only in case, accents or spacing are one search."""
    return hashlib.sha256(" ".join(fold(name).split()).encode()).hexdigest()[:20]


@dataclass
class SavedSearch:
    name: str
    query: str = ""
    languages: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    created_at: str = ""
    created_ms: int = 0
    compiled: dict[str, Any] | None = None

    @cached_property
    def id(self) -> str:
        return search_id(self.name)

    def request(self, **options: Any) -> SearchRequest:
        """The same search, to run over the indexed articles."""
        return SearchRequest(
            query=self.query,
            languages=tuple(self.languages),
            sources=tuple(self.sources),
            topics=tuple(self.topics),
            entities=tuple(self.entities),
            actors=tuple(self.actors),
            **options,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "query": self.query,
            "languages": self.languages,
            "sources": self.sources,
            "topics": self.topics,
            "entities": self.entities,
            "actors": self.actors,
            "created_at": self.created_at,
            "created_ms": self.created_ms,
        }

    @classmethod
    def from_source(cls, source: Mapping[str, Any]) -> SavedSearch:
        return cls(
            name=source["name"],
            query=source.get("query", ""),
            languages=list(source.get("languages") or []),
            sources=list(source.get("sources") or []),
            topics=list(source.get("topics") or []),
            entities=list(source.get("entities") or []),
            actors=list(source.get("actors") or []),
            created_at=source.get("created_at", ""),
            created_ms=int(source.get("created_ms") or 0),
            compiled=source.get("compiled"),
        )


class Filters(TypedDict, total=False):
    """What a saved search may be narrowed to, besides its query."""

    languages: Iterable[str] | None
    sources: Iterable[str] | None
    topics: Iterable[str] | None
    entities: Iterable[str] | None
    actors: Iterable[str] | None


def _clean(values: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values or () if v and v.strip()))


def validate(
    name: str,
    query: str = "",
    *,
    known_topics: Mapping[str, str] | None = None,
    **filters: Unpack[Filters],
) -> SavedSearch:
    """A checked :class:`SavedSearch` (not yet compiled), or :class:`SavedSearchError`.

    ``known_topics`` maps every accepted topic label and code (folded) to its
    label; topics are stored as labels.
    """
    if extra := set(filters) - Filters.__optional_keys__:  # as for a named parameter
        raise TypeError(f"validate() got unexpected keyword arguments {sorted(extra)}")
    name = " ".join((name or "").split())
    if not name or not _NAME.match(name):
        raise SavedSearchError("a saved search needs a name of 1 to 100 characters")
    search = SavedSearch(
        name=name,
        query=(query or "").strip(),
        languages=[v.lower() for v in _clean(filters.get("languages"))],
        sources=_clean(filters.get("sources")),
        topics=_clean(filters.get("topics")),
        entities=_clean(filters.get("entities")),
        actors=_clean(filters.get("actors")),
    )
    unknown = [v for v in search.languages if v not in KNOWN_LANGUAGES]
    if unknown:
        raise SavedSearchError(
            f"unknown language {', '.join(unknown)}: use an ISO 639-1 code such as nl, en, es"
        )
    if known_topics is not None:
        labels = []
        for topic in search.topics:
            label = known_topics.get(fold(topic))
            if label is None:
                known = ", ".join(sorted(set(known_topics.values())))
                raise SavedSearchError(f"unknown topic {topic!r}: one of {known}")
            labels.append(label)
        search.topics = list(dict.fromkeys(labels))
    if not search.query and not any(
        (search.languages, search.sources, search.topics, search.entities, search.actors)
    ):
        raise SavedSearchError(
            "a saved search needs a query or a filter: it would match everything"
        )
    try:
        search.request()  # the search's own checks: cost caps, filter sizes
        parse(search.query)
    except QuerySyntaxError as exc:
        raise SavedSearchError(f"cannot read the query: {exc}") from None
    except ValueError as exc:
        raise SavedSearchError(str(exc)) from None
    return search


# ---------------------------------------------------------------- the index


def searches_mapping(analysis: LanguageAnalysis) -> dict[str, Any]:
    """Stored queries, and the articles' text fields to analyse new articles with."""
    keyword = {"type": "keyword"}
    return {
        "dynamic": False,
        "_meta": {"search_analyzers": {NEUTRAL or "neutral": "standard", **analysis.analyzers}},
        "properties": {
            "id": keyword,
            "name": {**keyword, "fields": {"text": {"type": "text"}}},
            "query": {"type": "text"},
            "languages": keyword,
            "sources": keyword,
            "topics": keyword,
            "entities": keyword,
            "actors": keyword,
            "created_at": {"type": "date"},
            "created_ms": {"type": "long"},
            "compiled": {"type": "object", "enabled": False},
            # Never filled: the fields new articles are analysed in (as in the articles index).
            "title": {"type": "text"},
            "text": {"type": "text"},
            "i18n": {
                "type": "object",
                "properties": language_fields(analysis.analyzers, analysis.index_analyzers),
            },
        },
    }


def ensure_searches_index(
    es: Elasticsearch, index: str, analysis: LanguageAnalysis | None = None
) -> dict[str, str]:
    """Create the index when missing; return its analysers (key -> search analyser)."""
    try:
        mapping = es.indices.get_mapping(index=index)
    except NotFoundError:
        analysis = analysis or detect_language_analysis(es)
        try:
            es.indices.create(
                index=index,
                settings={"number_of_shards": 1, "auto_expand_replicas": "0-1"},
                mappings=searches_mapping(analysis),
            )
        except ApiError as exc:
            if exc.error != "resource_already_exists_exception":
                raise
        mapping = es.indices.get_mapping(index=index)
    body = next(iter(getattr(mapping, "body", mapping).values()))
    analysers = dict(body["mappings"]["_meta"]["search_analyzers"])
    analysers[NEUTRAL] = analysers.pop("neutral")
    return analysers


def analyse_with(
    es: Elasticsearch, analysers: Mapping[str, str], texts: Sequence[str]
) -> dict[str, list[list[str]]]:
    """For each analyser key, the tokens of each text (one ``_analyze`` per analyser)."""
    joined, spans, at = [], [], 0
    for text in texts:
        one = " ".join(text.split())
        spans.append((at, at + len(one)))
        joined.append(one)
        at += len(one) + 1
    whole = "\n".join(joined)
    out: dict[str, list[list[str]]] = {}
    for key, analyser in analysers.items():
        tokens: list[list[str]] = [[] for _ in texts]
        found = es.indices.analyze(analyzer=analyser, text=whole)
        for token in found.get("tokens", []):
            for i, (start, end) in enumerate(spans):
                if start <= token["start_offset"] < end + 1:
                    if token["token"] not in tokens[i]:
                        tokens[i].append(token["token"])
                    break
        out[key] = tokens
    return out


def _now() -> tuple[str, int]:
    ms = int(time.time() * 1000)
    when = datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
    return when.replace("+00:00", "Z"), ms


def add_search(es: Elasticsearch, index: str, search: SavedSearch) -> SavedSearch:
    """Compile and store ``search`` (validated); :class:`DuplicateName` if the name is taken."""
    analysers = ensure_searches_index(es, index)
    search.compiled = compile_query(parse(search.query), lambda t: analyse_with(es, analysers, t))
    search.created_at, search.created_ms = _now()
    body = {**search.to_dict(), "compiled": search.compiled}
    try:
        es.create(index=index, id=search.id, document=body, refresh="wait_for")
    except ConflictError:
        raise DuplicateName(
            f"a saved search named {search.name!r} exists already: remove it first or "
            "choose another name"
        ) from None
    return search


def list_searches(es: Elasticsearch, index: str) -> list[SavedSearch]:
    try:
        found = es.search(index=index, size=MAX_SAVED, sort=[{"name": "asc"}])
    except NotFoundError:
        return []
    return [SavedSearch.from_source(h["_source"]) for h in found["hits"]["hits"]]


def get_search(es: Elasticsearch, index: str, name: str) -> SavedSearch:
    try:
        found = es.get(index=index, id=search_id(name))
    except NotFoundError:
        raise UnknownSearch(f"no saved search named {name!r}") from None
    return SavedSearch.from_source(found["_source"])


def remove_search(es: Elasticsearch, index: str, name: str) -> SavedSearch:
    search = get_search(es, index, name)
    try:
        es.delete(index=index, id=search.id, refresh="wait_for")
    except NotFoundError:
        raise UnknownSearch(f"no saved search named {name!r}") from None
    return search


# ---------------------------------------------------------------- the matcher's side


async def load_searches(es: AsyncElasticsearch, index: str) -> list[SavedSearch]:
    """Every saved search, compiled (the matcher's periodic read)."""
    try:
        found = await es.search(index=index, size=MAX_SAVED)
    except NotFoundError:
        return []
    return [SavedSearch.from_source(h["_source"]) for h in found["hits"]["hits"]]


async def searches_state(es: AsyncElasticsearch, index: str) -> tuple[int, int]:
    """(how many searches, when the newest was saved): changes with every add or remove."""
    try:
        found = await es.search(
            index=index,
            size=0,
            track_total_hits=True,
            aggs={"newest": {"max": {"field": "created_ms"}}},
        )
    except NotFoundError:
        return 0, 0
    newest = found["aggregations"]["newest"]["value"]
    return int(found["hits"]["total"]["value"]), int(newest or 0)


async def searches_keys(es: AsyncElasticsearch, index: str) -> frozenset[str] | None:
    """The ``i18n`` keys the searches index analyses (None: no index yet)."""
    try:
        mapping = await es.indices.get_mapping(index=index)
    except NotFoundError:
        return None
    body = next(iter(getattr(mapping, "body", mapping).values()))
    props = body["mappings"].get("properties", {}).get("i18n", {}).get("properties", {})
    return frozenset(props)


async def article_terms_many(
    es: AsyncElasticsearch,
    index: str,
    keys: frozenset[str],
    articles: Sequence[Mapping[str, str]],
) -> list[ArticleTerms]:
    """Each article's index-time tokens, from one ``_mtermvectors`` request.

    ``articles`` hold ``title``, ``text`` and ``language``; the request sends
    them as artificial documents, analysed by the searches index's mapping
    (the articles index's fields), and nothing is stored.
    """
    docs = []
    copy_keys = []
    for article in articles:
        key = language_copy_key(article.get("language", ""), keys)
        copy_keys.append(key)
        doc: dict[str, Any] = {"title": article.get("title", ""), "text": article.get("text", "")}
        fields = ["title", "text"]
        if key is not None:
            doc["i18n"] = {key: {"title": doc["title"], "text": doc["text"]}}
            fields += [f"i18n.{key}.title", f"i18n.{key}.text"]
        docs.append(
            {
                "doc": doc,
                "fields": fields,
                "positions": True,
                "offsets": True,
                "payloads": False,
                "term_statistics": False,
                "field_statistics": False,
            }
        )
    found = await es.mtermvectors(index=index, docs=docs)
    out = []
    for article, key, answer in zip(articles, copy_keys, found["docs"], strict=True):
        if answer.get("error"):
            raise RuntimeError(f"term vectors refused: {answer['error']}")
        source = {"title": article.get("title", ""), "text": article.get("text", "")}
        out.append(article_terms(answer.get("term_vectors", {}), key, source))
    return out


# ---------------------------------------------------------------- filters


def _same(value: str, candidates: Iterable[Any]) -> bool:
    low = value.lower()
    return any(isinstance(c, str) and c.lower() == low for c in candidates)


def _words_within(phrase: str, names: Iterable[str]) -> bool:
    wanted = phrase.split()
    for name in names:
        words = name.split()
        for i in range(len(words) - len(wanted) + 1):
            if words[i : i + len(wanted)] == wanted:
                return True
    return False


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


def filters_match(search: SavedSearch, document: Mapping[str, Any]) -> bool:
    """The search's filters on an article document (``search.documents.to_document``),
    as the search's filter clauses would judge it: OR within a filter, AND across."""
    if search.languages and not _same(
        (document.get("language") or {}).get("code", ""), search.languages
    ):
        return False
    source = document.get("source") or {}
    source_values = [source.get(k, "") for k in ("name", "domain", "feed_id", "feed_url")]
    if search.sources and not any(_same(v, source_values) for v in search.sources):
        return False
    topics = [t.get(k, "") for t in document.get("topics") or [] for k in ("label", "code")]
    if search.topics and not any(_same(v, topics) for v in search.topics):
        return False
    for wanted, block, ids in (
        (search.entities, document.get("entities") or {}, "ids"),
        (search.actors, document.get("actors") or {}, "id"),
    ):
        if not wanted:
            continue
        names = _as_list(block.get("any")) + _as_list(block.get("name"))
        if not any(
            v in _as_list(block.get(ids))
            or _same(v, names)
            or _words_within(fold(v), _as_list(block.get("folded")))
            for v in wanted
        ):
            return False
    return True


# ---------------------------------------------------------------- backtest


def backtest(
    es: Elasticsearch, articles_index: str, search: SavedSearch, *, since: datetime, first: int = 10
) -> dict[str, Any]:
    """What ``search`` would have raised over the indexed articles published since ``since``:
    one alert per story, counted per day and per language, and the first stories (the
    search's own query, caps included)."""
    from search.query import run_search

    request = search.request(
        since=since, sort="recent", limit=first, facets=True, facet_size=50, histogram=True
    )
    result = run_search(es, articles_index, request)
    return {
        "search": {k: v for k, v in search.to_dict().items() if k not in ("id", "created_ms")},
        "since": since.isoformat(),
        "alerts": result.total,
        "articles": result.articles,
        "per_day": [{"day": b.value[:10], "alerts": b.count} for b in result.histogram],
        "per_language": [
            {"language": b.value, "alerts": b.count} for b in result.facets.get("language", [])
        ],
        "first_hits": [
            {
                "published": h.published,
                "language": h.language,
                "source": h.source,
                "title": h.title,
                "url": h.url,
                "copies": h.copies,
            }
            for h in result.hits
        ],
    }
