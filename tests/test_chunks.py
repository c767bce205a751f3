"""An account step written a few months at a time (analytics/chunks.py), given / expect."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from rows import at, delivery, insert_deliveries, insert_messages, outbound, template
from test_groups import GROUP, facts, to_group
from test_partitioned import PUBLIC_TABLES, _loaded, _settings_for_equality, assert_same_rows
from test_pricing_fixtures import add_rates

from analytics import chunks, rebuild
from analytics.chunks import Chunk, group_values, plan_chunks
from analytics.db import fetch_all, memory_limit_bytes
from analytics.generate import generate_dataset
from analytics.plan import PlanError, declared_steps
from analytics.rebuild import RebuildResult, rebuild_warehouse
from analytics.steps import Step

JAN, FEB, MAR, APR = (date(2026, month, 1) for month in (1, 2, 3, 4))
INDIA = "919812345678"
ANNA = "31612345678"  # Netherlands
BOB = "16505551234"  # North America
NOVEMBER_2026 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DECEMBER_2026 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def one_month_per_chunk(monkeypatch):
    """Every month a chunk of its own, whatever the memory limit: a budget of one row."""
    monkeypatch.setattr(chunks, "ROW_BYTES", 10**18)


def test_consecutive_months_gather_into_chunks_within_the_budget():
    assert group_values([(JAN, 3), (FEB, 2), (MAR, 4), (APR, 1)], budget_rows=5) == [
        Chunk(JAN, FEB, 5),
        Chunk(MAR, APR, 5),
    ]
    # a month bigger than the budget is a chunk of its own, never split
    assert group_values([(JAN, 7), (FEB, 1), (MAR, 1)], budget_rows=5) == [
        Chunk(JAN, JAN, 7),
        Chunk(FEB, MAR, 2),
    ]
    assert group_values([], budget_rows=5) == []
    assert Chunk(JAN, FEB, 5).parameters == {"chunk_first": JAN, "chunk_last": FEB}


def test_the_memory_limit_is_read_in_bytes_as_duckdb_shows_it(con):
    con.execute("set memory_limit = '1400MB'")  # DuckDB shows '1.3 GiB'
    assert memory_limit_bytes(con) == int(1.3 * 1024**3)
    con.execute("set memory_limit = '512MiB'")
    assert memory_limit_bytes(con) == 512 * 1024**2


def test_a_step_that_fits_in_memory_or_has_a_month_without_value_runs_in_one_statement(
    con, monkeypatch
):
    step = Step("priced", "table", scope="account", chunk_by="month", chunk_rows_from="given")
    con.execute("create temp table given as select * from (values (1), (1), (2)) as t(month)")
    assert plan_chunks(con, step) == []  # 3 rows: far within any memory limit
    monkeypatch.setattr(chunks, "ROW_BYTES", 10**18)
    assert plan_chunks(con, step) == [Chunk(1, 1, 2), Chunk(2, 2, 1)]
    # a row in no month would be in no chunk: the step runs whole instead
    con.execute("insert into given values (null)")
    assert plan_chunks(con, step) == []
    assert plan_chunks(con, Step("other", "table", scope="account")) == []


def test_only_an_account_step_written_as_a_table_is_chunked_and_both_keys_are_needed(tmp_path):
    with pytest.raises(ValueError, match="only an account step"):
        Step("t", "temp", scope="thread", chunk_by="send_month", chunk_rows_from="x")
    with pytest.raises(ValueError, match="only an account step"):
        Step("v", "view", scope="account", chunk_by="send_month", chunk_rows_from="x")
    with pytest.raises(ValueError, match="both column and rows_from"):
        Step("a", "table", scope="account", chunk_by="send_month")
    (tmp_path / "a.sql").write_text("select 1 as send_month\n")
    (tmp_path / "a.toml").write_text(
        '[step]\nmaterialization = "table"\nscope = "account"\n'
        '[step.chunks]\ncolumn = "send_month"\nrows = "x"\n'
    )
    with pytest.raises(PlanError, match=r"a.toml: \[step.chunks\] takes column and rows_from"):
        declared_steps(tmp_path)


def test_message_billing_by_regime_declares_its_chunks_of_months():
    step = declared_steps()["message_billing_by_regime"]
    assert (step.chunk_by, step.chunk_rows_from) == ("send_month", "int_regime_verdicts")
    assert "$chunk_first" in step.render(chunked=True)
    assert "$chunk_first" not in step.sql


def test_tiers_priced_a_month_at_a_time_count_each_month_from_its_start(
    con, settings, one_month_per_chunk
):
    # given: a free tier of one service message a month, and a volume tier from the second
    # charged utility message of a month in India; three months, a group message in the last
    settings = settings.with_overrides(free_service_messages_per_month=1)
    insert_messages(
        con,
        [
            template("u1", at(0, base=NOVEMBER_2026), contact=INDIA, category="utility"),
            template("u2", at(1, base=NOVEMBER_2026), contact=INDIA, category="utility"),
            outbound("s1", at(2, base=NOVEMBER_2026), contact=INDIA),
            outbound("s2", at(3, base=NOVEMBER_2026), contact=INDIA),
            template("u3", at(0, base=DECEMBER_2026), contact=INDIA, category="utility"),
            to_group("group_reply", 1, base=DECEMBER_2026),
            outbound("s3", at(2, base=DECEMBER_2026), contact=INDIA),
        ],
    )
    insert_deliveries(con, [delivery("group_reply", ANNA), delivery("group_reply", BOB)])
    add_rates(
        con,
        [
            ("2025-07-01", "India", "utility", 0.0100, 0),
            ("2025-07-01", "India", "utility", 0.0080, 1),
            ("2025-07-01", "Netherlands", "utility", 0.05),
            ("2025-07-01", "North America", "utility", 0.004),
        ],
    )
    result = RebuildResult()
    with rebuild.transaction(con):
        rebuild.write_rebuild_parameters(con, settings)
        rebuild.run_preparations(con, settings, result)
        rebuild.run_steps(con, rebuild.STEPS, result)

    # expect: numbered and priced in two statements each, each month's tiers counted from
    # its start
    assert result.chunks_by_step == {"int_volume_tier_rates": 2, "message_billing_by_regime": 2}
    assert facts(con, "billing_reason, estimated_cost") == {
        "u1": ("chargeable", Decimal("0.010000")),
        "u2": ("chargeable", Decimal("0.008000")),  # the month's second charged utility
        "s1": ("free_tier", 0),
        "s2": ("beyond_free_tier", Decimal("0.010000")),
        "u3": ("chargeable", Decimal("0.010000")),  # December counts from its first
        # December's free service delivery is the group's first (Bob's), Anna's is charged
        "group_reply": ("beyond_free_tier", Decimal("0.05")),
        "s3": ("beyond_free_tier", Decimal("0.010000")),
    }
    assert fetch_all(con, "select group_id, count(*) from group_delivery_billing group by all") == [
        (GROUP, 2)
    ]


# Months in the business time zone: a chunk reads int_outbound by send instant with a margin
# (message_billing_by_regime.sql), so the zones furthest from UTC, both ways, must lose nothing.
@pytest.mark.parametrize("time_zone", ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_a_rebuild_in_chunks_of_months_equals_the_rebuild_in_one_statement(
    tmp_path, monkeypatch, time_zone
):
    data = tmp_path / "data"
    generate_dataset(data, 5000, seed=3)
    settings = _settings_for_equality(tmp_path).with_overrides(business_time_zone=time_zone)
    whole = _loaded(settings, data)
    rebuild_warehouse(whole, settings)
    monkeypatch.setattr(chunks, "ROW_BYTES", 10**18)
    chunked = _loaded(settings, data)

    result = rebuild_warehouse(chunked, settings)

    assert result.chunks_by_step["message_billing_by_regime"] > 12
    assert_same_rows(chunked, whole, (*PUBLIC_TABLES, "message_billing_by_regime", "daily_costs"))
    whole.close()
    chunked.close()


def test_the_rebuild_command_says_which_step_it_wrote_in_chunks(tmp_path, one_month_per_chunk):
    from click.testing import CliRunner

    from flows.cli import main

    data = tmp_path / "data"
    generate_dataset(data, 300, seed=5)
    config = tmp_path / "carewindow.toml"
    config.write_text(
        f'[warehouse]\npath = "{tmp_path / "warehouse.duckdb"}"\n'
        f'temp_directory = "{tmp_path / "tmp"}"\n'
    )
    loaded = CliRunner().invoke(main, ["--config", str(config), "ingest", str(data)])
    assert loaded.exit_code == 0, loaded.output

    result = CliRunner().invoke(main, ["--config", str(config), "rebuild"])

    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    assert summary.startswith("rebuilt ")
    assert "; int_volume_tier_rates and message_billing_by_regime written in " in summary
    assert summary.endswith(" chunks of months to fit warehouse.memory_limit")
