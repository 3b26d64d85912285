"""Retention deletes whole months that are out of the window, with a grace period."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from search.layout import IndexLayout
from search.retention import expired_indices, month_end

NOW = datetime(2026, 11, 27, tzinfo=UTC)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
TODAY = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.mark.parametrize(
    ("index", "created", "expired"),
    [
        ("news-articles-2026.11", LONG_AGO, False),  # current month
        ("news-articles-2026.08", LONG_AGO, False),  # ends Sep 1, inside 90 days
        ("news-articles-2026.07", LONG_AGO, True),  # ended Aug 1, more than 90 days ago
        ("news-articles-2019.03", TODAY, False),  # old month re-created today: grace
        ("news-articles-2019.03", LONG_AGO, True),
        ("news-alerts-2019.03", LONG_AGO, False),  # not ours
    ],
)
def test_expired_indices(index, created, expired):
    layout = IndexLayout("news-articles")
    result = expired_indices(layout, {index: created}, now=NOW, retention_days=90)
    assert result == ([index] if expired else [])


def test_zero_retention_keeps_everything():
    layout = IndexLayout("news-articles")
    assert (
        expired_indices(layout, {"news-articles-2001.01": LONG_AGO}, now=NOW, retention_days=0)
        == []
    )


def test_month_end_rolls_over_the_year():
    assert month_end(2019, 12) == datetime(2020, 1, 1, tzinfo=UTC)
    assert month_end(2019, 3) == datetime(2019, 4, 1, tzinfo=UTC)
