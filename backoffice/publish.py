"""Publish a read-only serving copy of the warehouse for the dashboards, swapped in atomically.

DuckDB allows one writer or many readers of a file, never both, so the dashboards never open the file that
ingest and dbt write. After each successful build the warehouse is checkpointed and copied to a new
`warehouse-<timestamp>.duckdb` in the serving folder; then the one-line pointer file `CURRENT` is replaced
with `os.replace` (atomic on POSIX). A reader follows the pointer and so sees either the old or the new
copy, never a half-built one. Older copies are pruned, keeping the newest few for readers still on them.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from backoffice.file_modes import make_private, private_umask

POINTER = "CURRENT"
KEEP = 3


def publish(warehouse: Path, serving_dir: Path) -> Path:
    """Copy the warehouse to a new serving file (0600, like the warehouse) and point CURRENT at it."""
    private_umask()
    serving_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CHECKPOINT")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = serving_dir / f"warehouse-{stamp}.duckdb"
    partial = target.with_suffix(".partial")
    shutil.copyfile(warehouse, partial)
    make_private(partial)  # copyfile keeps an existing file's mode
    os.replace(partial, target)
    pointer_tmp = serving_dir / (POINTER + ".tmp")
    pointer_tmp.write_text(target.name + "\n")
    os.replace(pointer_tmp, serving_dir / POINTER)
    for old in sorted(serving_dir.glob("warehouse-*.duckdb"))[:-KEEP]:
        old.unlink(missing_ok=True)
    return target


def current_serving_file(serving_dir: Path) -> Path | None:
    """The published copy the dashboards should read, or None before the first build."""
    try:
        name = (serving_dir / POINTER).read_text().strip()
    except FileNotFoundError:
        return None
    path = serving_dir / name
    return path if path.exists() else None
