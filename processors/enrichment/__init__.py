"""Enrichment: language, named entities, topics and tracked actors for every article.

The steps are plain functions over plain data (``pipeline.enrich``); the
Faust agent in ``agents.py`` is thin wiring around them, so an embedded
runner can reuse the same code without Kafka. The watchlist
(``watchlist``) and its matching (``actors``) sit here, beside the entities
and the folding core (``textmatch``) they depend on. The topic step
combines the keyword lists with the trained model in ``processors.classification``.
"""
