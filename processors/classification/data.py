"""The labelled news sets: ``<dir>/<split>/<set>.jsonl``, one item a line.

Each item carries its dataset's own label and the project topic key it maps
to (``iptc``), or null where the dataset's class has no single counterpart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Item:
    set: str
    id: str
    lang: str
    label: str
    topic: str | None  # project topic key; None: no single counterpart
    title: str
    text: str


def load_split(data_dir: Path, split: str) -> dict[str, list[Item]]:
    """Items of every set of ``split`` ("train" or "dev"), by set name, sorted by name."""
    out: dict[str, list[Item]] = {}
    for path in sorted((data_dir / split).glob("*.jsonl")):
        items = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    raw = json.loads(line)
                    items.append(
                        Item(
                            path.stem,
                            str(raw["id"]),
                            raw.get("lang", ""),
                            str(raw.get("label", "")),
                            raw.get("iptc"),
                            raw.get("title") or "",
                            raw.get("text") or "",
                        )
                    )
        out[path.stem] = items
    return out
