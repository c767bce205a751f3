"""carewindow against a real `prefect server start` on loopback: a run whose files
fail ends Failed on the server naming them, under the id pipeline_runs records, with per-file
counts and the wait for the writer lock in its log; `serve` runs a deployment that fails the
same way and stops cleanly on SIGTERM.

The server is started on a free port by the module's fixture and stopped after it; the tests
are skipped, with the reason, only where it cannot start.
"""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import httpx
import pytest

from analytics.db import WarehousePaths
from analytics.generate import generate_dataset

RATE_CARDS = Path(__file__).resolve().parent.parent / "data" / "rate_cards"
STARTUP_SECONDS = 300

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _quiet_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    return {**env, **extra}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The API URL of a Prefect server of this test module's own, on a free loopback port."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = open(home / "server.log", "w+")  # noqa: SIM115 - closed below
    prefect = Path(sys.executable).parent / "prefect"
    process = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_quiet_env(home),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.skip(f"`prefect server start` exited: {log.read()[-500:]}")
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.skip(f"`prefect server start` did not answer in {STARTUP_SECONDS} s")
            time.sleep(1)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def _inbox(folder: Path) -> Path:
    inbox = folder / "inbox"
    generate_dataset(inbox, 500, seed=23, start=date(2025, 5, 1), days=20, webhooks=False)
    shutil.copytree(RATE_CARDS, inbox / "rate_cards", ignore=shutil.ignore_patterns("*.md"))
    (inbox / "empty.csv").write_text("")
    (inbox / "binary.csv").write_bytes(
        bytes(b for b in random.Random(5).randbytes(4_000) if b not in b"\r\n")
    )
    return inbox


def _post(url: str, path: str, body: dict) -> list | dict:
    """POST to the API; a busy server (503) is asked again, for up to a minute."""
    deadline = time.monotonic() + 60
    while True:
        response = httpx.post(f"{url}{path}", json=body, timeout=30)
        if response.status_code != 503 or time.monotonic() > deadline:
            response.raise_for_status()
            return response.json()
        time.sleep(1)


def _logs(url: str, flow_run_id: str | None = None) -> list[str]:
    body: dict = {"limit": 200, "sort": "TIMESTAMP_ASC"}
    if flow_run_id:
        body["logs"] = {"flow_run_id": {"any_": [flow_run_id]}}
    return [log["message"] for log in _post(url, "/logs/filter", body)]


def _children(pid: int) -> list[str]:
    """The processes `pid` started that still run (Linux's /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return path.read_text().split() if path.exists() else []


def _wait_for(condition, what: str, seconds: float = 300):
    """Poll until condition() is truthy and return it; fail naming what never happened."""
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(1)
    return value


def test_a_run_with_failed_files_is_failed_on_the_server_and_logs_what_it_did(server, tmp_path):
    inbox = _inbox(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    paths = WarehousePaths.for_db(db)
    paths.lock.parent.mkdir(parents=True, exist_ok=True)
    lock = open(paths.lock, "a+")  # noqa: SIM115 - another writer holds the warehouse
    fcntl.flock(lock, fcntl.LOCK_EX)
    lock.write("pid 4242 since a minute ago\n")
    lock.flush()
    run = subprocess.Popen(
        [
            *[sys.executable, "-m", "flows.cli", "run", "--db", str(db)],
            *["--inbox", str(inbox), "--reports", str(tmp_path / "reports")],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_quiet_env(tmp_path / "client", PREFECT_API_URL=server),
        cwd=tmp_path,
    )
    try:
        # The run says in its flow log that it waits for the lock; then the holder lets go.
        _wait_for(
            lambda: any("waiting for another carewindow run" in m for m in _logs(server)),
            "a log line about the wait for the writer lock",
        )
        lock.close()
        stdout, stderr = run.communicate(timeout=600)
    finally:
        lock.close()
        if run.poll() is None:
            run.kill()

    assert run.returncode == 1, stdout + stderr
    [flow_run] = _post(server, "/flow_runs/filter", {"flows": {"name": {"any_": ["nightly"]}}})
    assert flow_run["state"]["type"] == "FAILED"
    assert "empty.csv" in flow_run["state"]["message"]
    assert "binary.csv" in flow_run["state"]["message"]
    with duckdb.connect(str(db), read_only=True) as con:
        recorded = con.execute("select run_id, outcome from pipeline_runs").fetchall()
    assert recorded == [(flow_run["id"], "partial")]
    logs = _logs(server, flow_run["id"])
    assert any("waiting for another carewindow run" in m and "pid 4242" in m for m in logs)
    assert any(
        m.startswith(f"{inbox / 'messages.csv'}: message_log, loaded, 500 read") for m in logs
    )
    assert any("not loaded" in m and "empty.csv" in m for m in logs)


def test_serve_runs_the_deployment_failed_when_files_fail_and_stops_on_sigterm(server, tmp_path):
    inbox = _inbox(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    serving = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "serve", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_quiet_env(tmp_path / "client", PREFECT_API_URL=server),
        cwd=tmp_path,
    )
    try:
        deployment = _wait_for(
            lambda: (
                httpx.get(f"{server}/deployments/name/nightly/nightly", timeout=30).json()
                if httpx.get(f"{server}/deployments/name/nightly/nightly", timeout=30).status_code
                == 200
                else None
            ),
            "the served deployment nightly/nightly",
        )
        created = _post(
            server,
            f"/deployments/{deployment['id']}/create_flow_run",
            {
                "parameters": {
                    "db": str(db),
                    "inbox_dir": str(inbox),
                    "reports_dir": str(tmp_path / "reports"),
                }
            },
        )

        def final_state() -> dict | None:
            state = httpx.get(f"{server}/flow_runs/{created['id']}", timeout=30).json()["state"]
            return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED") else None

        state = _wait_for(final_state, "the end of the deployment's flow run", seconds=600)
        # Stopped between runs: once the flow run's own process has exited.
        _wait_for(lambda: not _children(serving.pid), "the end of the flow run's process")
        serving.send_signal(signal.SIGTERM)
        stdout, stderr = serving.communicate(timeout=300)
    finally:
        if serving.poll() is None:
            serving.kill()

    assert state["type"] == "FAILED", state
    assert "empty.csv" in state["message"] and "binary.csv" in state["message"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select run_id, outcome from pipeline_runs").fetchall() == [
            (created["id"], "partial")
        ]
    assert serving.returncode == 0, stderr
    assert "PREFECT_API_URL is not set" not in stderr
    # (Prefect's engine prints the failed run's exception in the run's own output; stopping
    # prints none.)
    assert "SIGTERM received" in stderr
    assert "Traceback" not in stdout + stderr.split("SIGTERM received", 1)[1]
    assert "stopped serving nightly/nightly" in stdout
