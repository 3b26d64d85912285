"""From an enriched article's actor mentions to candidate alerts (pure).

A candidate is not yet an alert: the store decides whether the story has
already alerted for that actor. The alert id is derived from the actor and
the story fingerprint, so every syndicated copy of a story and every replay
of the topic produce the same id, and the store's create-if-absent turns all
of them into one alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from contract.ids import alert_id, story_id
from contract.records import ActorMention, Alert, Article, EnrichedArticle

SNIPPET_CONTEXT = 100  # characters of text kept on each side of the match


def story_of(article: Article) -> str:
    """The story fingerprint; computed when an older producer left it empty."""
    return article.story_id or story_id(article.title, article.text)


def make_snippet(text: str, start: int, end: int, context: int = SNIPPET_CONTEXT) -> str:
    """The sentence-ish neighbourhood of a match, cut at spaces, with ellipses."""
    if not text:
        return ""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    left, right = max(0, start - context), min(len(text), end + context)
    if left > 0:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    body = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + body + ("…" if right < len(text) else "")


def iso_ms(epoch_ms: int) -> str:
    when = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def decide(
    enriched: EnrichedArticle,
    mentions: Sequence[ActorMention],
    *,
    now_ms: int,
    fallback_timestamp_ms: int = 0,
) -> list[Alert]:
    """One candidate alert per mentioned actor.

    ``latency_ms`` runs from the article's landing on the raw topic
    (``raw_timestamp_ms``); when an older producer did not record it,
    ``fallback_timestamp_ms`` (the enriched message's own timestamp) is the
    best lower bound there is.
    """
    article = enriched.article
    alerts = []
    for mention in mentions:
        source_text = article.title if mention.field == "title" else article.text
        alerts.append(
            _alert(
                enriched,
                mention.actor_id,
                mention.name,
                mention.kind,
                matched_text=mention.matched_text,
                snippet=make_snippet(source_text, mention.start, mention.end),
                now_ms=now_ms,
                fallback_timestamp_ms=fallback_timestamp_ms,
                alias=mention.alias,
                rule=mention.rule,
                entity=mention.entity,
            )
        )
    return alerts


def search_alert(
    enriched: EnrichedArticle,
    search_id: str,
    search_name: str,
    words: Sequence[str],
    *,
    now_ms: int,
    fallback_timestamp_ms: int = 0,
) -> Alert:
    """The candidate alert of a saved search that matched on ``words``.

    Its id follows from the search and the story, as an actor's does, so a
    story alerts once per saved search whatever copies and replays follow.
    """
    article = enriched.article
    first = words[0] if words else ""
    snippet = ""
    for text in (article.text, article.title):
        at = text.find(first) if first else -1
        if at >= 0:
            snippet = make_snippet(text, at, at + len(first))
            break
    else:
        snippet = make_snippet(article.text, 0, 0)
    return _alert(
        enriched,
        f"search:{search_id}",
        search_name,
        "saved-search",
        matched_text=first,
        snippet=snippet,
        now_ms=now_ms,
        fallback_timestamp_ms=fallback_timestamp_ms,
        saved_search=search_name,
        highlights=list(words),
    )


def _alert(
    enriched: EnrichedArticle,
    subject: str,
    name: str,
    kind: str,
    *,
    matched_text: str,
    snippet: str,
    now_ms: int,
    fallback_timestamp_ms: int,
    **why: Any,
) -> Alert:
    """The alert for ``subject`` (an actor id, or ``search:`` and a saved search's id) on
    the article's story, with its latency; ``why`` holds the fields that say why it fired."""
    article = enriched.article
    story = story_of(article)
    landed = enriched.raw_timestamp_ms or fallback_timestamp_ms
    return Alert(
        id=alert_id(subject, story),
        actor_id=subject,
        actor_name=name,
        actor_kind=kind,
        article_id=article.id,
        story_id=story,
        title=article.title,
        url=article.url,
        source=article.source.name,
        language=enriched.language.code,
        published=article.published,
        matched_text=matched_text,
        snippet=snippet,
        raw_timestamp_ms=landed,
        alerted_at=iso_ms(now_ms),
        latency_ms=max(0, now_ms - landed) if landed else -1,
        **why,
    )
