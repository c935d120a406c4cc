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


@dataclass
class SourceTable:
    """One record type's rows from one file, as an all-VARCHAR temp table with `_line`."""

    record_type: str
    table: str
    columns: list[str]
    format: str
    encoding: str | None = None
    delimiter: str = ","
    rejects_table: str | None = None
    rejects: int = 0


MESSAGE_FORMATS = {".hl7": "hl7v2", ".hl7v2": "hl7v2", ".json": "fhir", ".ndjson": "fhir"}


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt is None and path.name.lower() in ("labevents.csv.gz", "labevents.csv"):
        return "mimic-iv"
    return fmt or MESSAGE_FORMATS.get(path.suffix.lower(), "csv")


def _already_ingested(con: duckdb.DuckDBPyConnection, file_hash: str, record_type: str) -> int | None:
    row = con.execute(
        "SELECT rows_read FROM raw.ingest_log WHERE file_hash = $h AND record_type = $rt AND status = 'loaded'",
        {"h": file_hash, "rt": record_type},
    ).fetchone()
    return row[0] if row else None


def _load_one(con: duckdb.DuckDBPyConnection, src: SourceTable, path: Path, lineage: dict, status: str) -> FileResult:
    """Validate and merge one source table; the caller owns the transaction."""
    rt = RECORD_TYPES[src.record_type]
    present, warnings = _prepare_src(con, rt, src.table, src.columns, path)
    build_checked(con, rt, present, src.delimiter)
    flag_unknown_references(con, rt)
    result = FileResult(str(path), rt.name, status, warnings=warnings)
    result.rows_new, result.rows_unchanged, result.rows_superseded = _merge(con, rt, lineage)
    _quarantine(con, rt, lineage, src.rejects_table, src.columns, src.delimiter)
    result.rows_loaded = result.rows_new + result.rows_unchanged
    result.rows_flagged = con.execute("SELECT count(*) FROM ok WHERE len(_flags) > 0").fetchone()[0]
    result.top_reasons = con.execute(
        "SELECT reason_code, count(*) FROM raw.quarantine WHERE batch_id = $b AND file_hash = $h AND record_type = $rt "
        "GROUP BY 1 ORDER BY 2 DESC, 1",
        {"b": lineage["batch"], "h": lineage["hash"], "rt": rt.name},
    ).fetchall()
    result.rows_quarantined = sum(n for _, n in result.top_reasons)
    result.rows_read = con.execute("SELECT count(*) FROM src").fetchone()[0] + src.rejects
    _log(con, result, lineage, src.format, src.encoding, src.delimiter)
    if result.rows_read != result.rows_loaded + result.rows_quarantined:
        raise AssertionError(f"{path}: reconciliation failed: {result}")
    return result


def _log(con: duckdb.DuckDBPyConnection, result: FileResult, lineage: dict, fmt: str, encoding: str | None,
         delimiter: str | None) -> None:
    con.execute(
        """INSERT INTO raw.ingest_log VALUES ($batch, $file, $hash, $rt, $fmt, $enc, $delim, 'loaded', $read,
           $loaded, $new, $unchanged, $superseded, $quarantined, $flagged, $warnings, $now, now()::TIMESTAMP)""",
        lineage | {
            "rt": result.record_type, "fmt": fmt, "enc": encoding, "delim": delimiter, "read": result.rows_read,
            "loaded": result.rows_loaded, "new": result.rows_new, "unchanged": result.rows_unchanged,
            "superseded": result.rows_superseded, "quarantined": result.rows_quarantined,
            "flagged": result.rows_flagged, "warnings": result.warnings,
        },
    )


def _csv_sources(con: duckdb.DuckDBPyConnection, path: Path, record_type: str | None,
                 options: CsvOptions | None) -> list[SourceTable]:
    record_type = record_type or record_type_for_filename(path.name)
    if record_type not in RECORD_TYPES:
        raise UnreadableFile(
            f"{path}: cannot tell the record type from the file name. Name it <type>_<anything>.csv "
            f"(types: {', '.join(RECORD_TYPES)}) or pass --type."
        )
    table = read_csv_table(con, path, "src_in", options)
    return [SourceTable(record_type, "src_in", table.columns, "csv", table.encoding, table.delimiter,
                        table.rejects_table, table.rejects)]


