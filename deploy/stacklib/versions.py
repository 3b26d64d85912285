"""Which versions to try when the requested one is not served by the registry."""

from __future__ import annotations


def neighbours(requested: str, limit: int = 6) -> list[str]:
    """The requested version first, then older releases of the same major.

    Older patch releases of the same minor come next, then the ``.0`` release
    of each older minor (a ``.0`` exists for every minor that was released).
    The major never changes: the Python clients are tied to it.
    """
    major, minor, patch = (int(part) for part in requested.split("."))
    out = [requested]
    out += [f"{major}.{minor}.{p}" for p in range(patch - 1, -1, -1)]
    out += [f"{major}.{m}.0" for m in range(minor - 1, -1, -1)]
    return out[:limit]
