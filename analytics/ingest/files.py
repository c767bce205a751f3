"""Files and kinds: which files to take, what each one holds, and how its columns map."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from analytics.ingest.context import IngestError
from analytics.ingest.meta_rate_cards import meta_card_format

KINDS = (
    "message_log",
    "webhook",
    "opt_in_ledger",
    "rate_card",
    "pricing_analytics",
    "conversation_analytics",
    "message_templates",
)
# Inside a folder only these are taken; a file named on its own is always taken.
DATA_SUFFIXES = (".csv", ".parquet", ".json", ".jsonl", ".ndjson")
_HEAD_BYTES = 65536


def discover_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and the data files inside the folders named (recursively, not hidden)."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(
                sorted(
                    child
                    for child in path.rglob("*")
                    if child.is_file()
                    and child.suffix.lower() in DATA_SUFFIXES
                    and not any(part.startswith(".") for part in child.relative_to(path).parts)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise IngestError(f"{path}: no such file or folder")
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def normalized(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower().lstrip("\ufeff"))


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def detect_kind(path: Path) -> str:
    """What a file holds, from its content: one of KINDS."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if not head.strip():
        raise IngestError(f"{path}: the file is empty")
    if head.startswith(b"PAR1"):
        return "message_log"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    if text[:1] in "{[":
        compact = re.sub(r"\s", "", text)
        if '"entry":' in compact and ('"changes":' in compact or '"object":' in compact):
            return "webhook"
        if graph_api := graph_api_kind(compact):
            return graph_api
        return "message_log"
    if meta_card_format(path) is not None:  # Meta's rate-card files, by their title or header
        return "rate_card"
    header = {normalized(name) for name in csv_header(path)[1]}
    # a rate card may leave its date to --effective-from
    if {"effectivefrom", "rate"} <= header or {"market", "category", "currency", "rate"} <= header:
        return "rate_card"
    if "event" in header and "direction" not in header:
        return "opt_in_ledger"
    return "message_log"


def graph_api_kind(compact: str) -> str | None:
    """The Graph API response a JSON file's first bytes (whitespace removed) show, if any."""
    for field in ("pricing_analytics", "conversation_analytics"):
        if f'"{field}":{{' in compact:
            return field
    if '"message_templates":{' in compact or (
        '"data":[{' in compact
        and all(f'"{key}":' in compact for key in ("name", "language", "category", "id"))
    ):
        return "message_templates"
    return None


def csv_header(path: Path) -> tuple[str, list[str]]:
    """The delimiter (the most frequent of , ; tab |) and column names of a CSV file's header."""
    with path.open("rb") as handle:
        first_line = handle.readline(_HEAD_BYTES)
    text = first_line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    counts = {delimiter: text.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    try:
        names = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # not a CSV header at all (a Parquet or JSON file, or garbage)
        names = text.split(delimiter)
    return delimiter, [name.strip() for name in names]


def file_format(path: Path) -> str:
    """parquet, json (a JSON document or JSON Lines) or csv, from the file's first bytes."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD_BYTES)
    if head.startswith(b"PAR1"):
        return "parquet"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    return "json" if text[:1] in "{[" else "csv"


def is_json_lines(path: Path) -> bool:
    """JSON Lines when the first non-blank line is a whole JSON value and more follows."""
    with path.open("rb") as handle:
        for raw_line in handle:
            if raw_line.strip():
                try:
                    json.loads(raw_line)
                except ValueError:
                    return False
                return any(rest.strip() for rest in handle)
    return False


def column_mapping(
    file_columns: list[str],
    wanted: Iterable[str],
    aliases: dict[str, list[str]],
    path: Path,
) -> dict[str, str]:
    """canonical column -> the file's column that holds it."""
    lookup: dict[str, str] = {}
    for canonical in wanted:
        for name in [canonical, *aliases.get(canonical, [])]:
            lookup.setdefault(normalized(name), canonical)
    mapping: dict[str, str] = {}
    for column in file_columns:
        canonical = lookup.get(normalized(column))
        if canonical is None:
            continue
        if canonical in mapping:
            raise IngestError(
                f"{path}: columns {mapping[canonical]!r} and {column!r} both map to "
                f"{canonical!r}; rename one or change inputs.column_aliases"
            )
        mapping[canonical] = column
    return mapping


def require(
    mapping: dict[str, str], required: Iterable[str], path: Path, kind: str, file_columns: list[str]
) -> None:
    """An IngestError naming the required columns the file lacks, if any."""
    missing = [column for column in required if column not in mapping]
    if missing:
        raise IngestError(
            f"{path}: not a {kind.replace('_', ' ')}: required column(s) {', '.join(missing)} "
            f"not found among {', '.join(file_columns) or 'no columns'}. Map other header names in "
            "inputs.column_aliases of carewindow.toml, or pass --kind if the kind was guessed wrong"
        )
