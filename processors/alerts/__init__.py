"""Alerts on new mentions of tracked actors.

Who is tracked and where an article mentions them is enrichment's work
(``processors.enrichment.watchlist`` and ``processors.enrichment.actors``,
beside the entities they depend on); here ``decide`` turns those mentions
into candidate alerts, ``store`` decides which of
those are new (one alert per actor per story), ``sinks`` deliver the new ones
``agents`` wires all of it into the stream processors, and ``backtest``
runs a candidate watchlist over the articles already indexed.
"""
