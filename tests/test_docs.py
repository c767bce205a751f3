"""The documentation travels with the code: every link resolves inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.regimes import load_registry

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def links(path: Path) -> list[str]:
    return _LINK.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.name)
def test_every_relative_link_resolves_to_a_file_in_the_repository(path):
    for link in links(path):
        if re.match(r"^[a-z]+:", link) or link.startswith("#"):
            continue
        target = (path.parent / link.split("#")[0]).resolve()
        assert target.is_relative_to(ROOT), f"{path.name} links {link}, outside the repository"
        assert target.exists(), f"{path.name} links {link}, which does not exist"


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.name)
def test_nothing_a_user_needs_is_linked_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert not [link for link in links(path) if link.startswith(("http://", "https://"))]


def test_the_readme_links_the_rules():
    assert "docs/rules.md" in links(ROOT / "README.md")


def test_the_rules_name_every_regime_of_the_registry_with_the_day_it_comes_into_force():
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for regime in load_registry():
        row = re.search(rf"^\| `{regime.name}` \| ([^|]*)\|", rules, re.M)
        assert row, f"docs/rules.md has no row for {regime.name}"
        if regime.in_force_from.year > 1:
            assert regime.in_force_from.isoformat() in row.group(1), regime.name


def test_the_docs_call_no_confirmed_regime_unconfirmed():
    # issue 29: the README's Configuration section still called per_message_2026_10 unconfirmed
    for path in (ROOT / "README.md", ROOT / "docs" / "rules.md"):
        text = " ".join(path.read_text(encoding="utf-8").split())
        for regime in load_registry():
            if regime.confirmed_by_meta:
                for wording in (f"unconfirmed `{regime.name}`", f"`{regime.name}` (unconfirmed"):
                    assert wording not in text, (path.name, wording)


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory) -> Path:
    """A small demo warehouse: the demo's generator (default period), loaded and rebuilt."""
    from analytics.config import Settings
    from analytics.db import connect_file
    from analytics.generate import generate_dataset
    from analytics.ingest import ingest_paths
    from analytics.rebuild import rebuild_warehouse

    folder = tmp_path_factory.mktemp("demo")
    generate_dataset(folder / "inbox", 4_000, seed=42)
    settings = Settings(db_path=str(folder / "warehouse.duckdb"), temp_directory=str(folder))
    con = connect_file(Path(settings.db_path), settings)
    result = ingest_paths(con, [folder / "inbox", ROOT / "data" / "rate_cards"], settings)
    assert not result.errors, result.errors
    rebuild_warehouse(con, settings)
    con.close()
    return Path(settings.db_path)


def readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def readme_queries() -> list[str]:
    statements = []
    for block in readme_blocks("sql"):
        without_comments = re.sub(r"--[^\n]*", "", block)
        statements += [part.strip() for part in without_comments.split(";") if part.strip()]
    return statements


def test_the_readme_has_example_queries():
    assert len(readme_queries()) >= 6


@pytest.mark.parametrize("query", readme_queries(), ids=lambda query: query.split("\n")[0][:60])
def test_every_readme_query_returns_rows_on_the_demo(demo_warehouse, query):
    import duckdb

    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        rows = con.execute(query).fetchall()
    assert rows, f"no rows on the demo warehouse: {query}"


def test_the_readme_python_example_runs_on_the_demo(demo_warehouse):
    (example,) = [block for block in readme_blocks("python") if "open_warehouse" in block]
    namespace: dict = {}
    exec(example.replace("data/demo/warehouse.duckdb", str(demo_warehouse)), namespace)  # noqa: S102
    assert len(namespace["october"]) > 0
    assert len(namespace["sent"]) > 0
    assert len(namespace["by_regime"]) > 0


def documented_reasons() -> set[str]:
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    section = rules.split("### Why a message is free or chargeable")[1].split("\n## ")[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))


def test_every_billing_reason_the_rebuild_gives_is_explained_in_the_rules(con, settings):
    from report_fixtures import build_report_warehouse

    from analytics.db import fetch_all

    build_report_warehouse(con, settings)
    given = {
        row[0] for row in fetch_all(con, "select distinct billing_reason from message_billing")
    }
    assert given <= documented_reasons(), given - documented_reasons()
    assert len(given) >= 5


def test_every_billing_reason_the_rules_explain_is_one_the_pricing_sql_gives():
    rules_sql = " ".join(
        path.read_text(encoding="utf-8")
        for path in [
            *(ROOT / "analytics/sql/regimes").glob("*.sql"),
            ROOT / "analytics/sql/message_billing_by_regime.sql",
        ]
    )
    for reason in documented_reasons():
        assert f"'{reason}'" in rules_sql, reason
