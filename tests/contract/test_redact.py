"""Secrets print masked: URLs cut to scheme and host, keys as stars."""

from __future__ import annotations

import pytest

from contract.redact import Secret, redact_url, redact_urls, scrub
from contract.settings import Settings


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example/services/T00/B00/XXXX", "https://hooks.example/…"),
        ("https://user:pw@hooks.example", "https://hooks.example/…"),
        ("https://hooks.example/?token=abc", "https://hooks.example/…"),
        ("http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/…"),
        ("https://hooks.example", "https://hooks.example"),
        ("https://hooks.example/", "https://hooks.example"),
        ("http://[::1]:9000/x", "http://[::1]:9000/…"),
        ("not a url", "…"),
        ("", ""),
    ],
)
def test_a_url_shows_only_its_scheme_and_host(url, shown):
    assert redact_url(url) == shown


def test_every_url_in_a_text_is_cut_and_named_secrets_are_scrubbed():
    text = "POST https://hooks.example/services/T0KEN failed: 'see https://x.example/a?k=1'"
    assert redact_urls(text) == "POST https://hooks.example/… failed: 'see https://x.example/…'"
    assert scrub("key sekrit1 refused", ["sekrit1"]) == "key *** refused"


def test_secret_settings_print_masked_and_reveal_on_request():
    settings = Settings.from_env(
        {
            "NEWSSTREAM_WEBHOOK_URLS": "https://hooks.example/T0KEN,http://h2.example:81/x/T0KEN2",
            "NEWSSTREAM_API_KEYS": "k1,k2",
            "NEWSSTREAM_ES_PASSWORD": "pw",
        }
    )
    assert str(settings.webhook_urls) == "https://hooks.example/…,http://h2.example:81/…"
    assert (
        "T0KEN" not in repr(settings) and "k1" not in repr(settings) and "pw" not in str(settings)
    )
    assert settings.webhook_url_list == [
        "https://hooks.example/T0KEN",
        "http://h2.example:81/x/T0KEN2",
    ]
    assert settings.api_key_list == ["k1", "k2"] and settings.es_password.reveal() == "pw"
    assert isinstance(Settings(api_keys="k").api_keys, Secret)  # plain strings are wrapped
    assert not Settings().webhook_urls and Settings().webhook_url_list == []


def test_a_secret_handed_to_a_logger_is_scrubbed_from_the_record(caplog):
    import logging

    from contract.redact import scrub_logs

    factory = logging.getLogRecordFactory()
    scrub_logs(["https://hooks.example/T0KEN", "k3y"])
    try:
        logging.getLogger("some.library").warning(
            "POST %s with %s", "https://hooks.example/T0KEN", "k3y"
        )
    finally:
        logging.setLogRecordFactory(factory)
    (record,) = caplog.records
    assert record.getMessage() == "POST https://hooks.example/… with ***"
