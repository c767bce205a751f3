"""Security: values bound in SQL, data escaped in HTML, customer numbers masked, inbox confined.

Every test feeds hostile data through the real command line (or the real source files) and
checks the exact outcome.
"""

from __future__ import annotations

import ast
import csv
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from rows import LOG_COLUMNS_WITHOUT_BSUID
from test_reliability import (
    RATE_CARDS,
    _environment,
    assert_no_traceback,
    carewindow,
    cli_command,
    count,
    write_config,
)

from analytics.generate import generate_dataset
from analytics.inbox import inbox_files
from flows.nightly import find_inbox_files

ROOT = Path(__file__).resolve().parent.parent
INJECTION = "x'); drop table messages; --"
MESSAGE_HEADER = list(LOG_COLUMNS_WITHOUT_BSUID)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# ------------------------------------------------------------------ SQL values are bound


HOSTILE_TEXTS = [
    INJECTION,
    "o'brien\"; delete from load_log; --",
    "'; update messages set contact = 'hacked' where ''='",
    "$1 ? $path {x} %s",
    "\\'; select 1; --",
]


def test_quotes_semicolons_and_sql_in_the_data_round_trip_exactly_and_harm_nothing(tmp_path):
    # The folder, the warehouse and the file names are hostile too.
    folder = tmp_path / "o'neil; drop table load_log; --"
    write_config(tmp_path)
    rows = [
        [
            f"in-{n}",
            "2025-03-03T09:00:00Z",
            "inbound",
            "31201234567",
            "31612345678",
            "text",
            "",
            "",
            "",
            "",
            text,
        ]
        for n, text in enumerate(HOSTILE_TEXTS)
    ] + [
        [
            text,
            "2025-03-03T10:00:00Z",
            "outbound",
            "31201234567",
            "31612345678",
            "template",
            text,
            "marketing",
            "delivered",
            "",
            "waba1",
        ]
        for text in HOSTILE_TEXTS
    ]
    log = write_csv(folder / "it's; messages.csv", MESSAGE_HEADER, rows)
    ledger = write_csv(
        folder / "ledger.csv",
        ["contact", "timestamp", "event", "scope", "business_number", "source"],
        [["31612345678", "2025-03-01T00:00:00Z", "opt_in", "all", "", INJECTION]],
    )
    db = folder / "ware'house.duckdb"

    loaded = carewindow("ingest", str(log), str(ledger), "--db", str(db), cwd=tmp_path)
    rebuilt = carewindow("rebuild", "--db", str(db), cwd=tmp_path)

    assert loaded.returncode == 0, loaded.stderr
    assert rebuilt.returncode == 0, rebuilt.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        templates = con.execute(
            "select message_id, template_name from message_facts order by message_id"
        ).fetchall()
        accounts = con.execute(
            "select waba_id from messages where direction = 'inbound' order by message_id"
        ).fetchall()
        sources = con.execute("select source from opt_in_events").fetchall()
        loads = con.execute("select file, outcome from load_log order by load_id").fetchall()
        contacts = con.execute("select distinct contact from messages").fetchall()
    assert templates == sorted((text, text) for text in HOSTILE_TEXTS)
    assert accounts == [(text,) for text in HOSTILE_TEXTS]
    assert sources == [(INJECTION,)]
    assert loads == [(str(log), "loaded"), (str(ledger), "loaded")]
    assert contacts == [("31612345678",)]
    assert count(db, "select count(*) from quarantine") == 0


# The calls that run SQL text: the first positional argument is SQL.
_SQL_CALLS = {"execute", "executemany", "sql", "query", "fetch_all", "fetch_value", "run_sql"}
_SQL_CALL_ARGUMENT = {"fetch_all": 1, "fetch_value": 1, "run_sql": 1}
# Text that can only be SQL (not an error message or a path).
_LOOKS_LIKE_SQL = re.compile(
    r"(?is)\bselect\b.+\bfrom\b|\binsert\s+into\b|\bcreate\s+(or\s+replace\s+)?(temp\w*\s+)?"
    r"(table|view|macro)\b|\bdelete\s+from\b|\bupdate\s+\w+\s+set\b|\bdrop\s+(table|view)\b|"
    r"\bread_(csv|parquet|json)\w*\s*\(|::\s*(varchar|bigint|integer|boolean|date|timestamp)"
)
# SQL text just before a pasted piece that puts the piece where a value goes.
_VALUE_POSITION = re.compile(
    r"(?is)(=|<>|!=|<|>|\blike|\bilike|\bin\s*\(|\bvalues\s*\(|\blimit|\boffset|\binterval|"
    r"\bbetween|\bthen|\belse|\bwhen|\bset\s+\w+\s+to)\s*$"
)
# Pieces pasted inside a quoted SQL literal that are known to be internal, with the reason.
_INTERNAL_LITERALS = {
    "self.rejects": "the name of DuckDB's rejects table, built from the integer load id",
    "self.reject_scans": "the name of DuckDB's rejects scan table, built from the load id",
    "self.rejects_now": "the rejects table of one read: the load's, or a numbered scratch one",
    "stage.rejects": "the staging's rejects table name, built from the integer load id",
    "stage.reject_scans": "the staging's rejects scan table name, built from the load id",
    "rejects": "a rejects table name of the staging (self.rejects or a numbered copy of it)",
}


