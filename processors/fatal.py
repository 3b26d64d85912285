"""A worker that cannot go on: it says why once, stops cleanly, and exits with a code.

A stage that meets a failure no retry can mend (Elasticsearch refusing the
index layout, say) calls :func:`stop_worker`: the reason is logged as
critical, the worker is stopped the way Ctrl-C stops it (offsets of what was
done are committed, nothing else is), and ``newsstream process`` exits with
:data:`EXIT_CANNOT_START` instead of 0, so a supervisor sees it failed.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

EXIT_CANNOT_START = 78  # sysexits' EX_CONFIG: fix the configuration, then start again
_stopped: list[tuple[str, int]] = []


def stop_worker(reason: str, code: int = EXIT_CANNOT_START) -> None:
    """Log ``reason`` and stop this worker process; it exits with ``code``."""
    log.critical("%s; the worker stops (exit code %d)", reason, code)
    _stopped.append((reason, code))
    os.kill(os.getpid(), signal.SIGTERM)


def stopped() -> tuple[str, int] | None:
    """Why and with what code :func:`stop_worker` stopped the worker, if it did."""
    return _stopped[0] if _stopped else None
