"""`carewindow serve`: the nightly deployment on its schedule, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator

from analytics.config import Settings
from flows.prefect_api import require_reachable_api

NO_SERVER_WARNING = (
    "warning: PREFECT_API_URL is not set, so this serves with a temporary Prefect server that "
    "stops with this process: scheduled runs and their logs are kept nowhere you can see them. "
    "Start one with `prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api"
)


def _quiet() -> None:
    """Once stopping, the closing websockets, database pool and server only log noise and
    tracebacks of cancelled work: say nothing more."""
    logging.disable(logging.CRITICAL)
    threading.excepthook = lambda args: None


@contextlib.contextmanager
def _stopping_quietly() -> Iterator[None]:
    """Ctrl-C and SIGTERM end serving without tracebacks; Prefect's own handlers still run."""
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

    def interrupt(signum, frame):
        _quiet()
        raise KeyboardInterrupt

    # Prefect's runner installs its own graceful SIGTERM handler once it has started.
    for number in previous:
        signal.signal(number, interrupt)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        _quiet()
        for number, handler in previous.items():
            signal.signal(number, handler)


def serve_until_stopped(settings: Settings, config: str | None, echo: Callable[..., None]) -> None:
    """Serve nightly/nightly on its cron schedule; return when stopped."""
    url = require_reachable_api()
    if url is None:
        echo(NO_SERVER_WARNING, err=True)

    from prefect import serve

    from flows.deployment import nightly_deployment

    deployment = nightly_deployment(settings, config)
    with _stopping_quietly():
        echo(
            f"serving deployment nightly/nightly on '{settings.schedule_cron}' "
            f"({settings.schedule_time_zone}) against {url or 'a temporary Prefect server'}; "
            "stop with Ctrl-C"
        )
        sys.stdout.flush()
        serve(deployment, print_starting_message=False)
    echo("stopped serving nightly/nightly")
