"""Statistical recognition: names a packaged model finds, added after the fast path.

The second speed of enrichment. The fast path makes every article searchable
and alertable at once; this stage reads the enriched topic, runs the CRF
tagger shipped for the article's language (``crf.py``: ``tokens.py`` cuts the
text, ``features.py`` describes each word, ``lexicons.py`` adds the installed
word lexicons), merges the new names into the article (``merge.py``, pure)
and writes the article back to the enriched topic under the same key. Its
output carries ``versions["recognition"]``, which gives it the higher
:func:`contract.records.revision`: the search index keeps it over the fast
path's version whatever order they arrive in, the alerts raise only what it
names that the first version did not (``docs/pipeline.md``), and this stage
skips it when it reads it back, so it does not loop. It runs in its own
workers (``newsstream process --stage recognise``) and scales apart from the
fast path.
"""
