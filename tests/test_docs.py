"""The documentation travels with the code: every link resolves inside the repository, the
generated parts are current, and every command, option, setting, query and example the pages
give works."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics import dictionary, doc_pages
from analytics.generate import generate_dataset
from analytics.regimes import load_registry
from flows import cli_reference
from flows.cli import main

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```", re.M | re.S)


def prose(path: Path) -> str:
    """The page without its fenced code blocks: what a reader sees as text and links."""
    return _FENCE.sub("", path.read_text(encoding="utf-8"))


def links(path: Path) -> list[str]:
    return _LINK.findall(prose(path))


def blocks(path: Path, language: str) -> list[str]:
    return [
        code for lang, code in _FENCE.findall(path.read_text(encoding="utf-8")) if lang == language
    ]


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading's anchor on a page; a repeated heading gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", prose(path), re.M):
        anchor = github_anchor(heading)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        if count:
            seen[f"{anchor}-{count}"] = 1
    return set(seen)


# --- links ------------------------------------------------------------------------------------


def test_github_anchors_are_made_as_github_makes_them():
    assert github_anchor("Meta's own figures and the template catalogue") == (
        "metas-own-figures-and-the-template-catalogue"
    )
    assert github_anchor("From Python: `analytics.api`") == "from-python-analyticsapi"
    assert github_anchor("4. Pricing regimes: which messages are free, which are chargeable") == (
        "4-pricing-regimes-which-messages-are-free-which-are-chargeable"
    )
    assert github_anchor("`carewindow ingest`") == "carewindow-ingest"


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.name)
def test_every_relative_link_resolves_to_a_file_and_a_heading_in_the_repository(path):
    for link in links(path):
        if re.match(r"^[a-z]+:", link):
            continue
        file_part, _, anchor = link.partition("#")
        target = (path.parent / file_part).resolve() if file_part else path
        assert target.is_relative_to(ROOT), f"{path.name} links {link}, outside the repository"
        assert target.exists(), f"{path.name} links {link}, which does not exist"
        if anchor:
            assert target.suffix == ".md", f"{path.name} links {link}: an anchor into no page"
            assert anchor in anchors(target), f"{path.name} links {link}: no such heading"


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.name)
def test_nothing_a_user_needs_is_linked_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert not [link for link in links(path) if link.startswith(("http://", "https://"))]


def test_the_readme_is_a_front_page_that_links_every_docs_page():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 400
    linked = {link.partition("#")[0] for link in links(README)}
    assert {f"docs/{page.name}" for page in DOCS} <= linked
    assert "docs/rules.md" in linked


def test_the_readme_keeps_its_two_set_up_commands_and_their_targets():
    readme = README.read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


# References to documents outside the repository: the product's requirements by section, an issue
# by its number, or a "#" and a number meaning an issue (not a colour: six hex digits, or three
# in quotes)
_ISSUE_OR_SPEC = re.compile(
    r"\bSPEC\b|\bspecification\b|\bissues? #?\d+|(?<![\w&/\"'])#\d{1,4}(?![\w-])", re.I
)


@pytest.mark.parametrize(
    "path",
    [
        *PAGES,
        ROOT / "Makefile",
        ROOT / "carewindow.toml",
        ROOT / "tests" / "samples" / "README.md",
        *sorted((ROOT / "flows").glob("*.py")),
        *sorted((ROOT / "benchmarks").glob("*.py")),
        *sorted((ROOT / "reports").rglob("*.py")),
        *sorted((ROOT / "reports").rglob("*.sql")),
        *sorted((ROOT / "reports" / "templates").rglob("*.html")),
        *[
            ROOT / "tests" / name
            for name in ("test_docs.py", "test_generate.py", "test_api.py", "test_benchmark.py")
        ],
        *sorted((ROOT / "tests").glob("test_operations*.py")),
    ],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_no_reference_to_documents_a_clone_does_not_have(path):
    """A rule's source is a section of docs/rules.md or Meta's page, which a clone has."""
    text = path.read_text(encoding="utf-8")
    if path == dictionary.PAGE:
        # The data dictionary is the descriptions of analytics/sql/*.toml as they are written:
        # they are kept free of such references in analytics/, not here.
        text = dictionary.page_with_dictionary(text, "")
    found = _ISSUE_OR_SPEC.findall(text)
    assert not found, f"{path.relative_to(ROOT)} names {found}"


# --- generated parts --------------------------------------------------------------------------


def test_the_command_line_reference_and_the_readme_command_table_are_current():
    """Run `python -m flows.cli_reference --write` when this fails."""
    assert doc_pages.stale_pages(cli_reference.parts()) == []


def test_the_regime_tables_are_current():
    """Run `python -m analytics.doc_pages --write` when this fails."""
    assert doc_pages.stale_pages(doc_pages.regime_table_parts()) == []


def test_the_command_line_reference_has_every_command_with_its_help():
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert f"## `carewindow {name}`" in reference, name
        assert f"Usage: carewindow {name} [OPTIONS]" in reference, name
        for option in command.params:
            for spelling in option.opts:
                if spelling.startswith("--"):
                    assert spelling in reference, (name, spelling)


def test_the_readme_names_every_command_with_its_first_sentence():
    readme = README.read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert f"[`carewindow {name}`](docs/cli.md#carewindow-{name})" in readme, name
        assert cli_reference.summary(command) in readme, name


def test_the_rules_name_every_regime_of_the_registry_with_the_day_it_comes_into_force():
    rules = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for regime in load_registry():
        row = re.search(rf"^\| `{regime.name}` \|(.*)$", rules, re.M)
        assert row, f"docs/rules.md has no row for {regime.name}"
        if regime.in_force_from.year > 1:
            assert regime.in_force_from.isoformat() in row.group(1), regime.name
        assert re.search(rf"^- `{regime.name}`: ", rules, re.M), (
            f"docs/rules.md does not say what {regime.name} charges"
        )


def test_the_docs_call_no_confirmed_regime_unconfirmed():
    # the configuration text once called per_message_2026_10 unconfirmed after Meta confirmed it
    for path in PAGES:
        text = " ".join(path.read_text(encoding="utf-8").split())
        for regime in load_registry():
            if regime.confirmed_by_meta:
                for wording in (f"unconfirmed `{regime.name}`", f"`{regime.name}` (unconfirmed"):
                    assert wording not in text, (path.name, wording)


def test_a_generator_checks_writes_and_names_missing_markers(tmp_path, capsys):
    page = tmp_path / "page.md"
    part = doc_pages.GeneratedPart(page, "sample", "python -m sample --write", "new")
    page.write_text(
        f"# x\n\n{doc_pages.start_marker('sample', part.command)}\nold\n"
        f"{doc_pages.end_marker('sample')}\nafter\n",
        encoding="utf-8",
    )

    def run(flag: str) -> int:
        return doc_pages.generator_main([flag], "python -m sample", "A sample.", lambda: [part])

    assert run("--check") == 1
    assert "python -m sample --write" in capsys.readouterr().err
    assert run("--write") == 0
    assert "\nnew\n" in page.read_text(encoding="utf-8")
    assert page.read_text(encoding="utf-8").endswith("-->\nafter\n")
    assert run("--check") == 0

    page.write_text("# no markers\n", encoding="utf-8")
    assert run("--check") == 1
    assert "has no sample markers" in capsys.readouterr().err


# --- what the pages tell a user to type exists -----------------------------------------------


def _commands(path: Path) -> list[list[str]]:
    """Every command line the page gives: lines of its sh blocks, and inline `code` spans."""
    text = path.read_text(encoding="utf-8")
    candidates = [line for block in blocks(path, "sh") for line in block.splitlines()]
    candidates += re.findall(r"`([^`\n]+)`", prose(path))
    commands = []
    for candidate in candidates:
        candidate = re.sub(r"(^|\s)#.*$", "", candidate)  # a shell comment
        for part in re.split(r"&&|;|\|(?!\w)", candidate):
            try:
                words = shlex.split(part)
            except ValueError:
                words = part.split()
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value before it
                words = words[1:]
            if words:
                words[0] = words[0].removeprefix(".venv/bin/")
                commands.append(words)
    assert text  # a page without text would pass vacuously
    return commands


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.name)
def test_every_carewindow_command_and_option_the_page_names_exists(path):
    for words in _commands(path):
        if words[0] != "carewindow":
            continue
        rest = words[1:]
        while rest and rest[0].startswith("-"):  # the group's own options
            assert rest[0] in ("--config", "--version", "--help", "-h"), (path.name, words)
            rest = rest[2:] if rest[0] == "--config" else rest[1:]
        if not rest or not re.fullmatch(r"[a-z-]+", rest[0]):
            continue
        assert rest[0] in main.commands, f"{path.name}: no command `carewindow {rest[0]}`"
        options = {"--help", "-h"} | {
            spelling for param in main.commands[rest[0]].params for spelling in param.opts
        }
        options |= {
            spelling
            for param in main.commands[rest[0]].params
            for spelling in getattr(param, "secondary_opts", [])
        }
        for word in rest[1:]:
            if word.startswith("--"):
                name = word.split("=")[0]
                assert name in options, f"{path.name}: `carewindow {rest[0]}` has no {name}"


@pytest.fixture(scope="module")
def benchmark_options() -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path.name)
def test_every_make_target_and_benchmark_option_the_page_names_exists(path, benchmark_options):
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    for words in _commands(path):
        if words[0] == "make" and len(words) > 1:
            assert words[1] in targets, f"{path.name}: no make target {words[1]}"
        if "benchmarks/run.py" in words:
            for word in words[words.index("benchmarks/run.py") + 1 :]:
                if word.startswith("--"):
                    assert word in benchmark_options, f"{path.name}: the benchmark has no {word}"


def test_every_setting_of_the_configuration_file_is_documented():
    shipped = tomllib.loads((ROOT / "carewindow.toml").read_text(encoding="utf-8"))
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for section, table in shipped.items():
        for key in table:
            assert f"`{section}.{key}`" in page, f"docs/configuration.md lacks {section}.{key}"


@pytest.mark.parametrize(
    "example",
    blocks(ROOT / "docs" / "configuration.md", "toml"),
    ids=lambda example: example.split("\n")[0],
)
def test_every_configuration_example_is_a_valid_configuration(example, tmp_path):
    from analytics.config import load_settings

    config = tmp_path / "carewindow.toml"
    config.write_text(example, encoding="utf-8")
    load_settings(config)  # raises ConfigError, naming the key, when a value is wrong


def test_the_readme_first_use_works_on_an_export(tmp_path, monkeypatch):
    """The README's commands, as written, on an export in a fresh working folder."""
    readme = README.read_text(encoding="utf-8")
    section = readme.split("## A first use")[1].split("\n## ")[0]
    block = _FENCE.search(section).group(2)
    lines = [line.split("#")[0].split() for line in block.splitlines()]
    commands = [words[1:] for words in lines if words and words[0] == "carewindow"]
    assert [words[0] for words in commands] == ["ingest", "rebuild", "report"]

    generate_dataset(tmp_path / "generated", 1_500, seed=11, start=date(2026, 9, 1), days=45)
    exports = tmp_path / "exports"
    exports.mkdir()
    export = next(word for word in commands[0] if word.startswith("exports/"))
    shutil.move(tmp_path / "generated" / "messages.csv", tmp_path / export)
    shutil.copytree(ROOT / "data" / "rate_cards", tmp_path / "data" / "rate_cards")
    monkeypatch.chdir(tmp_path)
    for words in commands:
        result = CliRunner().invoke(main, words)
        assert result.exit_code == 0, (words, result.output)
    assert (tmp_path / "data" / "reports" / "index.html").exists()


