"""Ingest many files: discover them, order them so master data comes first, load each atomically."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.contract import INGEST_ORDER, record_type_for_filename
from ingest.csv_reader import CsvOptions, UnreadableFile
from ingest.loader import MESSAGE_FORMATS, FileResult, ingest_file
from ingest.pseudonymise import bind_key
from ingest.warehouse import connect, ensure_schema

SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", *MESSAGE_FORMATS)


# The simulator's list of planted errors sits beside its exports (`backoffice simulate`); it is the tests' answer
# key, not an export, and a JSON file without a FHIR resource would fail the ingest as unreadable.
SIMULATOR_ANSWER_KEY = "planted.json"


def discover(paths: Iterable[Path], fmt: str | None = None) -> list[Path]:
    """Files named by the user, and the supported files inside named folders (but the simulator's answer key),
    master data first."""
    if fmt == "mimic-iv":
        from ingest.mimic_iv import discover as discover_mimic_iv

        return discover_mimic_iv(paths)
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(f for f in sorted(path.rglob("*")) if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES
                         and f.name != SIMULATOR_ANSWER_KEY)
        else:
            files.append(path)

    def order(f: Path) -> tuple[int, str]:
        rt = record_type_for_filename(f.name)
        return (INGEST_ORDER.index(rt) if rt in INGEST_ORDER else len(INGEST_ORDER), str(f))

    return sorted(files, key=order)


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def ingest_paths(
    db_path: Path,
    paths: Iterable[Path],
    key: bytes,
    record_type: str | None = None,
    options: CsvOptions | None = None,
    dry_run: bool = False,
    on_file: Callable[[Path], None] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    fmt: str | None = None,
    clinic_id: str | None = None,
) -> list[FileResult]:
    """Load every file; a file that cannot be read at all is reported as failed and the others go on."""
    files = discover(paths, fmt)
    own = con is None
    con = con or connect(db_path)
    try:
        ensure_schema(con)
        bind_key(con, key)
        batch_id, now = new_batch_id(), datetime.now(UTC).replace(tzinfo=None)
        results = []
        for f in files:
            if on_file:
                on_file(f)
            try:
                results.extend(ingest_file(con, f, batch_id, now, record_type, options, dry_run, fmt, clinic_id))
            except UnreadableFile as exc:
                results.append(FileResult(str(f), record_type or record_type_for_filename(f.name) or "?",
                                          "failed", message=str(exc)))
        return results
    finally:
        if own:
            con.close()
