"""One poller per data directory.

The poller's state file is its outbox and its Kafka transactional id lives
in it: two pollers on one data directory would fence each other's
transactions and publish in turns. The first one holds an exclusive lock on
``poller.lock`` there; a second one is refused at start with a message that
says which process holds it. The operating system releases the lock when the
holder exits, however it exits (``kill -9`` included).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from contract.errors import ConfigError

FILENAME = "poller.lock"


class PollerRunning(ConfigError):
    """Another poller is using this data directory."""


def hold_poller_lock(data_dir: str | Path) -> IO[str]:
    """Lock ``data_dir`` for this poller; keep the returned file open while polling."""
    path = Path(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    handle = open(path / FILENAME, "a+", encoding="utf-8")  # noqa: SIM115 - held open
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise PollerRunning(
            f"another poller (pid {holder}) is using {path}; run one poller per data "
            "directory (NEWSSTREAM_DATA_DIR), or stop that one first"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
