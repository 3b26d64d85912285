"""Is this article new, an update, or a duplicate? One pure decision.

An article is known once it is pending publication or has been published.
For a known id:

* same content (``content_hash``) -> ``duplicate``: nothing is published.
* changed content from the feed that published it -> ``updated``: it is
  republished with the same key, so consumers that upsert by id (the index)
  replace their copy and nothing downstream counts it twice.
* changed content from another feed carrying the same URL -> ``updated``
  only if its text is fuller (longer) than the known copy, which then
  becomes the owner; otherwise ``duplicate``. This keeps a feed that carries
  only a summary of someone else's story from overwriting the full text,
  and stops two feeds from flip-flopping an article every cycle.

The edge of the retention window: a changed or unknown article dated before
the window (``published`` earlier than ``cutoff``) is ``expired`` and not
published; the index would delete it anyway. Because of this rule the ids
of articles older than the window can be forgotten: a feed that still
carries such an old item cannot make it new again. Undated articles carry
the time they were fetched, so they are never expired; their ids are kept
while a feed still carries them (see ``ingest/state.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Disposition = Literal["new", "updated", "duplicate", "expired"]


@dataclass(frozen=True)
class Known:
    """What the state remembers about an id."""

    content_hash: str
    feed_url: str
    text_len: int


def decide(
    known: Known | None,
    *,
    content_hash: str,
    feed_url: str,
    text_len: int,
    published: float | None = None,
    cutoff: float | None = None,
) -> Disposition:
    if known is not None and known.content_hash == content_hash:
        return "duplicate"
    if published is not None and cutoff is not None and published < cutoff:
        return "expired"
    if known is None:
        return "new"
    if known.feed_url == feed_url or text_len > known.text_len:
        return "updated"
    return "duplicate"
