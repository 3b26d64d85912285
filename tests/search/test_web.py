"""The web pages against the real Elasticsearch, as HTML a browser would get."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings
from ingest.state import FeedState, State
from processors.alerts.store import ALERTS_MAPPING
from search.api import create_api
from search.bulk_indexer import BulkIndexer
from search.index_template import delete_index_layout
from search.provision import provision
from tests.search.factories import enriched


@pytest.fixture(scope="module")
def web(es_client, corpus, tmp_path_factory):
    settings, _ = corpus
    data = tmp_path_factory.mktemp("poller")
    settings = Settings.from_env(index_articles=settings.index_articles, data_dir=str(data))
    with TestClient(
        base_url="http://localhost", app=create_api(settings, client=es_client)
    ) as client:
        yield client, settings


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_search_page_shows_highlighted_results_facets_and_a_histogram(web):
    client, _ = web
    page = client.get("/", params={"q": "Maduro"})
    assert page.status_code == 200
    html = page.text
    assert "<em>Maduro</em>" in html
    assert "2 stories (2 articles)" in _text(html)
    assert 'data-facet="language"' in html and 'class="bar"' in html
    assert re.search(r'href="/\?q=Maduro&amp;lang=nl">nl</a> <span class="count">1<', html)


def test_filters_show_as_removable_chips_and_narrow_the_results(web):
    client, _ = web
    html = client.get("/", params={"q": "Maduro", "lang": "nl"}).text
    assert "1 story (1 article)" in _text(html)
    assert 'class="chip" href="/?q=Maduro"' in html


def test_result_links_to_an_article_page_with_entities_marked_and_linked(web, corpus):
    client, _ = web
    _, records = corpus
    seed = records[0]
    html = client.get("/", params={"q": "stroompanne"}).text
    assert f'href="/article/{seed.id}"' in html
    article = client.get(f"/article/{seed.id}").text
    assert "Maduro roept op tot actief verzet" in _text(article)
    assert re.search(r'class="mark mark-actor" href="/\?actor=[^"]+"[^>]*>Maduro</a>', article)
    assert 'class="mark mark-location" href="/?entity=Caracas"' in article
    assert "published" in article and "2019-03-12 08:30" in article
    assert "topic words maduro, regering, oppositie" in _text(article)
    assert "politics 80 %" in _text(article)
    assert client.get("/article/no-such-article").status_code == 404


def test_the_article_page_marks_a_name_written_with_a_soft_hyphen(es_client, settings):
    # Scraped text hides soft hyphens inside words; the enrichment found the name.
    record = enriched(
        7,
        title="Ma\u00adduro speaks",
        text="President Nicolás Ma\u00adduro spoke in Caracas.",
        entities=(("PER", "Nicolás Maduro"), ("LOC", "Caracas")),
    )
    config = provision(es_client, settings)
    try:
        BulkIndexer(es_client, config).index([(record.id, record)])
        es_client.indices.refresh(index=config.layout.alias)
        with TestClient(
            create_api(settings, client=es_client), base_url="http://localhost"
        ) as client:
            article = client.get(f"/article/{record.id}").text
        assert re.search(
            r'class="mark mark-person" href="/\?entity=Nicol%C3%A1s\+Maduro"[^>]*>'
            "Nicolás Ma\u00adduro</a>",
            article,
        )
        assert re.search(r'class="mark mark-person"[^>]*>Ma\u00adduro</a> speaks', article)
    finally:
        delete_index_layout(es_client, config.layout)


def test_paging_moves_through_every_article(web, corpus):
    client, _ = web
    _, records = corpus
    from search.web import pages

    size, pages.PAGE_SIZE = pages.PAGE_SIZE, 2
    try:
        seen, url = [], "/"
        while url:
            html = client.get(url).text
            seen += re.findall(r'href="/article/([0-9a-f]+)"', html)
            found = re.search(r'rel="next" href="([^"]+)"', html)
            url = found.group(1).replace("&amp;", "&") if found else ""
    finally:
        pages.PAGE_SIZE = size
    assert sorted(seen) == sorted(r.id for r in records)


def test_bad_input_is_a_400_page_that_says_why(web):
    client, _ = web
    page = client.get("/", params={"since": "99999999d"})
    assert page.status_code == 400 and "out of range" in page.text
    page = client.get("/", params={"q": "|".join(f"w{i}" for i in range(200))})
    assert page.status_code == 400 and "200 terms, at most 64" in page.text


def test_feeds_page_joins_the_poller_state_with_what_was_indexed(web):
    client, settings = web
    state = State.open(settings.data_path)
    now = time.time()
    state.save_feed(
        FeedState(
            url="https://reuters.test/rss",
            title="Reuters",
            last_poll=now - 60,
            last_result="ok",
            last_status=200,
            next_poll=now + 240,
        )
    )
    state.save_feed(
        FeedState(
            url="https://broken.test/rss",
            title="Broken",
            last_poll=now - 60,
            last_result="error:http",
            last_error="HTTP 500",
            error_streak=3,
        )
    )
    state.close()
    html = client.get("/feeds").text
    rows = {
        url: status
        for status, url in re.findall(r'<tr class="feed status-(\w+)" data-url="([^"]+)"', html)
    }
    assert rows["https://broken.test/rss"] == "failing"
    # Reuters' newest article is from 2019, one every few weeks before: silent.
    assert rows["https://reuters.test/rss"] == "silent"
    assert "no new article for" in html and "HTTP 500" in html


def test_api_docs_load_their_scripts_from_this_server(web):
    client, _ = web
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        scripts = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
        assert scripts, page
        for url in scripts:
            assert url.startswith("/"), f"{page} loads {url} from elsewhere"
            assert client.get(url).status_code == 200
        assert "fonts.googleapis" not in html and "cdn." not in html


def test_nonsense_in_any_parameter_is_never_a_server_error(web):
    client, _ = web
    for params in (
        {"page": "x", "cursor": "abc"},
        {"cursor": "@@@"},
        {"sort": "oldest"},
        {"until": "yesterday"},
        {"lang": "x" * 500},
    ):
        assert client.get("/", params=params).status_code == 400, params
    assert client.get("/watch", params={"since": "soon"}).status_code == 400
    assert client.get("/article/" + "x" * 5000).status_code == 404


def test_a_histogram_bar_narrows_the_search_to_its_time(web):
    client, _ = web
    html = client.get(
        "/", params={"q": "Maduro", "since": "2019-03-01", "until": "2019-03-31"}
    ).text
    bars = re.findall(r'<a class="bar" href="([^"]+)"[^>]*title="2019-03-12 00:00: 1"', html)
    assert bars, "the 12 March bar links somewhere"
    narrowed = client.get(bars[0].replace("&amp;", "&")).text
    assert "since: 2019-03-12T00:00:00Z" in narrowed and "1 story (1 article)" in _text(narrowed)


def test_the_alerts_page_shows_where_a_story_was_first_seen_and_its_copies(
    es_client, corpus, tmp_path
):
    settings, _ = corpus
    index = f"test-alerts-{uuid.uuid4().hex[:8]}"
    es_client.indices.create(index=index, mappings=ALERTS_MAPPING)
    try:
        es_client.index(
            index=index,
            id="a1",
            refresh="wait_for",
            document={
                "id": "a1",
                "actor_id": "nicolas-maduro",
                "actor_name": "Nicolás Maduro",
                "title": "Maduro roept op tot actief verzet",
                "source": "site0.example",
                "sources": ["site0.example", "site1.example", "site2.example"],
                "copies": 3,
                "language": "nl",
                "matched_text": "Maduro",
                "snippet": "… Maduro …",
                "alerted_at": "2019-03-12T08:31:00Z",
                "state": "sent",
            },
        )
        local = Settings.from_env(
            index_articles=settings.index_articles, index_alerts=index, data_dir=str(tmp_path)
        )
        with TestClient(
            base_url="http://localhost", app=create_api(local, client=es_client)
        ) as client:
            text = _text(client.get("/watch").text)
    finally:
        es_client.indices.delete(index=index)
    assert "first at site0.example, 3 copies (also site1.example, site2.example)" in text
