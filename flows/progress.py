"""Progress for a person at a terminal, naming the file or step; nothing in logs or pipes."""

from __future__ import annotations

import sys
import time

_STARTED = time.monotonic()


def on_terminal(message: str) -> None:
    """Print a progress line on stderr with the seconds since the command started, on a TTY."""
    if sys.stderr.isatty():
        print(f"[{time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)
