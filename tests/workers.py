"""Process helpers for integration tests (workers start through ``newsstream.workers``)."""

from __future__ import annotations


def process_alive(pid: int) -> bool:
    """Running, not a zombie awaiting its reaper."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
