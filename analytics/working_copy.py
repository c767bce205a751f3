"""The warehouse's files, and whether the private working copy still matches the published one.

The published file is the truth. Beside the working copy a marker (`<name>.work.duckdb.source`)
records which published file it was made from or last published as: its inode, size and
modification time, or "absent". Deleting the published file, copying a backup over it or
writing it in place all change that identity, so the working copy is then discarded and made
again from what is published now (or from nothing). A command that fails publishes nothing and
leaves the marker matching, so its completed work (files fully loaded) is kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WarehousePaths:
    """The published warehouse file and the files the pipeline keeps beside it."""

    published: Path
    work: Path
    lock: Path
    publishing: Path
    copying: Path
    source: Path

    @classmethod
    def for_db(cls, db_path: str | os.PathLike) -> WarehousePaths:
        published = Path(db_path)
        stem = published.name.removesuffix(".duckdb")
        return cls(
            published=published,
            work=published.with_name(f"{stem}.work.duckdb"),
            lock=published.with_name(f"{published.name}.lock"),
            publishing=published.with_name(f"{published.name}.publishing"),
            copying=published.with_name(f"{stem}.work.duckdb.copying"),
            source=published.with_name(f"{stem}.work.duckdb.source"),
        )

    @property
    def work_files(self) -> tuple[Path, ...]:
        """The working copy and what DuckDB keeps beside it."""
        return (self.work, Path(f"{self.work}.wal"))


def published_identity(path: Path) -> str:
    """Which file is at `path` now: its inode, size and modification time, or "absent"."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "absent"
    return f"inode {stat.st_ino} size {stat.st_size} mtime_ns {stat.st_mtime_ns}"


def record_source(paths: WarehousePaths) -> None:
    """Note which published file the working copy now matches (written whole or not at all)."""
    pending = paths.source.with_name(f"{paths.source.name}.new")
    pending.write_text(published_identity(paths.published) + "\n", encoding="utf-8")
    os.replace(pending, paths.source)


def recorded_source(paths: WarehousePaths) -> str | None:
    try:
        return paths.source.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None


def discard_if_stale(paths: WarehousePaths, notify: Callable[[str], None]) -> None:
    """Drop a working copy made from another published file than the one there now."""
    if not paths.work.exists():
        return
    now = published_identity(paths.published)
    if recorded_source(paths) == now:
        return
    for path in paths.work_files:
        path.unlink(missing_ok=True)
    paths.source.unlink(missing_ok=True)
    notify(
        f"discarded the working copy {paths.work}: it no longer matches the published "
        f"warehouse {paths.published} ("
        + ("deleted" if now == "absent" else "replaced or restored")
        + "); starting again from "
        + ("nothing" if now == "absent" else "the published file")
    )
