"""Alerts on new mentions of tracked actors.

``watchlist`` loads who is tracked, ``matching`` finds them in an article,
``decide`` turns mentions into candidate alerts, ``store`` decides which of
those are new (one alert per actor per story), ``sinks`` deliver the new ones
and ``agents`` wires all of it into the stream processors.
"""
