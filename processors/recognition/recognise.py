"""What the stage does with enriched articles, without Kafka: plain functions.

``select`` decides whether an article is for this stage (not already
recognised, a model installed for its language); ``recognise`` runs one model
over a batch and merges its names in. The Faust agent and the benchmark both
call these.
"""

from __future__ import annotations

from collections.abc import Sequence

from newsstream.contract.records import EnrichedArticle
from processors.recognition.merge import merge
from processors.recognition.models import Recogniser, recogniser_for

VERSION_KEY = "recognition"


def select(enriched: EnrichedArticle) -> Recogniser | None:
    """The model to run on ``enriched``, or None to leave it alone.

    An article that already has a recognition version is this stage's own
    output coming round again on the enriched topic: skipping it is what
    keeps the stage from looping.
    """
    if VERSION_KEY in enriched.versions:
        return None
    return recogniser_for(enriched.language.code)


def recognise(recogniser: Recogniser, batch: Sequence[EnrichedArticle]) -> list[EnrichedArticle]:
    """Each article of ``batch`` with the model's names merged in (CPU-bound)."""
    texts = []
    for enriched in batch:
        texts += [enriched.article.title, enriched.article.text]
    spans = recogniser.spans(texts)
    return [
        merge(
            enriched, {"title": spans[2 * i], "text": spans[2 * i + 1]},
            source=recogniser.source, version=recogniser.version,
        )
        for i, enriched in enumerate(batch)
    ]
