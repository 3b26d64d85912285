"""newsstream: multilingual news ingestion, enrichment, search and alerts."""

__version__ = "0.1.0"
