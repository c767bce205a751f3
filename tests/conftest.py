"""Shared fixtures: a fresh in-memory warehouse per test, and quiet, offline Prefect."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from analytics.config import Settings  # noqa: E402
from analytics.db import connect_memory  # noqa: E402


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Default settings with every path inside the test's own folder."""
    return Settings(
        db_path=str(tmp_path / "warehouse.duckdb"),
        temp_directory=str(tmp_path / "tmp"),
        inbox=str(tmp_path / "inbox"),
        reports_out=str(tmp_path / "reports"),
        memory_limit="2GB",
        lock_timeout_seconds=5,
    )


@pytest.fixture
def con(settings):
    """A fresh in-memory warehouse with the current schema."""
    connection = connect_memory(settings)
    yield connection
    connection.close()
