"""Indexing stage: enriched articles into Elasticsearch (see ``agents.py``)."""
