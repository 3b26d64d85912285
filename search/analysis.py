"""Which language analysers the cluster offers, found out at start.

The full Elasticsearch distribution ships stemming analysers for some thirty
languages (module ``analysis-common``); the integration-test distribution
used by local tests has none, only ``standard`` and friends. Rather than
failing on the second or silently ignoring the first, the service asks the
cluster once and maps per-language fields only for the analysers it has,
logging the fallback to ``standard`` for the rest.
"""

from __future__ import annotations

import logging

from elasticsearch import ApiError, Elasticsearch

log = logging.getLogger(__name__)

#: ISO 639-1 code -> built-in Elasticsearch language analyser.
LANGUAGE_ANALYZERS: dict[str, str] = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "bn": "bengali", "bg": "bulgarian",
    "ca": "catalan", "cs": "czech", "da": "danish", "nl": "dutch", "en": "english",
    "et": "estonian", "fi": "finnish", "fr": "french", "gl": "galician", "de": "german",
    "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lv": "latvian", "lt": "lithuanian", "no": "norwegian", "fa": "persian",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "ckb": "sorani", "es": "spanish",
    "sv": "swedish", "tr": "turkish", "th": "thai", "zh": "cjk", "ja": "cjk", "ko": "cjk",
}

#: Probed first: if the cluster lacks this one it lacks them all (same module).
PROBE_ANALYZER = "dutch"


def _has_analyzer(client: Elasticsearch, analyzer: str) -> bool:
    try:
        client.indices.analyze(analyzer=analyzer, text="test")
    except ApiError as exc:
        if exc.status_code == 400:
            return False
        raise
    return True


def available_language_analyzers(client: Elasticsearch) -> dict[str, str]:
    """The subset of :data:`LANGUAGE_ANALYZERS` this cluster can use."""
    if not _has_analyzer(client, PROBE_ANALYZER):
        log.warning(
            "Elasticsearch has no language analysers (analysis-common module missing): "
            "title and text are analysed with 'standard' for every language"
        )
        return {}
    found: dict[str, str] = {}
    checked: dict[str, bool] = {}
    for code, analyzer in LANGUAGE_ANALYZERS.items():
        if analyzer not in checked:
            checked[analyzer] = _has_analyzer(client, analyzer)
        if checked[analyzer]:
            found[code] = analyzer
    missing = sorted(set(LANGUAGE_ANALYZERS) - set(found))
    if missing:
        log.warning("no analyser for %s: falling back to 'standard'", ", ".join(missing))
    log.info("language analysers available for %d languages", len(found))
    return found