def _message_sources(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, clinic_id: str | None
                     ) -> tuple[list[SourceTable], list]:
    import pyarrow as pa

    from ingest.fhir_r4 import read_fhir_file
    from ingest.hl7v2 import read_hl7v2_file
    from ingest.message_rows import MESSAGE_NUMBER

    reader = read_hl7v2_file if fmt == "hl7v2" else read_fhir_file
    try:
        groups, skipped = reader(path, clinic_id)
    except (OSError, ValueError) as exc:
        raise UnreadableFile(f"{path}: not readable as {fmt} ({exc}). Check that the file is {fmt}.") from exc
    sources = []
    for group in groups:
        table = f"src_in_{group.record_type}"
        columns = [*RECORD_TYPES[group.record_type].column_names, MESSAGE_NUMBER]
        arrow = pa.table({c: pa.array([row.get(c) for row in group.rows], pa.string()) for c in columns})
        con.register("message_rows", arrow)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT CAST({MESSAGE_NUMBER} AS BIGINT) AS _line, * EXCLUDE ({MESSAGE_NUMBER}) FROM message_rows""")
        con.unregister("message_rows")
        sources.append(SourceTable(group.record_type, table, columns[:-1], fmt))
    return sources, skipped


def _quarantine_skipped(con: duckdb.DuckDBPyConnection, path: Path, skipped: list, lineage: dict,
                        fmt: str, status: str) -> FileResult:
    for s in skipped:
        con.execute(
            "INSERT INTO raw.quarantine VALUES ($batch, $file, $hash, $line, 'message', $code, [$code], $reason, "
            "$raw, $now)",
            lineage | {"line": s.message_number, "code": s.reason_code, "reason": s.reason, "raw": s.raw_masked},
        )
    reasons = Counter(s.reason_code for s in skipped)
    result = FileResult(str(path), "message", status, rows_read=len(skipped),
                        rows_quarantined=len(skipped), top_reasons=reasons.most_common())
    _log(con, result, lineage, fmt, None, None)
    return result


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    batch_id: str,
    now,
    record_type: str | None = None,
    options: CsvOptions | None = None,
    dry_run: bool = False,
    fmt: str | None = None,
    clinic_id: str | None = None,
) -> list[FileResult]:
    """Load one file (CSV, HL7 v2, FHIR R4 or MIMIC-IV labevents) in one transaction; one result per record type."""
    fmt = detect_format(path, fmt)
    try:
        file_hash = file_sha256(path)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror}). Check the path and permissions.") from exc
    if fmt == "csv":
        sources, skipped = _csv_sources(con, path, record_type, options), []
    elif fmt == "mimic-iv":
        from ingest.mimic_iv import mimic_sources

        sources, skipped = mimic_sources(con, path, clinic_id), []
    else:
        sources, skipped = _message_sources(con, path, fmt, clinic_id)
    lineage = {"batch": batch_id, "file": str(path), "hash": file_hash, "now": now}
    status = "dry_run" if dry_run else "loaded"
    results = []
    con.execute("BEGIN TRANSACTION")
    try:
        for src in sources:
            done = _already_ingested(con, file_hash, src.record_type)
            if done is not None:
                results.append(FileResult(str(path), src.record_type, "already_ingested", rows_read=done,
                                          message="this exact file was ingested before; nothing changed"))
                continue
            results.append(_load_one(con, src, path, lineage, status))
        if skipped and _already_ingested(con, file_hash, "message") is None:
            results.append(_quarantine_skipped(con, path, skipped, lineage, fmt, status))
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return results


def reason_summary(results: list[FileResult]) -> Counter:
    c: Counter = Counter()
    for r in results:
        c.update(dict(r.top_reasons))
    return c
