"""The command line reference (docs/cli.md) and the README's table of commands, generated from
the commands' own help.

`python -m flows.cli_reference --write` writes both; `--check` exits 1 when one is not current
(tests/test_docs.py checks it too). A tool for the repository, not part of the runtime.
"""

from __future__ import annotations

import sys

import click

from analytics.doc_pages import ROOT, GeneratedPart, generator_main
from flows.cli import main as carewindow

CLI_PAGE = ROOT / "docs" / "cli.md"
README = ROOT / "README.md"
WRITE = "python -m flows.cli_reference --write"
# Help is wrapped at this width whatever the terminal, so the page is the same on every machine.
WIDTH = 100


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """The context `carewindow NAME --help` would have (its settings: -h too), at WIDTH."""
    return command.make_context(
        name,
        [],
        parent=parent,
        resilient_parsing=True,  # parse nothing, require nothing: only the help is wanted
        terminal_width=WIDTH,
        max_content_width=WIDTH,
    )


def command_helps() -> list[tuple[str, click.Command, str]]:
    """(full name, command, its --help text): the group first, then each command by name."""
    group = _context(carewindow, "carewindow", None)
    helps = [("carewindow", carewindow, carewindow.get_help(group))]
    for name in carewindow.list_commands(group):
        command = carewindow.get_command(group, name)
        if command is None or command.hidden:
            continue
        helps.append(
            (f"carewindow {name}", command, command.get_help(_context(command, name, group)))
        )
    return helps


def heading_anchor(full_name: str) -> str:
    """The anchor GitHub gives the heading `## `carewindow ingest``."""
    return full_name.replace(" ", "-")


def cli_reference() -> str:
    """Every command's help, one section each."""
    sections = []
    for full_name, _command, help_text in command_helps():
        sections += [f"## `{full_name}`", "", "```text", help_text.rstrip(), "```", ""]
    return "\n".join(sections).rstrip("\n")


def summary(command: click.Command) -> str:
    """The first paragraph of a command's help, on one line."""
    first = (command.help or "").strip().split("\n\n")[0]
    return " ".join(first.split()).replace("|", "\\|")


def command_table() -> str:
    """The README's table: each command, linked to its reference, with its first sentence."""
    lines = ["| command | what it does |", "|---|---|"]
    for full_name, command, _help in command_helps()[1:]:
        link = f"docs/cli.md#{heading_anchor(full_name)}"
        lines.append(f"| [`{full_name}`]({link}) | {summary(command)} |")
    return "\n".join(lines)


def parts() -> list[GeneratedPart]:
    return [
        GeneratedPart(CLI_PAGE, "cli-reference", WRITE, cli_reference()),
        GeneratedPart(README, "command-table", WRITE, command_table()),
    ]


def main(argv: list[str] | None = None) -> int:
    return generator_main(
        argv,
        "python -m flows.cli_reference",
        "The command line reference (docs/cli.md) and the README's table of commands, "
        "generated from the commands' own help.",
        parts,
    )


if __name__ == "__main__":
    sys.exit(main())