@dataclass(frozen=True)
class PastedValue:
    file: str
    line: int
    expression: str
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {{{self.expression}}} {self.why}"


def _pieces(node: ast.AST, names: dict[str, ast.AST]) -> list[str | ast.AST] | None:
    """SQL text as literal strings and pasted expressions, or None when it is no string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        pieces: list[str | ast.AST] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                pieces.append(part.value)
            else:
                pieces.append(part)
        return pieces
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _pieces(node.left, names), _pieces(node.right, names)
        if left is None and right is None:
            return None
        return (left or [node.left]) + (right or [node.right])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        template = _pieces(node.left, names)
        if template is None or not all(isinstance(p, str) for p in template):
            return None
        return _split_placeholders(
            "".join(template), re.compile(r"%(\([^)]*\))?[sdrf]"), node.right
        )
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and receiver.id in names:
            receiver = names[receiver.id]
        template = _pieces(receiver, names)
        if template is None or not all(isinstance(p, str) for p in template):
            return None
        return _split_placeholders(
            "".join(template), re.compile(r"\{[^{}]*\}"), ast.Tuple(elts=node.args, ctx=ast.Load())
        )
    if isinstance(node, ast.Name) and node.id in names:
        return _pieces(names[node.id], names)
    return None


def _split_placeholders(template: str, placeholder: re.Pattern, filler: ast.AST) -> list:
    pieces: list[str | ast.AST] = []
    position = 0
    for match in placeholder.finditer(template):
        pieces += [template[position : match.start()], filler]
        position = match.end()
    return pieces + [template[position:]]


def pasted_values(source: str, file: str) -> list[PastedValue]:
    """Places where Python pastes something into SQL text where a value belongs."""
    tree = ast.parse(source)
    names: dict[str, ast.AST] = {}  # simple `name = "..."` assignments, for .format receivers
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            names[node.targets[0].id] = node.value
    candidates: list[ast.AST] = []
    run_as_sql: set[int] = set()  # ids of the nodes passed to a call that runs SQL
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", None)
            )
            position = _SQL_CALL_ARGUMENT.get(called, 0)
            if called in _SQL_CALLS and len(node.args) > position:
                candidates.append(node.args[position])
                run_as_sql.add(id(node.args[position]))
        if isinstance(node, ast.JoinedStr | ast.BinOp | ast.Call):
            candidates.append(node)
    found: dict[tuple[int, str], PastedValue] = {}
    for node in candidates:
        pieces = _pieces(node, names)
        if not pieces or all(isinstance(p, str) for p in pieces):
            continue
        text = "".join(p for p in pieces if isinstance(p, str))
        if not _LOOKS_LIKE_SQL.search(text) and id(node) not in run_as_sql:
            continue
        before = ""
        for piece in pieces:
            if isinstance(piece, str):
                before += piece
                continue
            expression = piece.value if isinstance(piece, ast.FormattedValue) else piece
            shown = ast.unparse(expression)
            why = None
            if isinstance(piece, ast.FormattedValue) and piece.conversion == ord("r"):
                why = "is pasted as a Python repr (quoted like a literal)"
            elif before.count("'") % 2 == 1 and shown not in _INTERNAL_LITERALS:
                why = "is pasted inside a quoted SQL literal"
            elif _VALUE_POSITION.search(before):
                why = "is pasted where SQL expects a value"
            if why:
                line = getattr(piece, "lineno", getattr(node, "lineno", 0))
                found[(line, shown)] = PastedValue(file, line, shown, why)
            before += "?"
    return sorted(found.values(), key=lambda v: (v.file, v.line))


def test_the_sql_scanner_finds_pasted_values_and_leaves_identifiers_alone():
    flagged = pasted_values(
        "con.execute(f\"select * from messages where message_id = '{message_id}'\")\n"
        "con.execute(f'delete from messages where sent_at < {cutoff}')\n"
        "con.execute(\"select * from messages where contact = '%s'\" % contact)\n"
        'con.execute("insert into quarantine values ({}, {})".format(line, raw))\n'
        "con.execute('select * from t where a = ' + value)\n"
        'sql = f"update messages set status = {status!r}"\n'
        "con.execute(f'set memory_limit = {limit}')\n",
        "bad.py",
    )
    assert [(value.line, value.expression) for value in flagged] == [
        (1, "message_id"),
        (2, "cutoff"),
        (3, "contact"),
        (4, "(line, raw)"),
        (5, "value"),
        (6, "status"),
        (7, "limit"),
    ]
    assert (
        pasted_values(
            "con.execute(f'select {_quoted(c)}::varchar as {_quoted(c)} from read_csv($path)')\n"
            "con.execute(f'create or replace temp table {step.name} as {body}', [value])\n"
            "con.execute('select * from (' + sql_text('x') + ') where id = ?', [identifier])\n"
            'message = f"{path}: cannot be read ({error}); check it is a complete CSV file"\n',
            "good.py",
        )
        == []
    )


def test_no_sql_text_in_the_code_has_a_value_pasted_into_it():
    files = sorted(
        path
        for folder in ("analytics", "flows", "reports")
        for path in (ROOT / folder).rglob("*.py")
    )
    assert len(files) > 10
    flagged = [
        value
        for path in files
        for value in pasted_values(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert flagged == [], "values must be bound as parameters:\n" + "\n".join(map(str, flagged))


# ------------------------------------------------------------- reports: escaped and masked


class _Page(HTMLParser):
    """The elements, the visible text and the script bodies of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def parsed(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


MARKUP_TEMPLATE = "<img src=x onerror=alert(1)>"
MARKUP_FILE_NAME = "<svg onload=alert(2)>.csv"


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """A generated history plus hostile rows, loaded, rebuilt and reported through the CLI."""
    folder = tmp_path_factory.mktemp("reported")
    data = folder / "data"
    generate_dataset(data, 3_000, seed=31, start=date(2025, 6, 1), days=30, webhooks=False)
    # A file name is data too.
    hostile = write_csv(
        data / MARKUP_FILE_NAME,
        MESSAGE_HEADER,
        [
            # A template sent without opt-in: a violation, so its name is in every violation list.
            [
                "hostile-1",
                "2025-06-20T10:00:00Z",
                "outbound",
                "31201234567",
                "31687654321",
                "template",
                MARKUP_TEMPLATE,
                "marketing",
                "delivered",
                "",
                "waba1",
            ],
            [
                "hostile-2",
                "2025-06-20T11:00:00Z",
                "outbound",
                "31201234567",
                "31687654321",
                "template",
                MARKUP_TEMPLATE,
                "utility",
                "read",
                "",
                "waba1",
            ],
            # A row with a bad timestamp, quarantined.
            [
                "hostile-3",
                "<script>alert(3)</script>",
                "outbound",
                "31201234567",
                "31687654321",
                "template",
                "<script>alert(3)</script>",
                "marketing",
                "sent",
                "",
                "waba1",
            ],
        ],
    )
    write_config(folder)
    db = folder / "warehouse.duckdb"
    reports = folder / "reports"
    outputs = [
        carewindow("ingest", str(data), str(RATE_CARDS), "--db", str(db), cwd=folder),
        carewindow("rebuild", "--db", str(db), cwd=folder),
        carewindow("report", "--db", str(db), "--out", str(reports), cwd=folder),
    ]
    for completed in outputs:
        assert completed.returncode == 0, completed.stderr
    return {"data": data, "hostile": hostile, "db": db, "reports": reports, "outputs": outputs}


def test_markup_from_the_data_is_shown_as_text_in_every_report(reported):
    pages = sorted(reported["reports"].rglob("*.html"))
    assert len(pages) >= 3  # index, daily, monthly
    shown_in = []
    for path in pages:
        page = parsed(path)
        assert not [tag for tag, attrs in page.tags if {"onerror", "onload"} & set(attrs)], path
        assert not [
            attrs
            for tag, attrs in page.tags
            if tag == "script" and "src" in attrs and not attrs["src"].endswith(".js")
        ], path
        scripts = "".join(page.scripts)
        assert not re.search(r"<(img|svg|script)", scripts), path
        if MARKUP_TEMPLATE in "".join(page.text):
            shown_in.append(path.name)
    assert any(re.fullmatch(r"\d{4}-\d{2}\.html", name) for name in shown_in), shown_in


def _contacts(data: Path) -> set[str]:
    with (data / "messages.csv").open(encoding="utf-8") as handle:
        numbers = {row["contact"] for row in csv.DictReader(handle)}
    with (data / "opt_in_ledger.csv").open(encoding="utf-8") as handle:
        numbers |= {row["contact"] for row in csv.DictReader(handle)}
    return {re.sub(r"\D", "", number) for number in numbers} | {"31687654321"}


def full_numbers_in(text: str, numbers: set[str]) -> set[str]:
    """The customer numbers written out whole in `text`, as digits or with spaces and dashes."""
    runs = set(re.findall(r"\d+", text))
    runs |= {re.sub(r"\D", "", run) for run in re.findall(r"\+?\d(?:[\d .\-()]*\d){6,}", text)}
    return runs & numbers


def test_customer_numbers_are_masked_in_reports_and_absent_from_command_output(reported):
    numbers = _contacts(reported["data"])
    assert len(numbers) > 50
    for completed in reported["outputs"]:
        assert full_numbers_in(completed.stdout + completed.stderr, numbers) == set()
    pages = sorted(reported["reports"].rglob("*.html"))
    for path in pages:
        assert full_numbers_in(path.read_text(encoding="utf-8"), numbers) == set(), path
    # The numbers are there, masked: the violation of the hostile rows names its customer.
    assert any("****4321" in "".join(parsed(path).text) for path in pages)
    # Never masked in the warehouse.
    assert count(reported["db"], "select count(*) from messages where contact = '31687654321'") == 2


# --------------------------------------------------------------------- inbox confinement


@pytest.fixture
def inbox_with_escapes(tmp_path) -> dict[str, Path]:
    """An inbox with one real file, plus links that lead outside it."""
    outside = tmp_path / "outside"
    secret = write_csv(
        outside / "secret.csv",
        MESSAGE_HEADER,
        [
            [
                "secret-1",
                "2025-06-01T10:00:00Z",
                "inbound",
                "31201234567",
                "31611112222",
                "text",
                "",
                "",
                "",
                "",
                "waba1",
            ],
        ],
    )
    inbox = tmp_path / "inbox"
    inside = write_csv(
        inbox / "messages.csv",
        MESSAGE_HEADER,
        [
            [
                "inside-1",
                "2025-06-01T10:00:00Z",
                "inbound",
                "31201234567",
                "31633334444",
                "text",
                "",
                "",
                "",
                "",
                "waba1",
            ],
        ],
    )
    (inbox / "escape.csv").symlink_to("../outside/secret.csv")
    (inbox / "absolute.csv").symlink_to(secret)
    (inbox / "up").symlink_to(outside, target_is_directory=True)
    (inbox / "nested").mkdir()
    (inbox / "nested" / "deeper.csv").symlink_to("../../outside/secret.csv")
    (inbox / "nested" / "..hidden.csv").write_text("message_id\n", encoding="utf-8")
    # A link that stays inside is fine, and so is a name with two dots in it.
    (inbox / "again..csv").symlink_to("messages.csv")
    return {"inbox": inbox, "inside": inside, "secret": secret}


def test_the_inbox_leaves_out_links_and_names_that_lead_outside_it(inbox_with_escapes, capsys):
    inbox = inbox_with_escapes["inbox"]

    found = inbox_files(inbox)

    # messages.csv, and again..csv that links to it; nothing from outside.
    assert set(found) == {inbox_with_escapes["inside"].resolve()}
    assert find_inbox_files.fn(str(inbox)) == [str(path) for path in found]
    warned = capsys.readouterr().err
    for name in ("escape.csv", "absolute.csv", "deeper.csv"):
        assert f"skipped {inbox}" in warned and name in warned


@pytest.mark.slow
def test_the_nightly_run_does_not_load_files_outside_the_inbox_nor_print_numbers(
    tmp_path, inbox_with_escapes
):
    inbox = inbox_with_escapes["inbox"]
    shutil.copytree(RATE_CARDS, inbox / "rate_cards", ignore=shutil.ignore_patterns("*.md"))
    generate_dataset(
        inbox / "generated", 1_000, seed=41, start=date(2025, 6, 1), days=20, webhooks=False
    )
    write_config(tmp_path)
    db = tmp_path / "warehouse.duckdb"

    completed = subprocess.run(
        cli_command(
            "run", "--db", str(db), "--inbox", str(inbox), "--reports", str(tmp_path / "reports")
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=_environment(),
    )

    assert completed.returncode == 0, completed.stderr
    assert_no_traceback(completed)
    with duckdb.connect(str(db), read_only=True) as con:
        files = [row[0] for row in con.execute("select file from load_log").fetchall()]
        secret = con.execute(
            "select count(*) from messages where message_id = 'secret-1'"
        ).fetchall()[0][0]
    assert secret == 0
    assert all(Path(file).resolve().is_relative_to(inbox.resolve()) for file in files), files
    numbers = _contacts(inbox / "generated") | {"31611112222", "31633334444"}
    assert full_numbers_in(completed.stdout + completed.stderr, numbers) == set()
