"""The nightly deployment: the flow, its cron schedule and time zone, and its parameters."""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from analytics.config import Settings
from flows.nightly import nightly


def nightly_deployment(settings: Settings, config: str | None = None) -> RunnerDeployment:
    """A deployment of `nightly` on the configured cron schedule, ready for prefect.serve()."""
    return nightly.to_deployment(
        name="nightly",
        schedules=[Cron(settings.schedule_cron, timezone=settings.schedule_time_zone)],
        parameters={
            "db": settings.db_path,
            "inbox_dir": settings.inbox,
            "reports_dir": settings.reports_out,
            "config": config,
        },
        description="Load new inbox files, rebuild every care window and verdict, check, report.",
        tags=["carewindow"],
    )
