"""Load one source file into the `raw` schema: all or nothing, never losing or doubling a record.

Per file, in one transaction: valid rows are merged into `raw.<type>` (a row identical to the current
version of its key is left alone; a changed row supersedes it and the old version stays as history), every
other row goes to `raw.quarantine` with a reason, and one `raw.ingest_log` row reconciles
rows read = loaded + quarantined. A kill in the middle leaves the database as it was before the file.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest import parse_sql as p
from ingest.contract import IDENTIFIER_COLUMN_HINTS, RECORD_TYPES, Kind, RecordType, record_type_for_filename
from ingest.csv_reader import CsvOptions, UnreadableFile, read_csv_table
from ingest.validate import build_checked, flag_unknown_references
from ingest.warehouse import column_definitions


@dataclass
class FileResult:
    source_file: str
    record_type: str
    status: str  # loaded | already_ingested | dry_run | failed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_new: int = 0
    rows_unchanged: int = 0
    rows_superseded: int = 0
    rows_quarantined: int = 0
    rows_flagged: int = 0
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    message: str = ""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(8 * 1024 * 1024):
            h.update(chunk)
    return h.hexdigest()


def looks_like_identifier(column: str) -> bool:
    return any(hint in column for hint in IDENTIFIER_COLUMN_HINTS)


def _prepare_src(con: duckdb.DuckDBPyConnection, rt: RecordType, table: str, columns: list[str], path: Path) -> tuple[
    list[str], list[str]
]:
    """Temp table `src`: contract columns (missing optional ones as NULL), `_line`, and the clinic's `_tz`."""
    warnings = []
    contract = set(rt.column_names)
    extras = [c for c in columns if c not in contract and c != "_line"]
    for c in extras:
        if looks_like_identifier(c):
            warnings.append(f"column '{c}' looks like a direct patient identifier: dropped, never stored")
        else:
            warnings.append(f"column '{c}' is not in the {rt.name} contract: ignored")
    missing_required = [c.name for c in rt.columns if c.required and c.name not in columns]
    if missing_required:
        raise UnreadableFile(
            f"{path}: required column(s) {', '.join(missing_required)} missing from the header "
            f"(found: {', '.join(columns)}). Add them to the export, or check that the file is a {rt.name} file."
        )
    present = [c for c in rt.column_names if c in columns]
    select = ", ".join(
        f"t.{p.q(c)}" if c in columns else f"NULL::VARCHAR AS {p.q(c)}" for c in rt.column_names
    )
    if rt.name == "clinics":
        tz = "(SELECT z.name FROM pg_timezone_names() z WHERE z.name = trim(t.timezone))"
        join = ""
    elif "clinic_id" in contract:
        tz = "c.timezone"
        join = "LEFT JOIN raw.clinics c ON c._is_current AND c.clinic_id = trim(t.clinic_id)"
    else:
        tz, join = "NULL::VARCHAR", ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE src AS SELECT t._line, {select}, {tz} AS _tz FROM {table} t {join}")
    return present, warnings


def _row_hash_sql(rt: RecordType) -> str:
    parts = [f"coalesce(CAST({p.q(c.name)} AS VARCHAR), '\\N')" for c in rt.columns]
    return f"md5(concat_ws('|', {', '.join(parts)}))"


