"""The inbox folder the nightly run takes new files from, kept from reaching outside itself."""

from __future__ import annotations

import sys
from pathlib import Path

from analytics.ingest import DATA_SUFFIXES


def inbox_files(inbox: Path) -> list[Path]:
    """Data files inside the inbox; links or names leading outside it are left out, with a word."""
    root = inbox.resolve()
    if not root.is_dir():
        return []
    found = []
    for path in sorted(inbox.rglob("*")):
        relative = path.relative_to(inbox)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if not path.is_file() or path.suffix.lower() not in DATA_SUFFIXES:
            continue
        target = path.resolve()
        if not target.is_relative_to(root):
            print(
                f"skipped {path}: it leads outside the inbox {inbox} (to {target})", file=sys.stderr
            )
            continue
        found.append(target)
    return found
