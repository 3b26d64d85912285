"""Matching stored queries against new articles, as plain functions over plain data.

The percolator of the full Elasticsearch distribution is a module the local
stack's distribution does not carry, so matching is done here, the way the
percolator does it: each saved query is parsed once (the ``simple_query_string``
syntax of the search page, see :func:`parse`) and its words analysed once
with every analyser the articles index uses (:func:`compile_query`, fed by
Elasticsearch's ``_analyze``); a new article's words come from the same
analysers at index time (``_mtermvectors`` over the article, see
``search.saved_searches``). Matching is then set and position arithmetic
(:func:`matches`), and a word index of the queries (:class:`QueryIndex`)
picks the few queries an article can match before any is evaluated.

Semantics follow the search: each word matches the language-neutral fields
(``title``, ``text``, standard analysis) or the article's own language copy
(``i18n.<lang>``, stemmed), so ``apagones`` matches "apagón" in Spanish
articles. Operators are left-associative without precedence, as in
``simple_query_string``: ``a b | c`` is ``(a b) | c``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Field group of the language-neutral fields (``title``, ``text``).
NEUTRAL = ""
#: Fields whose words are matched, per group: the group's title and text.
FIELDS = ("title", "text")


class QuerySyntaxError(ValueError):
    """A query that cannot be read; the message says where."""


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False
    fuzzy: int = 0


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    children: tuple[Node, ...]


Node = Word | Phrase | Not | All | Any_

_TOKEN = re.compile(r'\s*(?:(?P<quote>"[^"]*"?)|(?P<op>[|+()\-])|(?P<word>[^\s|+()"]+))')
_WORD_OPERATORS = {"AND": "+", "OR": "|", "NOT": "-"}
_FUZZY = re.compile(r"^(?P<word>.+?)~(?P<n>\d*)$")


def word_operators(query: str) -> str:
    """``a OR b``, ``a AND b``, ``NOT a`` in the ``simple_query_string`` syntax
    (``a | b``, ``a + b``, ``-a``); words inside quotes are left alone."""
    out: list[str] = []
    for part in re.split(r'("[^"]*")', query):
        if part.startswith('"'):
            out.append(part)
            continue
        out.append(
            re.sub(
                r"(?<!\S)(AND|OR|NOT)(?!\S)",
                lambda m: {"NOT": "-"}.get(m.group(1), _WORD_OPERATORS[m.group(1)]),
                part,
            ).replace("- ", "-")
        )
    return "".join(out)


def _tokens(query: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = query.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QuerySyntaxError(f"cannot read the query at {text[pos:]!r}")
        pos = m.end()
        if m.group("quote") is not None:
            quoted = m.group("quote")
            if len(quoted) < 2 or not quoted.endswith('"'):
                raise QuerySyntaxError('a quote is not closed: add the closing "')
            out.append(("phrase", quoted[1:-1]))
        elif m.group("op") is not None:
            out.append(("op", m.group("op")))
        else:
            out.append(("word", m.group("word")))
    return out


def _leaf(kind: str, text: str) -> Node:
    if kind == "phrase":
        if not text.strip():
            raise QuerySyntaxError('an empty phrase "": put words between the quotes')
        return Phrase(text)
    fuzzy = _FUZZY.match(text)
    if fuzzy:
        return Word(fuzzy.group("word"), fuzzy=int(fuzzy.group("n") or 2))
    if text.endswith("*") and len(text) > 1:
        return Word(text.rstrip("*"), prefix=True)
    if set(text) <= {"*", "~"}:
        raise QuerySyntaxError(f"{text!r} is not a word")
    return Word(text)


def _combine(left: Node | None, operator: str, right: Node) -> Node:
    if left is None:
        return right
    kind = Any_ if operator == "|" else All
    if isinstance(left, kind):
        return kind((*left.children, right))
    return kind((left, right))


def _parse(tokens: list[tuple[str, str]], pos: int, depth: int) -> tuple[Node | None, int]:
    node: Node | None = None
    operator = "+"
    negate = False
    pending = False  # an explicit operator waits for its right-hand side
    while pos < len(tokens):
        kind, text = tokens[pos]
        pos += 1
        if kind == "op" and text == ")":
            if depth == 0:
                raise QuerySyntaxError("a closing parenthesis ) has no opening one")
            break
        if kind == "op" and text in "|+":
            if node is None or pending:
                raise QuerySyntaxError(f"{text!r} needs a word on each side")
            operator, pending = text, True
            continue
        if kind == "op" and text == "-":
            negate = not negate
            continue
        if kind == "op" and text == "(":
            inner, pos = _parse(tokens, pos, depth + 1)
            if tokens[pos - 1] != ("op", ")"):
                raise QuerySyntaxError("a parenthesis ( is not closed: add the closing )")
            if inner is None:
                raise QuerySyntaxError("empty parentheses (): put words between them")
            child = inner
        else:
            child = _leaf(kind, text)
        if negate:
            child, negate = Not(child), False
        node = _combine(node, operator, child)
        operator, pending = "+", False
    else:
        if depth > 0:
            raise QuerySyntaxError("a parenthesis ( is not closed: add the closing )")
    if pending or negate:
        raise QuerySyntaxError("the query ends with an operator: add a word after it")
    return node, pos


def parse(query: str) -> Node | None:
    """The query tree of ``query`` (None for an empty query), or :class:`QuerySyntaxError`.

    Stricter than ``simple_query_string``, which reads anything: a saved query
    runs unattended, so an unclosed quote or parenthesis is refused rather
    than guessed at.
    """
    node, _ = _parse(_tokens(word_operators(query)), 0, 0)
    return node


def leaves(node: Node | None) -> list[Word | Phrase]:
    if node is None:
        return []
    if isinstance(node, Word | Phrase):
        return [node]
    if isinstance(node, Not):
        return leaves(node.child)
    return [leaf for child in node.children for leaf in leaves(child)]


# ---------------------------------------------------------------- compiling

#: analyser key (NEUTRAL or an i18n key) -> the tokens of each text, in order.
Analyse = Callable[[Sequence[str]], Mapping[str, Sequence[Sequence[str]]]]


def compile_query(node: Node | None, analyse: Analyse) -> dict[str, Any] | None:
    """The query tree as JSON-able data, each leaf with its tokens per analyser.

    ``analyse(texts)`` returns, for every analyser key, the token list of each
    text: the search-time analysis of the neutral fields and of each language
    copy. Prefix and fuzzy words are lowercased, not analysed (as in
    Elasticsearch, where they are normalised only).
    """
    texts = [leaf.text for leaf in leaves(node)]
    analysed = analyse(texts) if texts else {}
    counter = iter(range(len(texts)))

    def build(n: Node) -> dict[str, Any]:
        if isinstance(n, Word | Phrase):
            i = next(counter)
            out: dict[str, Any] = {"text": n.text}
            if isinstance(n, Word) and (n.prefix or n.fuzzy):
                out.update(kind="prefix" if n.prefix else "fuzzy", fuzzy=n.fuzzy)
                out["tokens"] = {NEUTRAL: [n.text.lower()]}
            else:
                out["kind"] = "phrase" if isinstance(n, Phrase) else "word"
                out["tokens"] = {key: list(tokens[i]) for key, tokens in analysed.items()}
            return out
        if isinstance(n, Not):
            return {"kind": "not", "child": build(n.child)}
        return {
            "kind": "all" if isinstance(n, All) else "any",
            "children": [build(c) for c in n.children],
        }

    return build(node) if node is not None else None


# ---------------------------------------------------------------- articles


Place = tuple[int, int, int]  # position, start offset, end offset


class FieldTerms:
    """One field's tokens as ``_termvectors`` gives them; a token's places are read
    only when a query asks for that token (most of an article's never are)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self._places: dict[str, list[Place]] = {}
        self._sorted: list[str] | None = None

    def starting_with(self, prefix: str) -> list[str]:
        """The tokens that start with ``prefix`` (a binary search in the sorted tokens)."""
        if self._sorted is None:
            self._sorted = sorted(self.raw)
        at = bisect_left(self._sorted, prefix)
        found = []
        while at < len(self._sorted) and self._sorted[at].startswith(prefix):
            found.append(self._sorted[at])
            at += 1
        return found

    def __contains__(self, token: object) -> bool:
        return token in self.raw

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __getitem__(self, token: str) -> list[Place]:
        places = self._places.get(token)
        if places is None:
            places = self._places[token] = [
                (t.get("position", 0), t.get("start_offset", -1), t.get("end_offset", -1))
                for t in self.raw[token].get("tokens", [])
            ]
        return places


@dataclass
class ArticleTerms:
    """An article's index-time tokens: field -> token -> [(position, start, end)].

    Fields are ``title``/``text`` (neutral) and ``<key>.title``/``<key>.text``
    for its language copy; ``source`` keeps the field texts for highlighting.
    """

    fields: dict[str, FieldTerms]
    key: str | None  # the article's i18n key
    source: dict[str, str] = field(default_factory=dict)

    def vocabulary(self) -> set[str]:
        return {token for terms in self.fields.values() for token in terms}


def article_terms(
    term_vectors: Mapping[str, Any], key: str | None, source: Mapping[str, str]
) -> ArticleTerms:
    """:class:`ArticleTerms` from one ``_termvectors`` answer (``term_vectors`` part)."""
    fields: dict[str, FieldTerms] = {}
    for name, vector in term_vectors.items():
        short = name[len("i18n.") :] if name.startswith("i18n.") else name
        fields[short] = FieldTerms(vector.get("terms", {}))
    return ArticleTerms(fields, key, dict(source))


# ---------------------------------------------------------------- matching

Hit = tuple[str, int, int]  # neutral field name, start offset, end offset


def _groups(article: ArticleTerms) -> list[tuple[str, str]]:
    """(analyser key, field prefix) pairs the article can be matched in."""
    out = [(NEUTRAL, "")]
    if article.key is not None:
        out.append((article.key, article.key + "."))
    return out


def _within(a: str, b: str, edits: int) -> bool:
    if abs(len(a) - len(b)) > edits:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > edits:
            return False
        previous = current
    return previous[-1] <= edits


def _leaf_hits(leaf: Mapping[str, Any], article: ArticleTerms) -> list[Hit]:
    kind = leaf["kind"]
    hits: list[Hit] = []
    for key, prefix in _groups(article):
        tokens = leaf["tokens"].get(key)
        if not tokens:  # analysed to nothing here (a stop word): not asked of this field
            continue
        for name in FIELDS:
            terms = article.fields.get(prefix + name)
            if terms is None:
                continue
            if kind in ("prefix", "fuzzy"):
                (wanted,) = tokens
                if kind == "prefix":
                    found = terms.starting_with(wanted)
                else:
                    edits = min(2, leaf.get("fuzzy") or 2)
                    found = [t for t in terms if _within(t, wanted, edits)]
                for token in found:
                    hits += [(name, s, e) for _, s, e in terms[token]]
                continue
            if any(t not in terms for t in tokens):
                continue
            if kind == "phrase" and len(tokens) > 1:
                starts = {p for p, _, _ in terms[tokens[0]]}
                for offset, token in enumerate(tokens[1:], 1):
                    starts &= {p - offset for p, _, _ in terms[token]}
                if not starts:
                    continue
                hits += [
                    (name, s, e)
                    for t in tokens
                    for p, s, e in terms[t]
                    if any(0 <= p - b < len(tokens) for b in starts)
                ]
            else:
                hits += [(name, s, e) for t in tokens for _, s, e in terms[t]]
    return hits


def evaluate(node: Mapping[str, Any] | None, article: ArticleTerms) -> list[Hit] | None:
    """The hits that make ``node`` match ``article``, or None when it does not match."""
    if node is None:
        return []
    kind = node["kind"]
    if kind == "not":
        return None if evaluate(node["child"], article) is not None else []
    if kind == "all":
        hits: list[Hit] = []
        for child in node["children"]:
            found = evaluate(child, article)
            if found is None:
                return None
            hits += found
        return hits
    if kind == "any":
        results = [evaluate(child, article) for child in node["children"]]
        matched = [r for r in results if r is not None]
        return [h for r in matched for h in r] if matched else None
    if not any(node["tokens"].values()):  # only stop words: Elasticsearch drops it
        return []
    hits = _leaf_hits(node, article)
    return hits or None


def highlighted_words(hits: Iterable[Hit], source: Mapping[str, str]) -> list[str]:
    """The words of the article that made it match, as written, first seen first."""
    words: dict[str, str] = {}
    for name, start, end in sorted(hits, key=lambda h: (h[0] != "title", h[1])):
        text = source.get(name, "")
        if 0 <= start < end <= len(text):
            words.setdefault(text[start:end].lower(), text[start:end])
    return list(words.values())


def matches(node: Mapping[str, Any] | None, article: ArticleTerms) -> list[str] | None:
    """The highlighted words when ``node`` matches ``article``, else None."""
    hits = evaluate(node, article)
    if hits is None:
        return None
    return highlighted_words(hits, article.source)


# ---------------------------------------------------------------- query index


#: A prefix word is indexed by this many first characters (shorter ones: always evaluated).
PREFIX_KEY = 3


def required_tokens(node: Mapping[str, Any] | None) -> set[str] | None:
    """Tokens of which a matching article has at least one; None: no such set
    (a negation, a fuzzy or short prefix word, a stop word: always evaluated).
    A prefix word stands as ``"*" + its first PREFIX_KEY characters``."""
    if node is None:
        return None
    kind = node["kind"]
    if kind == "not":
        return None
    if kind == "prefix":
        (wanted,) = node["tokens"][NEUTRAL]
        return {"*" + wanted[:PREFIX_KEY]} if len(wanted) >= PREFIX_KEY else None
    if kind == "fuzzy":
        return None
    if kind in ("word", "phrase"):
        firsts = {tokens[0] for tokens in node["tokens"].values() if tokens}
        return firsts or None
    sets = [required_tokens(child) for child in node["children"]]
    if kind == "all":
        known = [s for s in sets if s is not None]
        return min(known, key=len) if known else None
    if any(s is None for s in sets):
        return None
    return set().union(*sets)  # type: ignore[arg-type]


class QueryIndex:
    """Which of many compiled queries an article may match, by their words."""

    def __init__(self, queries: Mapping[str, Mapping[str, Any] | None]) -> None:
        self.by_token: dict[str, set[str]] = {}
        self.always: set[str] = set()
        for query_id, node in queries.items():
            tokens = required_tokens(node)
            if tokens is None:
                self.always.add(query_id)
                continue
            for token in tokens:
                self.by_token.setdefault(token, set()).add(query_id)

    def candidates(self, article: ArticleTerms) -> set[str]:
        found = set(self.always)
        by_token = self.by_token
        for token in article.vocabulary():
            for key in (token, "*" + token[:PREFIX_KEY]):
                ids = by_token.get(key)
                if ids:
                    found |= ids
        return found
