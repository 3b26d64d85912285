"""Which statistical model recognises names in which language, loaded lazily.

Every language with shipped weights (``weights/<lang>.crfsuite``, package
data) is read by the CRF tagger (``crf.py``); ``weights/<lang>.md`` is its
model card. Models are optional (the ``ner`` extra installs python-crfsuite):
a language whose model cannot be loaded is logged once and its articles keep
the fast path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

from processors.recognition import crf
from processors.recognition.merge import Span

log = logging.getLogger(__name__)

REGISTRY: dict[str, Path] = crf.shipped()


class Recogniser(Protocol):
    """What the stage needs of a loaded model."""

    @property
    def language(self) -> str: ...

    @property
    def source(self) -> str:
        """The ``Entity.source`` of what the model finds."""
        ...

    @property
    def version(self) -> str:
        """The ``versions["recognition"]`` of an article the model read."""
        ...

    def spans(self, texts: Sequence[str]) -> list[list[Span]]:
        """Name spans of each text, typed with the contract's types."""
        ...


_lock = threading.Lock()


@cache
def _cached(language: str) -> Recogniser | None:
    path = REGISTRY.get(language)
    if path is None:
        return None
    try:
        return crf.load(language, path)
    except (ImportError, OSError) as exc:
        log.warning(
            "recognise: no model for %r (%s cannot be loaded: %s); its articles pass through "
            "untouched. Install the ner extra to recognise them.",
            language,
            path,
            exc,
        )
        return None


def recogniser_for(language: str) -> Recogniser | None:
    """The model for ``language``, or None (unknown or not loadable: warned once)."""
    with _lock:
        return _cached(language)
