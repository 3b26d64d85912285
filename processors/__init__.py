"""Stream processors: enrich raw articles, index them, raise alerts."""
