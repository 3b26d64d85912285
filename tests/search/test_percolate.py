"""Parsing saved queries and matching them against an article's tokens (no server)."""

from __future__ import annotations

import re

import pytest

from search.percolate import (
    All,
    Any_,
    ArticleTerms,
    Not,
    Phrase,
    QueryIndex,
    QuerySyntaxError,
    Word,
    article_terms,
    compile_query,
    matches,
    parse,
    word_operators,
)


def test_operators_are_left_associative_as_in_simple_query_string():
    assert parse("a b | c") == Any_((All((Word("a"), Word("b"))), Word("c")))
    assert parse("a | b c") == All((Any_((Word("a"), Word("b"))), Word("c")))
    assert parse('a -"b c" (d | e*)') == All(
        (Word("a"), Not(Phrase("b c")), Any_((Word("d"), Word("e", prefix=True))))
    )
    assert parse("maduro~1") == Word("maduro", fuzzy=1)


def test_words_in_capitals_are_operators_but_not_inside_quotes():
    assert word_operators('a OR b AND NOT c "x OR y"') == 'a | b + -c "x OR y"'
    assert parse("a OR b") == Any_((Word("a"), Word("b")))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"power cut', "quote is not closed"),
        ("(a | b", "parenthesis ( is not closed"),
        ("a )", "closing parenthesis"),
        ("a |", "ends with an operator"),
        ("| a", "needs a word on each side"),
        ("a ()", "empty parentheses"),
        ('""', "empty phrase"),
    ],
)
def test_unreadable_queries_are_refused_with_the_reason(query, message):
    with pytest.raises(QuerySyntaxError, match=re.escape(message)):
        parse(query)


def lowercase(texts):
    """A stand-in analyser: neutral fields lowercase, Spanish strips a plural -es."""
    neutral = [t.lower().split() for t in texts]
    spanish = [[w[:-2] if w.endswith("es") else w for w in t] for t in neutral]
    return {"": neutral, "es": spanish}


def article(title: str, text: str, key: str | None = "es") -> ArticleTerms:
    """Term vectors as ``_termvectors`` gives them: lowercase words, no stemming."""
    vectors: dict[str, dict] = {}
    for name, value in (("title", title), ("text", text)):
        at = 0
        for position, word in enumerate(value.split()):
            start = value.index(word, at)
            at = start + len(word)
            token = word.lower().strip(".,")
            place = {"position": position, "start_offset": start, "end_offset": start + len(token)}
            for field in (name, f"i18n.{key}.{name}") if key else (name,):
                terms = vectors.setdefault(field, {"terms": {}})["terms"]
                terms.setdefault(token, {"tokens": []})["tokens"].append(place)
    return article_terms(vectors, key, {"title": title, "text": text})


def compiled(query: str):
    return compile_query(parse(query), lowercase)


def test_a_word_matches_in_the_neutral_fields_or_the_language_copy():
    spanish = article("Gran apagon en Caracas", "Maduro habla.")
    assert matches(compiled("apagones"), spanish) == ["apagon"]
    assert matches(compiled("apagones"), article("Gran apagon", "", key=None)) is None
    assert matches(compiled("Maduro -Guaido"), spanish) == ["Maduro"]
    assert matches(compiled("Maduro -Caracas"), spanish) is None


def test_phrases_need_their_words_in_order_and_side_by_side():
    text = article("", "the power grid failed, grid power back")
    assert matches(compiled('"power grid"'), text) == ["power", "grid"]
    assert matches(compiled('"grid failed power"'), text) is None


def test_prefix_and_fuzzy_words():
    text = article("Stromausfall", "")
    assert matches(compiled("strom*"), text) == ["Stromausfall"]
    assert matches(compiled("stromausfal~1"), text) == ["Stromausfall"]
    assert matches(compiled("stram~1"), text) is None


def test_the_query_index_picks_only_queries_that_can_match():
    queries = {
        "cuts": compiled("apagones | blackout"),
        "sport": compiled("football goal"),
        "negated": compiled("-football"),
    }
    index = QueryIndex(queries)
    found = index.candidates(article("Gran apagon", ""))
    assert found == {"cuts", "negated"}
    prefixed = QueryIndex({"strom": compiled("strom*"), "st": compiled("st*")})
    assert prefixed.candidates(article("Stromausfall", "")) == {"strom", "st"}
    assert prefixed.candidates(article("Stau", "")) == {"st"}
