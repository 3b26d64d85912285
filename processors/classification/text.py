"""The model's input: folded headline and lead, the same at training and at run time.

Folding (casefold, no accents, punctuation as spaces) is the enrichment's
shared text form, cached per article, so the classifier adds no second pass
over the text. The headline is given twice: it says the most per word.
"""

from __future__ import annotations

from contract.text import fold_text

# The lead decides the topic: at run time the first 1,000 characters (the model's
# cost grows with the text, its accuracy on dev hardly does past them); training
# reads a longer lead so that more of each article's words get weights.
MAX_CHARS = 1000
TRAIN_CHARS = 2000


def model_input(title: str, text: str, limit: int = MAX_CHARS) -> str:
    """Folded ``title`` (twice) and the first ``limit`` characters of folded ``text``."""
    head = fold_text(title).folded if title else ""
    body = fold_text(text).folded[:limit] if text else ""
    return f"{head} {head} {body}".replace("\n", " ")
