"""The live status line of `newsstream run`, as a person reads it."""

from __future__ import annotations

from newsstream.pipeline_status import PipelineStatus


def test_the_line_counts_recognised_articles_only_when_a_recogniser_runs():
    status = PipelineStatus(feeds_polled=7, published=19, enriched=19, indexed=19, alerts=25, lag=0)
    assert status.line() == (
        "feeds polled 7 · new articles 19 · enriched 19 · indexed 19 · alerts 25 · lag 0"
    )
    with_models = PipelineStatus(
        feeds_polled=7, published=19, enriched=19, indexed=19, alerts=25, lag=None, recognised=12
    )
    assert with_models.line() == (
        "feeds polled 7 · new articles 19 · enriched 19 · "
        "indexed 19 · recognised 12 · alerts 25 · lag ?"
    )
