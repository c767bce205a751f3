"""The partitioned rebuild: routing to partitions, the same tables as one process, the switch."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from prefect.testing.utilities import prefect_test_harness

from analytics import partitions, rebuild
from analytics.config import ConfigError, Settings, load_settings
from analytics.db import connect_memory, fetch_all, fetch_value, open_for_writing
from analytics.generate import generate_dataset
from analytics.ingest import ingest_paths
from analytics.steps import Step
from flows.cli import main
from tests.rows import at, inbound, insert_messages, insert_opt_ins, opt_in, outbound, template

RATE_CARDS = Path(__file__).resolve().parent.parent / "data" / "rate_cards"
PUBLIC_TABLES = (
    "care_windows",
    "message_facts",
    "daily_summary",
    "violations",
    "message_billing",
    "pricing_reconciliation",
)
SHOP, BAKERY = "31201234567", "31209876543"
ANNA, BRAM, CEES = "31612345678", "447700900123", "4915112345678"


def _given_threads(con: duckdb.DuckDBPyConnection) -> None:
    """Anna writes to both numbers, Bram to the shop; the ledger has a blank-number opt-in
    (Anna: covers both her threads), a numbered opt-out (Bram, shop) and a blank-number event
    of Cees, to whom nobody ever wrote."""
    insert_messages(
        con,
        [
            inbound("a1", at(0), contact=ANNA),
            outbound("a2", at(1), contact=ANNA),
            template("a3", at(30), contact=ANNA),
            inbound("b1", at(0), contact=ANNA, business_number=BAKERY),
            template("b2", at(48), contact=ANNA, business_number=BAKERY),
            inbound("c1", at(0), contact=BRAM),
            outbound("c2", at(25), contact=BRAM),
            template("c3", at(50), contact=BRAM),
        ],
    )
    insert_opt_ins(
        con,
        [
            opt_in(ANNA, at(-1)),
            opt_in(BRAM, at(-2)),
            opt_in(BRAM, at(-1), event="opt_out", business_number=SHOP),
            opt_in(CEES, at(-1)),
        ],
    )


def _plan(settings: Settings, tmp_path: Path, count: int) -> partitions.PartitionPlan:
    return partitions.plan_partitions(
        settings.with_overrides(rebuild_partitions=count), root=tmp_path / "partitions"
    )


def _partition_rows(plan: partitions.PartitionPlan, table: str, columns: str) -> set[tuple]:
    """(partition, *columns) of every exported row of a table."""
    rows: set[tuple] = set()
    with duckdb.connect() as con:
        for partition in range(plan.partitions):
            files = partitions._partition_files(plan, table, partition)
            if files:
                found = fetch_all(
                    con,
                    f"select {columns} from read_parquet(?, hive_partitioning = false)",
                    [files],
                )
                rows.update((partition, *row) for row in found)
    return rows


def test_split_steps_keeps_thread_steps_until_the_first_account_step():
    steps = (
        Step("a", "temp"),
        Step("b", "table"),
        Step("c", "temp", scope="account"),
        Step("d", "table"),
    )

    thread, account = partitions.split_steps(steps)

    assert [step.name for step in thread] == ["a", "b"]
    # d is per thread, but after an account step it may read account results
    assert [step.name for step in account] == ["c", "d"]


def test_every_public_table_of_the_thread_steps_is_exported_and_no_view(settings):
    plan = partitions.plan_partitions(settings.with_overrides(rebuild_partitions=2))

    for step in plan.thread_steps:
        if step.materialization == "table":
            assert step.name in plan.exported_steps
        if step.materialization == "view":
            assert step.name not in plan.exported_steps


def test_export_routes_each_thread_whole_and_blank_number_events_to_each_thread(
    con, settings, tmp_path
):
    _given_threads(con)
    plan = _plan(settings, tmp_path, 4)

    partitions.export_partitions(con, plan)

    messages = _partition_rows(plan, "messages", "business_number, contact, message_id")
    assert len(messages) == 8  # every message exactly once
    thread_partition = {(number, contact): part for part, number, contact, _ in messages}
    assert len(thread_partition) == 3  # a thread never spans partitions
    anna = {part for (_, contact), part in thread_partition.items() if contact == ANNA}
    assert len(anna) == 2  # given: Anna's two threads sit in different partitions
    ledger = _partition_rows(plan, "opt_in_events", "contact, event, business_number")
    assert ledger == {
        *((part, ANNA, "opt_in", None) for part in anna),
        (thread_partition[(SHOP, BRAM)], BRAM, "opt_in", None),
        (thread_partition[(SHOP, BRAM)], BRAM, "opt_out", SHOP),
    }


def test_partitions_built_apart_give_the_single_process_verdicts(con, settings, tmp_path):
    _given_threads(con)
    single = connect_memory(settings)
    _given_threads(single)
    rebuild.rebuild_warehouse(single, settings)
    plan = _plan(settings, tmp_path, 4)  # two of the four partitions stay empty

    partitions.export_partitions(con, plan)
    for partition in range(plan.partitions):
        partitions.build_partition(plan, partition, settings)
    partitions.finish_rebuild(con, plan, settings)

    verdicts = (
        "select message_id, window_id is not null, opt_in_active, violation "
        "from message_facts order by message_id"
    )
    assert (
        fetch_all(con, verdicts)
        == fetch_all(single, verdicts)
        == [
            ("a2", True, None, None),
            ("a3", False, True, None),  # blank-number opt-in, shop thread
            ("b2", False, True, None),  # the same opt-in covers the bakery thread in its partition
            ("c2", False, None, "session_outside_window"),
            ("c3", False, False, "template_without_opt_in"),  # opted out of the shop
        ]
    )
    single.close()


def _settings_for_equality(tmp_path: Path) -> Settings:
    # Free tiers of 3 a month make the per-account numbering decide many verdicts, so a
    # per-account step run per partition would show here.
    return Settings(
        db_path=str(tmp_path / "warehouse.duckdb"),
        temp_directory=str(tmp_path / "tmp"),
        memory_limit="2GB",
        free_conversations_per_month=3,
        free_service_messages_per_month=3,
        rebuild_partitions=3,
    )


def _loaded(settings: Settings, data: Path) -> duckdb.DuckDBPyConnection:
    con = connect_memory(settings)
    result = ingest_paths(con, [data, RATE_CARDS], settings)
    assert not result.errors
    return con


def assert_same_rows(con: duckdb.DuckDBPyConnection, expected_con, tables) -> None:
    """Each table of con holds the rows it holds in expected_con (except all both ways)."""
    for table in tables:
        con.register("expected", expected_con.sql(f"select * from {table}").to_arrow_table())
        for query in (
            f"select * from {table} except all select * from expected",
            f"select * from expected except all select * from {table}",
        ):
            assert fetch_all(con, f"select count(*) from ({query})") == [(0,)], query
        con.unregister("expected")


@pytest.mark.slow
def test_partitioned_rebuild_on_dask_equals_the_single_process_rebuild(tmp_path):
    from flows.partitioned import rebuild_partitioned

    data = tmp_path / "data"
    generate_dataset(data, 20000, seed=3)
    settings = _settings_for_equality(tmp_path)
    single = _loaded(settings, data)
    rebuild.rebuild_warehouse(single, settings)
    parted = _loaded(settings, data)

    with prefect_test_harness(server_startup_timeout=180):
        result = rebuild_partitioned(parted, settings)

    assert result.outbound_messages > 10_000
    assert not (tmp_path / "partitions").exists()
    for table in PUBLIC_TABLES:
        columns = "select column_name, column_type from (describe {})"
        assert fetch_all(parted, columns.format(table)) == fetch_all(
            single, columns.format(table)
        ), table
    assert_same_rows(parted, single, PUBLIC_TABLES)
    assert fetch_all(parted, "select count(*) from message_facts where billable") == fetch_all(
        single, "select count(*) from message_facts where billable"
    )
    single.close()
    parted.close()


def test_partitions_in_sequence_in_this_process_equal_the_single_process_rebuild(
    tmp_path, monkeypatch
):
    # given rebuild.cluster = "in-process": the same plan, no Dask, one partition after another
    data = tmp_path / "data"
    generate_dataset(data, 5000, seed=3)
    settings = _settings_for_equality(tmp_path).with_overrides(rebuild_cluster="in-process")
    single = _loaded(settings, data)
    rebuild.rebuild_warehouse(single, settings)
    parted = _loaded(settings, data)
    steps: list[str] = []
    # the warehouse's memory limit while each partition's own DuckDB works
    limits: list[str] = []
    build = partitions.build_partition

    def watched_build(plan, partition, settings):
        limits.append(fetch_value(parted, "select current_setting('memory_limit')"))
        return build(plan, partition, settings)

    monkeypatch.setattr(partitions, "build_partition", watched_build)

    result = partitions.rebuild_in_sequence(parted, settings, on_step=steps.append)

    assert steps[:3] == ["partition 1 of 3", "partition 2 of 3", "partition 3 of 3"]
    # lent to the partitions (256MB), then set back to warehouse.memory_limit (2GB)
    assert limits == ["244.1 MiB"] * 3
    assert fetch_value(parted, "select current_setting('memory_limit')") == "1.8 GiB"
    assert "export partitions" in result.seconds_by_step
    assert not (tmp_path / "partitions").exists()
    assert_same_rows(parted, single, PUBLIC_TABLES)
    single.close()
    parted.close()


def test_rebuild_settings_load_from_the_file_and_are_checked(tmp_path):
    config = tmp_path / "carewindow.toml"
    config.write_text('[rebuild]\npartitions = 8\ncluster = "tcp://10.0.0.5:8786"\n')

    settings = load_settings(config)

    assert (settings.rebuild_partitions, settings.rebuild_cluster) == (8, "tcp://10.0.0.5:8786")
    assert Settings().rebuild_partitions == 0
    with pytest.raises(ConfigError, match="rebuild.partitions"):
        settings.with_overrides(rebuild_partitions=-1)
    with pytest.raises(ConfigError, match="rebuild.cluster"):
        settings.with_overrides(rebuild_cluster="the big cluster")
    assert settings.with_overrides(rebuild_cluster="in-process").rebuild_cluster == "in-process"


@pytest.fixture
def recorded_partitioned_rebuild(monkeypatch):
    """Replace the partitioned rebuild by a one-process one that records its settings."""
    import flows.partitioned

    calls: list[Settings] = []

    def rebuild_partitioned(con, settings, on_step=None):
        calls.append(settings)
        return rebuild.rebuild_warehouse(con, settings, on_step)

    monkeypatch.setattr(flows.partitioned, "rebuild_partitioned", rebuild_partitioned)
    return calls


def _rebuild_command(tmp_path: Path, *options: str, config: str = "") -> list[str]:
    db = tmp_path / "warehouse.duckdb"
    if not db.exists():  # rebuild refuses a warehouse that does not exist: publish an empty one
        with open_for_writing(Settings(db_path=str(db), temp_directory=str(tmp_path / "tmp"))):
            pass
    path = tmp_path / "carewindow.toml"
    path.write_text(config)
    return ["--config", str(path), "rebuild", "--db", str(db), *options]


def test_rebuild_runs_in_one_process_by_default(tmp_path, recorded_partitioned_rebuild):
    result = CliRunner().invoke(main, _rebuild_command(tmp_path))

    assert result.exit_code == 0, result.output
    assert recorded_partitioned_rebuild == []


def test_rebuild_partitions_option_selects_the_partitioned_rebuild(
    tmp_path, recorded_partitioned_rebuild
):
    result = CliRunner().invoke(
        main, _rebuild_command(tmp_path, "--partitions", "3", "--cluster", "tcp://10.0.0.5:8786")
    )

    assert result.exit_code == 0, result.output
    assert [(s.rebuild_partitions, s.rebuild_cluster) for s in recorded_partitioned_rebuild] == [
        (3, "tcp://10.0.0.5:8786")
    ]


def test_rebuild_partitions_from_the_file_and_the_option_overrides_it(
    tmp_path, recorded_partitioned_rebuild
):
    config = "[rebuild]\npartitions = 4\n"
    from_file = CliRunner().invoke(main, _rebuild_command(tmp_path, config=config))
    overridden = CliRunner().invoke(
        main, _rebuild_command(tmp_path, "--partitions", "0", config=config)
    )

    assert from_file.exit_code == 0, from_file.output
    assert overridden.exit_code == 0, overridden.output
    assert [s.rebuild_partitions for s in recorded_partitioned_rebuild] == [4]


@pytest.mark.slow
def test_nightly_flow_uses_the_partitioned_rebuild_when_configured(tmp_path, monkeypatch):
    import flows.partitioned
    from flows.nightly import nightly

    real = flows.partitioned.rebuild_partitioned
    calls: list[int] = []

    def recorded(con, settings, on_step=None):
        calls.append(settings.rebuild_partitions)
        return real(con, settings, on_step)

    monkeypatch.setattr(flows.partitioned, "rebuild_partitioned", recorded)
    inbox = tmp_path / "inbox"
    generate_dataset(inbox, 3000, seed=5)
    config = tmp_path / "carewindow.toml"
    config.write_text(f'[rebuild]\npartitions = 2\n[warehouse]\ntemp_directory = "{tmp_path}"\n')

    with prefect_test_harness(server_startup_timeout=180):
        summary = nightly(
            db=str(tmp_path / "warehouse.duckdb"),
            inbox_dir=str(inbox),
            reports_dir=str(tmp_path / "reports"),
            config=str(config),
        )

    assert calls == [2]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert fetch_all(con, "select count(*) from message_facts") == [
            (summary["outbound_messages"],)
        ]
        assert fetch_all(con, "select count(*) from messages where direction = 'outbound'") == [
            (summary["outbound_messages"],)
        ]
