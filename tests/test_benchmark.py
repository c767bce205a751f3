"""A smoke run of the benchmark script: it runs end to end and prints its figures (no timing
is asserted; speed is shown by the benchmark, never by a test)."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_benchmark_runs_and_reports_every_figure(tmp_path, monkeypatch, capsys):
    figures_file = tmp_path / "figures.json"
    monkeypatch.setattr(
        sys,
        "argv",
        [
            str(BENCHMARK),
            "--messages",
            "3000",
            "--dir",
            str(tmp_path / "bench"),
            "--json",
            str(figures_file),
            "--memory-limit",
            "2GB",
        ],
    )
    try:
        runpy.run_path(str(BENCHMARK), run_name="__main__")
    except SystemExit as stop:
        assert stop.code == 0
    output = capsys.readouterr().out
    assert "ingest rows/s" in output and "ratio" in output and "ingest floor" in output
    assert output.strip().splitlines()[-1].startswith("benchmarked 1 size(s): 3,000 messages")
    [figures] = json.loads(figures_file.read_text())
    assert figures["messages"] == 3000
    # the warehouse is not kept (each run loads the CSV again); the generated data and the
    # reports are
    assert not list((tmp_path / "bench").glob("warehouse-*"))
    assert (tmp_path / "bench" / "data-3000" / "messages.csv").exists()
    assert (tmp_path / "bench" / "reports-3000" / "index.html").exists()
    for name in (
        "ingest_rows_per_second",
        "ingest_floor_rows_per_second",
        "rebuild_seconds",
        "floor_seconds",
        "rebuild_to_floor_ratio",
        "report_seconds",
        "peak_memory_gib",
        "output_floor_seconds",
        "rebuild_to_output_floor_ratio",
    ):
        assert figures[name] > 0, name
    # an analyst's queries, timed on the published warehouse opened read-only
    assert set(figures["analyst_query_seconds"]) == {
        "monthly cost in force (message_facts)",
        "cost per regime (message_billing)",
        "latest 100 violations",
        "one message's verdicts",
    }
    assert "analyst queries on the published warehouse, read-only" in output
    # the job floor writes message_facts as stored: the table message_billing_by_regime is
    # stored in; the output floor adds every other public table the rebuild writes
    assert "writing message_facts as stored, in message_billing_by_regime" in output
    assert figures["wide_write_seconds"] > 0
    assert "output floor" in output
    assert {"care_windows", "daily_costs"} <= set(figures["output_write_seconds_by_table"])
    assert "message_billing_by_regime" not in figures["output_write_seconds_by_table"]
    assert figures["output_floor_seconds"] > figures["job_floor_seconds"]


def test_benchmark_keeps_intermediates_in_the_scratch_database_when_asked(tmp_path, monkeypatch):
    """--scratch: the scratch path of big histories at a small size (to foresee a big run's
    spill with a scaled-down memory limit)."""
    from analytics import rebuild

    scratch_rebuilds = []
    original = rebuild.rebuild_with_scratch_database

    def counted(*args, **kwargs):
        scratch_rebuilds.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(rebuild, "rebuild_with_scratch_database", counted)
    figures_file = tmp_path / "figures.json"
    arguments = ["--messages", "2000", "--repeats", "1", "--dir", str(tmp_path / "bench")]
    arguments.append("--no-reports")
    for scratch, expected in ((False, "temporary tables"), (True, "scratch database")):
        monkeypatch.setattr(
            sys,
            "argv",
            [str(BENCHMARK), *arguments, "--json", str(figures_file)]
            + (["--scratch"] if scratch else []),
        )
        try:
            runpy.run_path(str(BENCHMARK), run_name="__main__")
        except SystemExit as stop:
            assert stop.code == 0
        [figures] = json.loads(figures_file.read_text())
        assert figures["intermediates"] == expected
        assert len(scratch_rebuilds) == int(scratch)  # the rebuild took that path


def test_the_bad_line_measurement_runs_and_reports_each_length(tmp_path, capsys):
    # the benchmark's measurement of a corrupt line's cost, at tiny sizes: no
    # timing is asserted, only that each line was quarantined and reported
    main = runpy.run_path(str(BENCHMARK))["main"]

    assert main(["--bad-lines", "1000", "5000", "--dir", str(tmp_path)]) == 0

    output = capsys.readouterr().out
    assert "s per million delimiters" in output
    assert (
        output.strip().splitlines()[-1].startswith("bad lines: 1,000 delimiters")
        and "5,000 delimiters" in output
    )
