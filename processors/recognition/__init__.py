"""Statistical recognition: names a packaged model finds, added after the fast path.

The second speed of enrichment. The fast path makes every article searchable
and alertable at once; this stage reads the enriched topic, runs the CRF
tagger shipped for the article's language (``crf.py``: ``tokens.py`` cuts the
text, ``features.py`` describes each word, ``lexicons.py`` adds the installed
word lexicons), merges the new names into the article (``merge.py``, pure)
and writes the article back to the enriched topic under the same key, so the
indexer overwrites the document.
Its own output carries ``versions["recognition"]`` and is skipped, so it does
not loop. It runs in its own workers (``newsstream process --stage
recognise``) and scales apart from the fast path.
"""
