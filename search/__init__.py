"""Elasticsearch: index layout, bulk indexing, the query layer and the HTTP API."""
