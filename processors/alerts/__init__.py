"""Alerts on new mentions of tracked actors, and on new stories saved searches find.

Who is tracked and where an article mentions them is enrichment's work
(``processors.enrichment.watchlist`` and ``processors.enrichment.actors``,
beside the entities they depend on); here ``decide`` turns those mentions
into candidate alerts, ``saved`` matches the saved searches against each
batch, ``store`` decides which of
those are new (one alert per actor or saved search per story), ``sinks`` deliver the new ones
``agents`` wires all of it into the stream processors, and ``backtest``
runs a candidate watchlist over the articles already indexed; ``searches``
and ``searches_api`` manage the saved searches for the CLI and the API.
"""
