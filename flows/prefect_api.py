"""Which Prefect API the commands talk to, and a one-line error when it does not answer."""

from __future__ import annotations

import httpx


class PrefectUnreachable(RuntimeError):
    """PREFECT_API_URL names a server that does not answer."""


def api_url() -> str | None:
    """PREFECT_API_URL from the environment or the Prefect profile; None = ephemeral mode."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def require_reachable_api(timeout_seconds: float = 10.0) -> str | None:
    """The API URL after checking that its server answers; None in ephemeral mode."""
    url = api_url()
    if url is None:
        return None
    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=timeout_seconds)
        response.raise_for_status()
    except httpx.HTTPError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PrefectUnreachable(
            f"cannot reach the Prefect server at PREFECT_API_URL={url} ({reason}): start it "
            "(`prefect server start`), fix PREFECT_API_URL, or unset it to run with a "
            "temporary local server"
        ) from error
    return url
