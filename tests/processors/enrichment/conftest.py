"""Shared fixtures for enrichment tests."""

from __future__ import annotations

import pytest

from contract.records import Article
from processors.enrichment import samples


@pytest.fixture
def seed_article() -> Article:
    return samples.seed_article()
