import pytest

from contract.ids import alert_id, article_id, canonical_url, fold, story_id


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.nos.nl/artikel/123?utm_source=rss&utm_medium=feed",
            "https://nos.nl/artikel/123",
        ),
        ("http://nos.nl/artikel/123/#comments", "https://nos.nl/artikel/123"),
        ("https://NOS.nl:443/a?b=2&a=1&fbclid=x", "https://nos.nl/a?a=1&b=2"),
        ("https://example.org:8080/a?id=7", "https://example.org:8080/a?id=7"),
    ],
)
def test_canonical_url_drops_tracking_and_noise(url, expected):
    assert canonical_url(url) == expected


def test_tracking_variants_of_one_story_share_an_article_id():
    a = article_id("https://nos.nl/artikel/123?utm_source=rss")
    b = article_id("http://www.nos.nl/artikel/123#top")
    assert a == b
    assert a != article_id("https://nos.nl/artikel/124")


def test_article_without_link_falls_back_to_guid_scoped_by_feed():
    a = article_id(None, "tag:nos.nl,2019:123", "https://nos.nl/feed")
    assert a == article_id("", "tag:nos.nl,2019:123", "https://nos.nl/feed")
    assert a != article_id(None, "tag:nos.nl,2019:123", "https://other.example/feed")
    with pytest.raises(ValueError):
        article_id(None, None)


def test_fold_removes_case_and_accents():
    assert fold("Guaidó") == fold("GUAIDO") == "guaido"


def test_syndicated_copies_share_a_story_id_but_other_stories_do_not():
    text = "Maduro zei dat de stroompanne een cyberaanval was."
    assert story_id("Maduro: 'Actief verzet'", text) == story_id("maduro actief verzet", text + " ")
    assert story_id("Maduro: 'Actief verzet'", text) != story_id("Guaidó spreekt", text)


def test_copies_on_other_sites_share_a_story_id_despite_their_trimmings():
    text = "De regering van Venezuela sluit de grens met Colombia, zegt Maduro."
    one = story_id("Maduro sluit grens met Colombia", text)
    assert story_id("Maduro sluit grens met Colombia - NU.nl", text) == one
    assert story_id("Maduro sluit grens met Colombia | De Dagkoerier", text) == one
    assert story_id("Maduro sluit grens met Colombia", "CARACAS (ANP) - " + text) == one
    assert story_id("Maduro sluit grens met Colombia", "CARACAS \u2014 " + text) == one
    assert story_id("Maduro sluit grens", text) != one
    assert story_id("Maduro - dag 2", text) != story_id("Maduro - dag 3", text)


def test_alert_id_is_deterministic_per_actor_and_story():
    assert alert_id("maduro", "s1") == alert_id("maduro", "s1")
    assert alert_id("maduro", "s1") != alert_id("guaido", "s1")
