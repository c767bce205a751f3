"""The rebuild plan: every step declared beside its SQL, in the order what each reads gives.

A step is analytics/sql/<name>.sql with, in <name>.toml, a `[step]` table:

    [step]
    materialization = "table"   # table (public), view, or temp (intermediate)
    scope = "account"           # thread: one thread's rows at a time; account: the whole warehouse
    per_regime = true           # the SQL is a jinja2 template over the regime registry
    [step.codes]                # optional: columns stored as one-byte codes behind a view
    market = "market"           # column = vocabulary of data/codes.toml (analytics/storage.py)
    [step.derived]              # optional: columns the view computes instead of storing them
    window_id = "..."           # column = SQL expression over the public columns
    [step.chunks]               # optional: an account step written a few months at a time
    column = "send_month"       # when its input outgrows memory (analytics/chunks.py)
    rows_from = "int_regime_verdicts"

A step reads the steps its SQL names (comments aside); the plan runs every step after those it
reads, thread steps before account steps where the reads allow it (the shape a partitioned run
needs), and otherwise by name, so the order is the same on every machine. Nobody keeps a list.
"""

from __future__ import annotations

import functools
import heapq
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from analytics.db import SQL_DIR
from analytics.steps import Step

_COMMENT = re.compile(r"--[^\n]*|\{#.*?#\}", re.DOTALL)


class PlanError(ValueError):
    """A step declaration is wrong; the message names the file."""


def declared_steps(folder: Path = SQL_DIR) -> dict[str, Step]:
    """Every step declared by a `[step]` table in folder's .toml files, by name."""
    return dict(_declared_steps(Path(folder)))


@functools.cache
def _declared_steps(folder: Path) -> tuple[tuple[str, Step], ...]:
    steps = []
    for path in sorted(folder.glob("*.toml")):
        try:
            declaration = tomllib.loads(path.read_text(encoding="utf-8")).get("step")
        except tomllib.TOMLDecodeError as error:
            raise PlanError(f"{path} is not valid TOML: {error}") from error
        if declaration is None:
            continue
        if not (folder / f"{path.stem}.sql").exists():
            raise PlanError(f"{path} declares a step, but {path.stem}.sql does not exist")
        unknown = set(declaration) - {
            "materialization",
            "scope",
            "per_regime",
            "codes",
            "stored_only",
            "derived",
            "chunks",
        }
        if unknown or "materialization" not in declaration:
            raise PlanError(
                f"{path}: [step] takes materialization (table, view or temp), scope (thread or "
                f"account), per_regime (true or false), stored_only, [step.codes], "
                f"[step.derived] and [step.chunks]"
                + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
            )
        chunks = declaration.get("chunks", {})
        if set(chunks) - {"column", "rows_from"}:
            raise PlanError(f"{path}: [step.chunks] takes column and rows_from")
        try:
            steps.append(
                (
                    path.stem,
                    Step(
                        path.stem,
                        declaration["materialization"],
                        scope=declaration.get("scope", "thread"),
                        per_regime=bool(declaration.get("per_regime", False)),
                        codes=tuple(declaration.get("codes", {}).items()),
                        stored_only=tuple(declaration.get("stored_only", ())),
                        derived=tuple(declaration.get("derived", {}).items()),
                        chunk_by=chunks.get("column", ""),
                        chunk_rows_from=chunks.get("rows_from", ""),
                    ),
                )
            )
        except ValueError as error:
            raise PlanError(f"{path}: {error}") from error
    return tuple(steps)


def _sql(step: Step, folder: Path) -> str:
    """The step's SQL as it runs: a per-regime template rendered with every regime's rule."""
    if Path(folder) == SQL_DIR:
        return step.sql
    text = (Path(folder) / f"{step.name}.sql").read_text(encoding="utf-8")
    if not step.per_regime:
        return text
    from analytics.regimes import render_sql  # the registry reads settings: imported late

    return render_sql(text)


def reads(step: Step, names: Iterable[str], folder: Path = SQL_DIR) -> set[str]:
    """Which of `names` the step's SQL names, comments aside (itself excepted). A per-regime
    step is read as rendered: what it reads includes every regime's rule."""
    text = _COMMENT.sub("", _sql(step, folder))
    return {
        name for name in names if name != step.name and re.search(rf"\b{re.escape(name)}\b", text)
    }


def rebuild_plan(folder: Path = SQL_DIR) -> tuple[Step, ...]:
    """Every declared step, each after the steps it reads: thread steps first where the reads
    allow, then by name."""
    return _rebuild_plan(Path(folder))


@functools.cache
def _rebuild_plan(folder: Path) -> tuple[Step, ...]:
    steps = declared_steps(folder)
    needs = {name: reads(step, steps, folder) for name, step in steps.items()}
    waiting = {name: set(read) for name, read in needs.items()}
    ready = [(_rank(steps[name]), name) for name, read in waiting.items() if not read]
    heapq.heapify(ready)
    order: list[Step] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(steps[name])
        for other, read in waiting.items():
            if name in read:
                read.discard(name)
                if not read:
                    heapq.heappush(ready, (_rank(steps[other]), other))
    if len(order) < len(steps):
        stuck = sorted(set(steps) - {step.name for step in order})
        raise PlanError(f"the steps {', '.join(stuck)} read each other in a circle")
    return tuple(order)


def _rank(step: Step) -> int:
    return 0 if step.scope == "thread" else 1


def steps_for(targets: Iterable[str], given: Iterable[str] = ()) -> tuple[Step, ...]:
    """The steps of the plan that `targets` need (themselves included), in plan order, leaving
    out the `given` ones and what only they need."""
    steps = {step.name: step for step in rebuild_plan()}
    given = set(given)
    needed: set[str] = set()
    pending = [name for name in targets if name not in given]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        pending.extend(read for read in reads(steps[name], steps) if read not in given)
    return tuple(step for step in rebuild_plan() if step.name in needed)
