"""Enriched articles for search tests, built the way the processors would."""

from __future__ import annotations

from contract.ids import article_id, content_hash, story_id
from contract.records import (
    ActorMention,
    Article,
    EnrichedArticle,
    Entity,
    Language,
    Source,
    Topic,
    encode,
)
from tests.conftest import ROOT

SEED = ROOT / "seeds" / "000_91a08a025cc7bc70.txt"


def enriched(
    n: int = 0,
    *,
    title: str = "",
    text: str = "",
    published: str = "2019-03-12T10:00:00Z",
    language: str = "en",
    source: str = "Example News",
    topics: tuple[str, ...] = ("politics",),
    topic_words: tuple[str, ...] = (),
    entities: tuple[tuple[str, str], ...] = (),
    actors: tuple[str, ...] = (),
    url: str = "",
) -> EnrichedArticle:
    url = url or f"https://news.example.org/story/{n}"
    title = title or f"Story number {n}"
    text = text or f"Body of story number {n} about nothing in particular."
    article = Article(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        published=published,
        source=Source(
            name=source,
            feed_url=f"https://{source.lower().replace(' ', '')}.test/rss",
            feed_id=source.lower().replace(" ", "-"),
        ),
        fetched_at="2019-03-12T10:01:00.000Z",
        story_id=story_id(title, text),
        content_hash=content_hash(title, text),
    )
    return EnrichedArticle(
        article=article,
        language=Language(code=language, confidence=0.99, method="test"),
        entities=[
            Entity(id=f"{kind.lower()}:{name.lower()}", type=kind, name=name, count=1)
            for kind, name in entities
        ],
        topics=[
            Topic(
                code=f"medtop:{i:08d}",
                label=label,
                score=round(0.8 - 0.2 * i, 2),
                evidence=list(topic_words) if i == 0 else [],
                source="model" if topic_words else "",
            )
            for i, label in enumerate(topics)
        ],
        versions={"language": "test-1", "entities": "test-1", "topics": "test-1"},
        enriched_at="2019-03-12T10:01:01.000Z",
        actors=[
            ActorMention(
                actor_id=name.lower().replace(" ", "-"),
                name=name,
                kind="person",
                matched_text=name.split()[-1],
                field="text",
                start=0,
                end=1,
            )
            for name in actors
        ],
        raw_timestamp_ms=1552384860000,
    )


def dutch_seed() -> EnrichedArticle:
    """The Dutch Venezuela article of March 2019, enriched as the processors would."""
    body = SEED.read_text(encoding="utf-8").strip()
    if body.startswith("date 2019-03 "):
        body = body[len("date 2019-03 ") :]
    return enriched(
        91,
        url="https://nos.example/nieuws/maduro-roept-op-tot-verzet",
        title="Maduro roept op tot actief verzet",
        text=body,
        published="2019-03-12T08:30:00Z",
        language="nl",
        source="NOS",
        topics=("politics", "conflict, war and peace"),
        topic_words=("maduro", "regering", "oppositie"),
        entities=(
            ("PER", "Nicolás Maduro"),
            ("PER", "Juan Guaidó"),
            ("PER", "Donald Trump"),
            ("PER", "Mike Pompeo"),
            ("LOC", "Venezuela"),
            ("LOC", "Verenigde Staten"),
            ("LOC", "Caracas"),
        ),
        actors=("Nicolás Maduro", "Juan Guaidó"),
    )


def message(record: EnrichedArticle) -> bytes:
    return encode(record)