def _key_match(rt: RecordType, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{p.q(k)} IS NOT DISTINCT FROM {right}.{p.q(k)}" for k in rt.key)


def _merge(con: duckdb.DuckDBPyConnection, rt: RecordType, lineage: dict) -> tuple[int, int, int]:
    """Insert new or changed versions, supersede the old ones. Returns (new, unchanged, superseded)."""
    target = f"raw.{p.q(rt.name)}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE ok AS SELECT *, {_row_hash_sql(rt)} AS _row_hash
        FROM checked WHERE len(_reasons) = 0"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE new_rows AS SELECT ok.* FROM ok WHERE NOT EXISTS (
            SELECT 1 FROM {target} r
            WHERE r._is_current AND r._row_hash = ok._row_hash AND {_key_match(rt, 'r', 'ok')})"""
    )
    ok, new = con.execute("SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM new_rows)").fetchone()
    superseded = con.execute(
        f"""UPDATE {target} SET _is_current = false, _superseded_by_batch = $batch
        WHERE _is_current AND EXISTS (SELECT 1 FROM new_rows n WHERE {_key_match(rt, target, 'n')})""",
        {"batch": lineage["batch"]},
    ).fetchone()[0]
    data_cols = [n for n, _ in column_definitions(rt) if not n.startswith("_")]
    cols = ", ".join(p.q(c) for c in data_cols)
    con.execute(
        f"""INSERT INTO {target} ({cols}, _flags, _row_hash, _is_current, _superseded_by_batch, _source_file,
                                   _source_line, _file_hash, _batch_id, _ingested_at)
        SELECT {cols}, _flags, _row_hash, true, NULL, $file, _line, $hash, $batch, $now FROM new_rows""",
        lineage,
    )
    return new, ok - new, superseded


def _quarantine(con: duckdb.DuckDBPyConnection, rt: RecordType, lineage: dict, rejects_table: str | None,
                columns: list[str], delimiter: str) -> None:
    con.execute(
        """INSERT INTO raw.quarantine
        SELECT $batch, $file, $hash, _line, $rt, _reasons[1].code, list_transform(_reasons, lambda r: r.code),
               array_to_string(list_transform(_reasons, lambda r: r.message), '; '), _raw_text, $now
        FROM checked WHERE len(_reasons) > 0""",
        lineage | {"rt": rt.name},
    )
    if rejects_table:
        patient_positions = [i + 1 for i, c in enumerate(columns) if c in rt.column_names
                             and rt.column(c).kind is Kind.PATIENT_ID or looks_like_identifier(c)]
        con.execute(
            f"""INSERT INTO raw.quarantine
            SELECT $batch, $file, $hash, line, $rt, 'malformed_row', ['malformed_row'],
                   'line ' || line || ' does not have the header''s ' || {len(columns)} || ' fields ('
                   || error_message || '): check for an unquoted delimiter or a cut-off line',
                   array_to_string(list_transform(string_split(csv_line, $delim),
                       lambda x, i: CASE WHEN list_contains($masked, i) THEN '***' ELSE x END), $delim), $now
            FROM {rejects_table}""",
            lineage | {"rt": rt.name, "delim": delimiter, "masked": patient_positions},
        )


def ingest_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    batch_id: str,
    now,
    record_type: str | None = None,
    options: CsvOptions | None = None,
    dry_run: bool = False,
) -> FileResult:
    record_type = record_type or record_type_for_filename(path.name)
    if record_type not in RECORD_TYPES:
        raise UnreadableFile(
            f"{path}: cannot tell the record type from the file name. Name it <type>_<anything>.csv "
            f"(types: {', '.join(RECORD_TYPES)}) or pass --type."
        )
    rt = RECORD_TYPES[record_type]
    file_hash = file_sha256(path)
    done = con.execute(
        "SELECT rows_read FROM raw.ingest_log WHERE file_hash = $h AND record_type = $rt AND status = 'loaded'",
        {"h": file_hash, "rt": record_type},
    ).fetchone()
    if done:
        return FileResult(str(path), record_type, "already_ingested", rows_read=done[0],
                          message="this exact file was ingested before; nothing changed")
    table = read_csv_table(con, path, "src_in", options)
    present, warnings = _prepare_src(con, rt, "src_in", table.columns, path)
    build_checked(con, rt, present, table.delimiter)
    flag_unknown_references(con, rt)
    lineage = {"batch": batch_id, "file": str(path), "hash": file_hash, "now": now}
    result = FileResult(str(path), record_type, "dry_run" if dry_run else "loaded", warnings=warnings)
    con.execute("BEGIN TRANSACTION")
    try:
        result.rows_new, result.rows_unchanged, result.rows_superseded = _merge(con, rt, lineage)
        _quarantine(con, rt, lineage, table.rejects_table, table.columns, table.delimiter)
        result.rows_loaded = result.rows_new + result.rows_unchanged
        result.rows_flagged = con.execute("SELECT count(*) FROM ok WHERE len(_flags) > 0").fetchone()[0]
        reasons = con.execute(
            "SELECT reason_code, count(*) FROM raw.quarantine WHERE batch_id = $b AND file_hash = $h "
            "GROUP BY 1 ORDER BY 2 DESC, 1",
            {"b": batch_id, "h": file_hash},
        ).fetchall()
        result.rows_quarantined = sum(n for _, n in reasons)
        result.top_reasons = [(r, n) for r, n in reasons]
        result.rows_read = con.execute("SELECT count(*) FROM src").fetchone()[0] + table.rejects
        con.execute(
            """INSERT INTO raw.ingest_log VALUES ($batch, $file, $hash, $rt, 'csv', $enc, $delim, 'loaded', $read,
               $loaded, $new, $unchanged, $superseded, $quarantined, $flagged, $warnings, $now, now()::TIMESTAMP)""",
            lineage | {
                "rt": record_type, "enc": table.encoding, "delim": table.delimiter, "read": result.rows_read,
                "loaded": result.rows_loaded, "new": result.rows_new, "unchanged": result.rows_unchanged,
                "superseded": result.rows_superseded, "quarantined": result.rows_quarantined,
                "flagged": result.rows_flagged, "warnings": warnings,
            },
        )
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if result.rows_read != result.rows_loaded + result.rows_quarantined:
        raise AssertionError(f"{path}: reconciliation failed: {result}")
    return result


def reason_summary(results: list[FileResult]) -> Counter:
    c: Counter = Counter()
    for r in results:
        c.update(dict(r.top_reasons))
    return c
