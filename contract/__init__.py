"""The shared contract: records, ids, settings and errors.

Everything else in the project may import this package; it imports nothing
of ours, so ingest, processors and search meet here and on Kafka only.
"""
