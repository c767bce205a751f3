"""The rebuild plan: steps declared beside their SQL, ordered by what each reads."""

from __future__ import annotations

import pytest

from analytics.db import SQL_DIR
from analytics.plan import PlanError, declared_steps, reads, rebuild_plan, steps_for
from analytics.rebuild import STEPS


def test_every_step_runs_after_the_steps_it_reads():
    names = [step.name for step in STEPS]
    for position, step in enumerate(STEPS):
        for read in reads(step, names):
            assert names.index(read) < position, f"{step.name} reads {read}, planned later"


def test_the_plan_holds_every_declared_step_once():
    assert sorted(step.name for step in STEPS) == sorted(declared_steps())
    assert len({step.name for step in STEPS}) == len(STEPS)
    assert all((SQL_DIR / f"{step.name}.sql").exists() for step in STEPS)


def test_a_per_regime_step_reads_what_every_regimes_rule_reads():
    # the conversation regimes' rules read the chain walks' tables; the template alone does not
    steps = declared_steps()
    assert {"int_conversations_opened", "int_conversations_service"} <= reads(
        steps["int_regime_verdicts"], steps
    )


def test_steps_for_a_table_are_what_it_needs_and_no_more():
    needed = [step.name for step in steps_for(["care_windows"])]
    assert needed == [
        "int_customer_contacts",
        "int_group_opt_ins",
        "int_inbound_events",
        "int_outbound",
        "care_windows",
    ]
    # what is given is not built, nor what only it needs
    given = steps_for(["care_windows"], given=["int_outbound", "int_inbound_events"])
    assert [step.name for step in given] == ["care_windows"]


def _step(folder, name, sql, declaration='materialization = "temp"'):
    (folder / f"{name}.sql").write_text(sql, encoding="utf-8")
    (folder / f"{name}.toml").write_text(f"[step]\n{declaration}\n", encoding="utf-8")


def test_a_folder_of_steps_is_ordered_by_reads_thread_steps_first(tmp_path):
    _step(tmp_path, "int_b", "select * from int_a")
    _step(tmp_path, "int_a", "select 1 -- int_c is named in a comment only")
    _step(tmp_path, "total", "select * from int_b", 'materialization = "table"\nscope = "account"')
    _step(tmp_path, "int_c", "select 2")
    assert [step.name for step in rebuild_plan(tmp_path)] == ["int_a", "int_b", "int_c", "total"]


def test_steps_that_read_each_other_are_named(tmp_path):
    _step(tmp_path, "int_a", "select * from int_b")
    _step(tmp_path, "int_b", "select * from int_a")
    with pytest.raises(PlanError, match="int_a, int_b read each other in a circle"):
        rebuild_plan(tmp_path)


def test_a_declaration_without_its_sql_or_with_a_wrong_key_is_named(tmp_path):
    (tmp_path / "int_lost.toml").write_text('[step]\nmaterialization = "temp"\n')
    with pytest.raises(PlanError, match="int_lost.sql does not exist"):
        declared_steps(tmp_path)
    (tmp_path / "int_lost.toml").unlink()
    _step(tmp_path, "int_odd", "select 1", 'materialization = "temp"\norder = 3')
    with pytest.raises(PlanError, match="unknown: order"):
        declared_steps(tmp_path)
    _step(tmp_path, "int_odd", "select 1", 'materialization = "temporary"')
    with pytest.raises(PlanError, match="unknown materialization"):
        declared_steps(tmp_path)
