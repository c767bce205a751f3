"""The inbox folder the nightly run takes new files from, kept from reaching outside itself."""

from __future__ import annotations

import sys
from pathlib import Path

from analytics.ingest import DATA_SUFFIXES, IngestError, detect_kind


class InboxMissing(FileNotFoundError):
    """The inbox folder is not there: a run would load nothing and look fine."""


def inbox_files(inbox: Path) -> list[Path]:
    """Data files inside the inbox; links or names leading outside it are left out, with a word.

    A missing inbox (or a file in its place) raises InboxMissing: a mistyped path must not look
    like a quiet night.
    """
    root = inbox.resolve()
    if not root.is_dir():
        what = "is not a folder" if root.exists() else "does not exist"
        raise InboxMissing(
            f"the inbox {inbox} {what}: create it (mkdir -p {inbox}) or point --inbox "
            "(inputs.inbox in carewindow.toml) at the folder new files arrive in"
        )
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


def input_files(inbox: Path, rate_cards: Path | None = None) -> list[Path]:
    """The inbox's data files, then those of the rate-card folder (inputs.rate_cards), each once.

    The rate-card folder is read like the inbox: Meta's cards and canonical ones dropped there
    are loaded by the nightly run (a card already loaded is not read again).
    """
    found = inbox_files(inbox)
    if rate_cards is None:
        return found
    if not rate_cards.is_dir():
        print(
            f"no rate-card folder {rate_cards}: no rate card loaded from it; create it or set "
            "inputs.rate_cards in carewindow.toml",
            file=sys.stderr,
        )
        return found
    seen = set(found)
    return found + [path for path in inbox_files(rate_cards) if path not in seen]


def holds_message_data(inbox: Path) -> bool:
    """Whether the inbox holds a file of message data (any kind but a rate card), from which a
    run may create a warehouse; rate cards alone never do. A missing inbox holds none."""
    if not inbox.is_dir():
        return False
    for path in inbox_files(inbox):
        try:
            if detect_kind(path) != "rate_card":
                return True
        except (IngestError, OSError, UnicodeDecodeError):
            continue  # not recognised: it fails when loaded, it does not create a warehouse
    return False
