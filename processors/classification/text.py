"""The model's input: folded headline and lead, the same at training and at run time.

Folding (casefold, no accents, punctuation as spaces) is the enrichment's
shared text form, cached per article, so the classifier adds no second pass
over the text. The headline is given twice: it says the most per word.
"""

from __future__ import annotations

from processors.enrichment.textmatch import fold_text

MAX_CHARS = 2000  # the lead decides the topic; past it the cost grows and the signal does not


def model_input(title: str, text: str) -> str:
    """Folded ``title`` (twice) and the first :data:`MAX_CHARS` of folded ``text``."""
    head = fold_text(title).folded if title else ""
    body = fold_text(text).folded[:MAX_CHARS] if text else ""
    return f"{head} {head} {body}".replace("\n", " ")
