"""The enrich stage without Kafka: in-memory channels as its topics."""

from __future__ import annotations

import asyncio
import json

from contract.records import decode_enriched, encode
from processors import stage
from processors.app import create_app
from processors.enrichment import agents
from processors.enrichment.samples import make_article
from processors.topics import ProcessorTopics


class Recorder:
    """Stands in for an output topic: keeps what the stage sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes | None, bytes]] = []

    async def send(self, *, key: bytes | None = None, value: bytes) -> None:
        self.sent.append((key, value))


async def test_failures_are_parked_and_the_stream_goes_on(settings, monkeypatch):
    app = create_app(settings)
    app.finalize()
    app.flow_control.resume()
    topics = ProcessorTopics(
        raw=app.channel(), enriched=Recorder(), alerts=Recorder(), deadletter=Recorder()
    )
    agent = agents.register(app, topics, settings)
    real_enrich = agents.enrich

    def crashes_on_boom(article, **kwargs):
        if article.title == "boom":
            raise RuntimeError("enrichment exploded")
        return real_enrich(article, **kwargs)

    monkeypatch.setattr(agents, "enrich", crashes_on_boom)
    parked_before = stage.PARKED_BY_ERROR.labels("enrich", "RuntimeError")._value.get()
    good = make_article("Maduro spreekt", "Nicolas Maduro sprak in Caracas.")
    async with agent.test_context() as ctx:
        await ctx.put(encode(make_article("boom", "x", url="https://example.org/boom")))
        await ctx.put(b"\x00not json")
        await ctx.put(encode(good))
        # The harness works in batches: wait until all three are disposed of.
        for _ in range(200):
            if len(topics.deadletter.sent) + len(topics.enriched.sent) >= 3:
                break
            await asyncio.sleep(0.05)

    letters = [json.loads(value) for _, value in topics.deadletter.sent]
    assert [d["error_type"] for d in letters] == ["RuntimeError", "InvalidMessage"]
    assert letters[0]["error"] == "enrichment exploded"
    assert json.loads(letters[0]["original"])["title"] == "boom"
    assert all(d["stage"] == "enrich" for d in letters)
    [(key, value)] = topics.enriched.sent
    result = decode_enriched(value)
    assert key == good.id.encode() and result.id == good.id
    assert "Nicolás Maduro" in {e.name for e in result.entities}
    assert stage.PARKED_BY_ERROR.labels("enrich", "RuntimeError")._value.get() == (
        parked_before + 1
    )
