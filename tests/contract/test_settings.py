import pytest

from contract.errors import ConfigError
from contract.settings import Settings


def test_defaults_point_at_the_local_stack():
    s = Settings.from_env({})
    assert s.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert s.es_url == "http://127.0.0.1:9200"
    assert s.topic_raw == "news.articles.raw"
    assert s.data_dir.endswith("newsstream")


def test_values_come_from_prefixed_variables():
    s = Settings.from_env(
        {
            "NEWSSTREAM_TOPIC_PARTITIONS": "12",
            "NEWSSTREAM_ALLOW_PRIVATE_NETWORKS": "yes",
            "NEWSSTREAM_DATA_DIR": "/srv/news",
            "NEWSSTREAM_WEBHOOK_URLS": "http://a/hook, http://b/hook",
            "UNRELATED": "x",
        }
    )
    assert s.topic_partitions == 12
    assert s.allow_private_networks is True
    assert s.data_dir == "/srv/news"
    assert s.webhook_url_list == ["http://a/hook", "http://b/hook"]


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("NEWSSTREAM_TOPIC_PARTITIONS", "six"),
        ("NEWSSTREAM_TOPIC_PARTITIONS", "0"),
        ("NEWSSTREAM_ALLOW_PRIVATE_NETWORKS", "maybe"),
        ("NEWSSTREAM_HTTP_READ_TIMEOUT", "fast"),
        ("NEWSSTREAM_WEBHOOK_FORMAT", "xml"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_variable(var, value):
    with pytest.raises(ConfigError, match=var):
        Settings.from_env({var: value})
