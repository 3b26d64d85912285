"""Enrichment: language, named entities and topics for every article.

The steps are plain functions over plain data (``pipeline.enrich``); the
Faust agent in ``agents.py`` is thin wiring around them, so an embedded
runner can reuse the same code without Kafka.
"""