# --- queries and examples run ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory) -> Path:
    """A small demo warehouse: the demo's generator (default period), loaded and rebuilt
    through the command line, so that its runs are recorded as a user's would be."""
    folder = tmp_path_factory.mktemp("demo")
    generate_dataset(folder / "inbox", 4_000, seed=42)
    config = folder / "carewindow.toml"
    config.write_text(f'[warehouse]\ntemp_directory = "{folder / "tmp"}"\n', encoding="utf-8")
    db = str(folder / "warehouse.duckdb")
    for command in (
        ["ingest", str(folder / "inbox"), str(ROOT / "data" / "rate_cards"), "--db", db],
        ["rebuild", "--db", db],
    ):
        result = CliRunner().invoke(main, ["--config", str(config), *command])
        assert result.exit_code == 0, result.output
    return Path(db)


def queries() -> list[tuple[str, str]]:
    """(page, statement) for every SQL statement of the README and the docs pages."""
    statements = []
    for path in PAGES:
        for block in blocks(path, "sql"):
            without_comments = re.sub(r"--[^\n]*", "", block)
            statements += [
                (path.name, part.strip()) for part in without_comments.split(";") if part.strip()
            ]
    return statements


def test_the_pages_have_example_queries():
    pages = {page for page, _ in queries()}
    assert len(queries()) >= 10
    assert {"README.md", "warehouse.md", "rules.md", "inputs.md", "operations.md"} <= pages


@pytest.mark.parametrize(
    "page, query", queries(), ids=lambda value: value.split("\n")[0][:60].replace(" ", "_")
)
def test_every_query_of_the_pages_returns_rows_on_the_demo(demo_warehouse, page, query):
    import duckdb

    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        rows = con.execute(query).fetchall()
    assert rows, f"no rows on the demo warehouse ({page}): {query}"


def test_the_python_example_runs_on_the_demo(demo_warehouse):
    page = ROOT / "docs" / "warehouse.md"
    (example,) = [block for block in blocks(page, "python") if "open_warehouse" in block]
    namespace: dict = {}
    exec(example.replace("data/demo/warehouse.duckdb", str(demo_warehouse)), namespace)  # noqa: S102
    assert len(namespace["october"]) > 0
    assert len(namespace["sent"]) > 0
    assert len(namespace["by_regime"]) > 0


# --- the rules explain every verdict the code gives --------------------------------------------


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
