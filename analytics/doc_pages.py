"""Generated parts of the documentation pages: the markers that fence them, and the tables of
pricing regimes, read from the registry.

A generated part sits between two HTML comments, `<!-- NAME:start (COMMAND) -->` and
`<!-- NAME:end -->`, where COMMAND is the one that writes it. `python -m analytics.doc_pages
--write` writes the regime tables into README.md and docs/rules.md; `--check` exits 1 when one
is not current. The data dictionary (analytics/dictionary.py) and the command line reference
(flows/cli_reference.py) use the same markers. A tool for the repository, not part of the
runtime.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from analytics.regimes import Regime, load_registry

ROOT = Path(__file__).resolve().parent.parent
REGIME_TABLE = "regime-table"
REGIME_PAGES = (ROOT / "README.md", ROOT / "docs" / "rules.md")
WRITE_REGIME_TABLES = "python -m analytics.doc_pages --write"


def start_marker(name: str, command: str) -> str:
    return f"<!-- {name}:start ({command}) -->"


def end_marker(name: str) -> str:
    return f"<!-- {name}:end -->"


@dataclass(frozen=True)
class GeneratedPart:
    """What goes between one pair of markers on one page."""

    page: Path
    name: str  # the markers' name, e.g. "data-dictionary"
    command: str  # the command that writes it, named in the start marker
    text: str


def with_part(page_text: str, part: GeneratedPart) -> str:
    """The page's text with what lies between the part's markers replaced by the part."""
    start, end = start_marker(part.name, part.command), end_marker(part.name)
    begins = page_text.find(start)
    ends = page_text.find(end)
    if begins < 0 or ends < begins:
        raise ValueError(
            f"{part.page} has no {part.name} markers: add the lines {start} and {end} where "
            "the generated text goes"
        )
    return f"{page_text[: begins + len(start)]}\n{part.text}\n{page_text[ends:]}"


def pages_with_parts(parts: Iterable[GeneratedPart]) -> dict[Path, tuple[str, str]]:
    """(current text, text with every part written) of each page the parts go into."""
    pages: dict[Path, tuple[str, str]] = {}
    for part in parts:
        current, wanted = pages.get(part.page) or (part.page.read_text(encoding="utf-8"),) * 2
        pages[part.page] = (current, with_part(wanted, part))
    return pages


def stale_pages(parts: Iterable[GeneratedPart]) -> list[Path]:
    """The pages whose generated parts are not what the code says now."""
    return [
        page for page, (current, wanted) in pages_with_parts(parts).items() if current != wanted
    ]


def write_parts(parts: Iterable[GeneratedPart]) -> list[Path]:
    """Write every part into its page; the pages that changed."""
    changed = []
    for page, (current, wanted) in pages_with_parts(parts).items():
        if wanted != current:
            page.write_text(wanted, encoding="utf-8")
            changed.append(page)
    return changed


def relative(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else str(page)


def generator_main(
    argv: list[str] | None,
    prog: str,
    description: str,
    make_parts: Callable[[], Iterable[GeneratedPart]],
) -> int:
    """The command line every generator shares: --write, --check or --print."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, epilog=f"Example: {prog} --check"
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the generated parts")
    action.add_argument(
        "--check", action="store_true", help="exit 1 when a page is not current (writes nothing)"
    )
    action.add_argument("--print", action="store_true", help="print the generated parts")
    arguments = parser.parse_args(argv)
    parts = list(make_parts())
    if arguments.print:
        for part in parts:
            print(f"{start_marker(part.name, part.command)} in {relative(part.page)}")
            print(part.text)
        return 0
    try:
        pages_with_parts(parts)
    except ValueError as no_markers:
        print(no_markers, file=sys.stderr)
        return 1
    if arguments.check:
        stale = stale_pages(parts)
        for page in stale:
            print(f"{relative(page)} is not current: run `{prog} --write`", file=sys.stderr)
        if not stale:
            print(f"current: {', '.join(relative(page) for page in pages_with_parts(parts))}")
        return 1 if stale else 0
    changed = write_parts(parts)
    for page in changed:
        print(f"{relative(page)}: written")
    print(f"current: {', '.join(relative(page) for page in pages_with_parts(parts))}")
    return 0


def _in_force(regime: Regime, following: Regime | None) -> str:
    """When the regime is in force, in the business time zone, as the registry says (with every
    regime on; carewindow.toml's [regimes] may switch any but the first off)."""
    starts = regime.in_force_from
    if following is None:
        text = f"from {starts.isoformat()}"
    else:
        until = (following.in_force_from - timedelta(days=1)).isoformat()
        text = f"until {until}" if starts.year == 1 else f"{starts.isoformat()} to {until}"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def regime_table(registry: tuple[Regime, ...] | None = None) -> str:
    """The regimes of the registry as a Markdown table, oldest first."""
    registry = registry or load_registry()
    lines = [
        "| regime | label | in force (business time zone) | charged per | Meta's "
        "`pricing_model` | volume tiers | what changed when it came into force |",
        "|---|---|---|---|---|---|---|",
    ]
    for position, regime in enumerate(registry):
        following = registry[position + 1] if position + 1 < len(registry) else None
        model = f"`{regime.pricing_model}`" if regime.pricing_model else "none"
        confirmed = "" if regime.confirmed_by_meta else " (not confirmed by Meta)"
        lines.append(
            f"| `{regime.name}` | {_cell(regime.label)} | {_in_force(regime, following)}"
            f"{confirmed} | {regime.charge_unit} | {model} "
            f"| {'yes' if regime.volume_tiers else 'no'} | {_cell(regime.change)} |"
        )
    return "\n".join(lines)


def regime_table_parts(pages: Iterable[Path] = REGIME_PAGES) -> list[GeneratedPart]:
    table = regime_table()
    return [GeneratedPart(page, REGIME_TABLE, WRITE_REGIME_TABLES, table) for page in pages]


def main(argv: list[str] | None = None) -> int:
    return generator_main(
        argv,
        "python -m analytics.doc_pages",
        "The tables of pricing regimes in README.md and docs/rules.md, read from "
        "analytics/pricing_regimes.toml.",
        make_parts=regime_table_parts,
    )


if __name__ == "__main__":
    sys.exit(main())
