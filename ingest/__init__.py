"""Feed ingestion: poll RSS/Atom feeds politely, publish each new article once.

One module per concern, read top to bottom along a poll::

    feedlist   which feeds (YAML, OPML)
    schedule   when to poll each one next (one pure function)
    safety     may we fetch this URL at all (schemes, SSRF)
    fetch      conditional GET with timeouts, size and redirect caps
    parse      bytes -> feedparser result, with XML entity declarations removed
    normalise  feedparser entry -> contract ``Article``
    dedup      new, updated or duplicate (one pure decision)
    state      sqlite: validators, schedule, seen articles, the publish outbox
    publish    outbox -> Kafka (acks=all, idempotent), marks seen on ack only
    poller     the loop that ties them together
    metrics    Prometheus counters and histograms
    serve      a polite static feed server for the offline demo and benchmark

``ingest`` meets the rest of the service only through ``contract``
and the Kafka topic ``news.articles.raw``.
"""
