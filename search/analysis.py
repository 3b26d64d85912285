"""Which language analysers the cluster offers, found out once at start.

Three kinds of cluster exist, and the same mapping layout serves all three:

- the local stack (``deploy/stack``, the integration-test distribution) has no
  ``analysis-common`` module, but ``deploy/stack`` installs the
  ``newsstream-analysis`` plugin (``deploy/es-analysis-plugin``), whose
  analysers are called ``newsstream_dutch``, ``newsstream_english``, ... and
  ``newsstream_folding`` for every other language;
- the full distribution (Docker, a managed cluster) has Elasticsearch's
  built-in ``dutch``, ``english``, ... for some thirty languages; articles in
  other languages are searched through the neutral fields only;
- a cluster with neither: everything is analysed with ``standard``.

The service asks the cluster (``_analyze`` with a probe analyser), logs which
kind it found, and maps ``i18n.<code>`` copies of title and text only for the
analysers that exist. ``i18n.other`` holds the copy of articles in languages
without an analyser of their own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from elasticsearch import ApiError, Elasticsearch

log = logging.getLogger(__name__)

#: The ``i18n`` key for articles whose language has no analyser of its own.
OTHER = "other"

#: ISO 639-1 code -> analyser of the ``newsstream-analysis`` plugin.
PLUGIN_ANALYZERS: dict[str, str] = {
    "nl": "newsstream_dutch",
    "en": "newsstream_english",
    "de": "newsstream_german",
    "fr": "newsstream_french",
    "es": "newsstream_spanish",
    "it": "newsstream_italian",
    "pt": "newsstream_portuguese",
    "sv": "newsstream_swedish",
    "da": "newsstream_danish",
}
PLUGIN_FOLDING = "newsstream_folding"
#: Index-time variants that also index the parts of compounds ("verkiezing" in
#: "gemeenteraadsverkiezingen"); queries use the plain analyser, never split.
PLUGIN_INDEX_ANALYZERS: dict[str, str] = {
    "nl": "newsstream_dutch_index",
    "de": "newsstream_german_index",
}

#: ISO 639-1 code -> built-in Elasticsearch language analyser (full distribution).
LANGUAGE_ANALYZERS: dict[str, str] = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "bn": "bengali",
    "bg": "bulgarian",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "gl": "galician",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lv": "latvian",
    "lt": "lithuanian",
    "no": "norwegian",
    "fa": "persian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "ckb": "sorani",
    "es": "spanish",
    "sv": "swedish",
    "tr": "turkish",
    "th": "thai",
    "zh": "cjk",
    "ja": "cjk",
    "ko": "cjk",
}
#: Every ``i18n`` key a mapping can have (for highlighting, which needs names).
ALL_KEYS: tuple[str, ...] = tuple(sorted({*LANGUAGE_ANALYZERS, *PLUGIN_ANALYZERS, OTHER}))

PLUGIN, BUILTIN, STANDARD = "plugin", "built-in", "standard"


@dataclass(frozen=True)
class LanguageAnalysis:
    """What the cluster offers: ``i18n`` key -> analyser (for queries, and for
    indexing unless ``index_analyzers`` names another for that key)."""

    kind: str = STANDARD
    analyzers: dict[str, str] = field(default_factory=dict)
    index_analyzers: dict[str, str] = field(default_factory=dict)

    @property
    def keys(self) -> frozenset[str]:
        """Language codes (and :data:`OTHER`) that get an ``i18n`` copy."""
        return frozenset(self.analyzers)

    def describe(self) -> str:
        if self.kind == STANDARD:
            return "standard analyser only"
        languages = ", ".join(sorted(k for k in self.analyzers if k != OTHER))
        folding = OTHER in self.analyzers and f"; {self.analyzers[OTHER]} for other languages"
        split = ", ".join(sorted(self.index_analyzers))
        compounds = f"; compounds split for {split}" if split else ""
        return f"{self.kind} analysers for {languages}{folding or ''}{compounds}"


def has_analyzer(client: Elasticsearch, analyzer: str) -> bool:
    """True when ``_analyze`` knows ``analyzer`` (a 400 means it does not)."""
    try:
        client.indices.analyze(analyzer=analyzer, text="test")
    except ApiError as exc:
        if exc.status_code == 400:
            return False
        raise
    return True


def _available(client: Elasticsearch, wanted: dict[str, str]) -> dict[str, str]:
    checked: dict[str, bool] = {}
    found: dict[str, str] = {}
    for code, analyzer in wanted.items():
        if analyzer not in checked:
            checked[analyzer] = has_analyzer(client, analyzer)
        if checked[analyzer]:
            found[code] = analyzer
    return found


def detect_language_analysis(client: Elasticsearch) -> LanguageAnalysis:
    """Ask the cluster which analysers it has; log the answer (once per start)."""
    plugin = has_analyzer(client, PLUGIN_ANALYZERS["nl"])
    builtin = has_analyzer(client, LANGUAGE_ANALYZERS["nl"])
    if not plugin and not builtin:
        log.warning(
            "Elasticsearch has neither the newsstream-analysis plugin nor built-in language "
            "analysers (analysis-common): title and text are analysed with 'standard' for "
            "every language; deploy/stack installs the plugin"
        )
        return LanguageAnalysis()
    analyzers: dict[str, str] = {}
    index_analyzers: dict[str, str] = {}
    if builtin:
        analyzers.update(_available(client, LANGUAGE_ANALYZERS))
    if plugin:  # preferred where both exist: its Dutch handles more plurals
        analyzers.update(_available(client, {**PLUGIN_ANALYZERS, OTHER: PLUGIN_FOLDING}))
        index_analyzers = {
            code: name
            for code, name in _available(client, PLUGIN_INDEX_ANALYZERS).items()
            if analyzers.get(code) == PLUGIN_ANALYZERS[code]
        }
    analysis = LanguageAnalysis(PLUGIN if plugin else BUILTIN, analyzers, index_analyzers)
    log.info("language analysis: %s", analysis.describe())
    return analysis
