"""Markup in an article is text on every page: titles, bodies, highlights, marks."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings
from search.api import create_api
from search.bulk_indexer import BulkIndexer
from search.index_template import delete_index_layout
from search.provision import provision
from search.web.pages import _highlight
from tests.search.factories import enriched

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
BREAK = '"><b>bold</b>'
RAW = (SCRIPT, IMG, BREAK, "<b>", "<img")


@pytest.fixture(scope="module")
def hostile(es_client):
    settings = Settings.from_env(index_articles=f"t{uuid.uuid4().hex[:10]}-news-articles")
    config = provision(es_client, settings)
    article = enriched(
        1,
        title=f"Zanzibar {SCRIPT} {BREAK}",
        text=f"Zanzibar harbour {IMG} opened. {SCRIPT} Zanzibar {BREAK} again.",
        entities=(("LOC", "Zanzibar"),),
    )
    BulkIndexer(es_client, config).index([(article.id, article)])
    es_client.indices.refresh(index=config.layout.alias)
    with TestClient(create_api(settings, client=es_client), base_url="http://localhost") as client:
        yield client, article
    delete_index_layout(es_client, config.layout)


def test_the_search_page_shows_markup_as_text_with_highlights_kept(hostile):
    client, _ = hostile
    html = client.get("/", params={"q": "Zanzibar"}).text
    assert "<em>Zanzibar</em>" in html  # the highlight, still marked
    for raw in RAW:
        assert raw not in html, raw
    assert "&lt;script&gt;" in html and "&lt;img" in html and "&lt;b&gt;" in html


def test_the_article_page_shows_markup_as_text_with_entities_marked(hostile):
    client, article = hostile
    html = client.get(f"/article/{article.id}").text
    assert "mark-location" in html  # the entity is still a link
    for raw in RAW:
        assert raw not in html, raw
    assert "&lt;script&gt;" in html and "&lt;img" in html


def test_a_fragment_that_came_unescaped_keeps_only_its_em_marks():
    shown = str(_highlight(f"<em>Zanzibar</em> {SCRIPT} {IMG}"))
    assert shown.startswith("<em>Zanzibar</em> ")
    assert "<script" not in shown and "<img" not in shown
