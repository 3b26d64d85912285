"""Tables printed to a pipe keep every word whole."""

from __future__ import annotations

from rich.table import Table

from newsstream.cli.common import PIPED_WIDTH, show_table


def test_piped_tables_never_split_a_word(capsys):
    table = Table(title="alerts")
    for column in ("alerted at", "actor", "matched", "title", "source", "lang", "latency"):
        table.add_column(column, overflow="fold")
    table.add_row(
        "2026-11-29 08:00:31",
        "Nicolás Maduro",
        "Maduro",
        "Venezuela: Stromausfall-Katastrophenschutzbeauftragter tritt zurück",
        "Nachrichten am Morgen",
        "de",
        "437 ms",
    )
    show_table(table)
    out = capsys.readouterr().out
    for word in (
        "Stromausfall-Katastrophenschutzbeauftragter",
        "2026-11-29",
        "Nachrichten",
        "Maduro",
    ):
        assert word in out
    assert max(len(line) for line in out.splitlines()) <= PIPED_WIDTH


def test_a_word_wider_than_the_cap_widens_the_table(capsys):
    table = Table()
    table.add_column("url")
    table.add_column("note")
    url = "https://example.org/" + "a" * 200
    table.add_row(url, "long")
    show_table(table)
    assert url in capsys.readouterr().out
