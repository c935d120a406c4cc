"""Load one source file into the `raw` schema: all or nothing, never losing or doubling a record.

Per file, in one transaction: valid rows are merged into `raw.<type>` (a row identical to the current
version of its key is left alone; a changed row supersedes it and the old version stays as history), every
other row goes to `raw.quarantine` with a reason, and one `raw.ingest_log` row reconciles
rows read = loaded + quarantined. A kill in the middle leaves the database as it was before the file.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest import parse_sql as p
from ingest.contract import IDENTIFIER_COLUMN_HINTS, RECORD_TYPES, Kind, RecordType, record_type_for_filename
from ingest.csv_reader import (
    CsvOptions,
    CsvSource,
    UnreadableFile,
    blank_unclosed_quotes,
    collect_rejects,
    line_numbers,
    open_csv,
)
from ingest.identifier_mask import mask_path
from ingest.message_flags import flag_message_rows
from ingest.message_rows import FileFacts
from ingest.pseudonymise import hmac_sql
from ingest.validate import (
    Relation,
    build_stage,
    build_tz_days,
    duplicate_reason_sql,
    find_duplicate_keys,
    loaded_rows_sql,
    raw_text_sql,
    sql_str,
    summarise_stage,
)
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


def _hash_result(hashing: Future, path: Path) -> str:
    try:
        return hashing.result()
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror}). Check the path and permissions.") from exc


def looks_like_identifier(column: str) -> bool:
    return any(hint in column for hint in IDENTIFIER_COLUMN_HINTS)


# How many column names one warning lists; a file with 10,000 extra columns gets one line, not 10,000.
NAMED_EXTRAS = 5


def _named(columns: list[str]) -> str:
    more = len(columns) - NAMED_EXTRAS
    return ", ".join(f"'{c}'" for c in columns[:NAMED_EXTRAS]) + (f" and {more:,} more" if more > 0 else "")


def _source_columns(rt: RecordType, columns: list[str], raw_columns: list[str], path: Path) -> tuple[
    dict[str, str], list[str]
]:
    """Contract column -> its column in the source (first of the same normalised name), and the warnings: one
    for the columns that look like patient identifiers, one for the other extras, each naming a few."""
    contract = set(rt.column_names)
    extras = [c for c in columns if c not in contract and c != "_line"]
    identifiers = [c for c in extras if looks_like_identifier(c)]
    ignored = [c for c in extras if not looks_like_identifier(c)]
    warnings = []
    if identifiers:
        warnings.append(f"{len(identifiers):,} column(s) look like direct patient identifiers, dropped and never "
                        f"stored: {_named(identifiers)}")
    if ignored:
        warnings.append(f"{len(ignored):,} column(s) not in the {rt.name} contract, ignored: {_named(ignored)}")
    missing_required = [c.name for c in rt.columns if c.required and c.name not in columns]
    if missing_required:
        # Only contract names are shown: a file without a header has patient data on line 1.
        found = [c for c in columns if c in contract]
        raise UnreadableFile(
            f"{path}: required column(s) {', '.join(missing_required)} missing from the header on line 1 "
            f"({len(columns)} column(s), of the contract: {', '.join(found) or 'none'}). Add them to the export, "
            f"or check that the file is a {rt.name} file with a header line."
        )
    present: dict[str, str] = {}
    for name, raw in zip(columns, raw_columns, strict=True):
        if name in contract:
            present.setdefault(name, raw)
    return present, warnings


def _row_hash_sql(rt: RecordType) -> str:
    """The md5 of the typed contract values, as a number (UHUGEINT: half the bytes of the hex text, and no text)."""
    parts = [f"coalesce(CAST({p.q(c.name)} AS VARCHAR), '\\N')" for c in rt.columns]
    return f"md5_number(concat_ws('|', {', '.join(parts)}))"


def _key_match(rt: RecordType, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{p.q(k)} IS NOT DISTINCT FROM {right}.{p.q(k)}" for k in rt.key)


def _merge(con: duckdb.DuckDBPyConnection, rt: RecordType, lineage: dict, ok_rows: str,
           keep_more_complete: bool = False) -> tuple[int, int, int, int]:
    """Insert new or changed versions, supersede the old ones. Returns (new, unchanged, superseded, flagged).

    `keep_more_complete` (messages): a resend with fewer values than the current version (a result resent
    without its SPM) does not supersede it unless it says it corrects it; it is quarantined instead.
    """
    target = f"raw.{p.q(rt.name)}"
    data_cols = [n for n, _ in column_definitions(rt) if not n.startswith("_")]
    cols = ", ".join(p.q(c) for c in data_cols)
    insert = f"""INSERT INTO {target} ({cols}, _flags, _row_hash, _is_current, _superseded_by_batch, _source_file,
                                   _source_line, _file_hash, _batch_id, _ingested_at)
        SELECT {cols}, _flags, _row_hash, true, NULL, $file, _line, $hash, $batch, $now FROM {{rows}}"""
    if not con.execute(f"SELECT count(*) FROM {target} WHERE _is_current").fetchone()[0]:
        # Nothing current to compare with or supersede (a first load): every valid row is new.
        new = con.execute(insert.format(rows=f"({ok_rows})"), lineage).fetchone()[0]
        flagged = con.execute(
            f"SELECT count(*) FROM {target} WHERE _batch_id = $batch AND _file_hash = $hash AND len(_flags) > 0",
            {"batch": lineage["batch"], "hash": lineage["hash"]},
        ).fetchone()[0]
        return new, 0, 0, flagged
    con.execute(f"CREATE OR REPLACE TEMP TABLE ok AS {ok_rows}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE new_rows AS SELECT ok.* FROM ok WHERE NOT EXISTS (
            SELECT 1 FROM {target} r
            WHERE r._is_current AND r._row_hash = ok._row_hash AND {_key_match(rt, 'r', 'ok')})"""
    )
    stale = _quarantine_less_complete(con, rt, lineage, target) if keep_more_complete else 0
    ok, new, flagged = con.execute(
        "SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM new_rows), "
        "(SELECT count(*) FROM ok WHERE len(_flags) > 0)").fetchone()
    ok -= stale
    superseded = con.execute(
        f"""UPDATE {target} SET _is_current = false, _superseded_by_batch = $batch
        WHERE _is_current AND EXISTS (SELECT 1 FROM new_rows n WHERE {_key_match(rt, target, 'n')})""",
        {"batch": lineage["batch"]},
    ).fetchone()[0]
    con.execute(insert.format(rows="new_rows"), lineage)
    return new, ok - new, superseded, flagged


def _filled(rt: RecordType, alias: str) -> str:
    """SQL: how many contract values of the row `alias` are present (a version's completeness)."""
    return " + ".join(f"CAST({alias}.{p.q(c.name)} IS NOT NULL AS INTEGER)" for c in rt.columns)


def _quarantine_less_complete(con: duckdb.DuckDBPyConnection, rt: RecordType, lineage: dict, target: str) -> int:
    """Move the rows of `new_rows` that would supersede a more complete current version to raw.quarantine.

    A corrected result (status `corrected`: OBR-25 / OBX-11 = C, FHIR amended / corrected) always supersedes.
    """
    corrects = "n.status IS DISTINCT FROM 'corrected' AND " if "status" in rt.column_names else ""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE stale AS
        SELECT n.*, {_filled(rt, 'n')} AS _have, {_filled(rt, 'r')} AS _stored FROM new_rows n JOIN {target} r
        ON r._is_current AND {_key_match(rt, 'r', 'n')} WHERE {corrects}{_filled(rt, 'n')} < {_filled(rt, 'r')}""")
    stale = con.execute("SELECT count(*) FROM stale").fetchone()[0]
    if stale:
        values = ", ".join(f"{p.q(c.name)} := {p.q(c.name)}" for c in rt.columns)
        con.execute(
            f"""INSERT INTO raw.quarantine
            SELECT $batch, $file, $hash, _line, $rt, 'incomplete_resend', ['incomplete_resend'],
                   'a resend with ' || _have || ' of the ' || _stored || ' values of the stored version, not marked '
                   || 'as a correction (HL7 OBR-25 / OBX-11 = C, FHIR corrected / amended): the more complete '
                   || 'version is kept; send a correction to replace it',
                   CAST(to_json(struct_pack({values})) AS VARCHAR), $now FROM stale""",
            lineage | {"rt": rt.name},
        )
        con.execute(f"DELETE FROM new_rows n WHERE EXISTS (SELECT 1 FROM stale s WHERE {_key_match(rt, 's', 'n')})")
    con.execute("DROP TABLE stale")
    return stale


# DuckDB's error type of a broken record -> (reason code, the reason in words after "line N").
BROKEN_RECORDS = {
    "INVALID ENCODING": ("invalid_encoding", "has bytes that are not UTF-8, though the rest of the file is: type its "
                         "special characters (ä, ö, ü, ß) again in the source system and export the file as UTF-8"),
    "UNCLOSED QUOTE": ("unclosed_quote", "opens a quote (\") that is never closed: close or remove it in the source "
                       "system and export again (the lines after it were read on their own)"),
    "UNQUOTED VALUE": ("unclosed_quote", "has a quote (\") in the middle of a field or one that is never closed: "
                       "remove it in the source system and export again"),
    "LINE SIZE OVER MAXIMUM": ("line_too_long", "is longer than the 2,000,000 bytes a record may have: check the "
                               "export for a missing line break"),
    "TOO MANY COLUMNS": ("malformed_row", "has more fields than the header's {fields}: check for an unquoted "
                         "delimiter, or a delimiter other than the header's"),
}
MALFORMED = ("malformed_row", "has fewer fields than the header's {fields}: check for a cut-off line, or a "
             "delimiter other than the header's")


def broken_record_reason(fields: int) -> str:
    """SQL for `code` and `words` of a broken record from its `error_type` (never from its text)."""
    def case(i: int) -> str:
        whens = " ".join(f"WHEN '{t}' THEN {sql_str(r[i].format(fields=fields))}" for t, r in BROKEN_RECORDS.items())
        return f"CASE error_type {whens} ELSE {sql_str(MALFORMED[i].format(fields=fields))} END"
    return f"{case(0)} AS code, {case(1)} AS words"


def _quarantine(con: duckdb.DuckDBPyConnection, rt: RecordType, lineage: dict, dups: int, raw_again: str | None,
                rejects_table: str | None, columns: list[str]) -> None:
    rows = "SELECT _line, _reasons AS reasons, _raw_text AS raw_text FROM checked WHERE _reasons IS NOT NULL"
    if dups:
        # Rows quarantined as earlier duplicates were valid when staged: their masked text is read again.
        again = (f"LEFT JOIN (SELECT row_number() OVER () - 1 AS rec, _raw_text FROM {raw_again}) ra ON ra.rec = c._rec"
                 if raw_again else "")
        raw_text = "coalesce(c._raw_text, ra._raw_text)" if raw_again else "c._raw_text"
        dup = duplicate_reason_sql(rt, "c")
        rows = f"""SELECT c._line, CASE WHEN d.line IS NULL THEN c._reasons WHEN c._reasons IS NULL THEN [{dup}]
                          ELSE list_append(c._reasons, {dup}) END AS reasons, {raw_text} AS raw_text
                   FROM checked c LEFT JOIN dup_lines d ON d.line = c._line {again}
                   WHERE c._reasons IS NOT NULL OR d.line IS NOT NULL"""
    con.execute(
        f"""INSERT INTO raw.quarantine
        SELECT $batch, $file, $hash, _line, $rt, reasons[1].code, list_transform(reasons, lambda r: r.code),
               array_to_string(list_transform(reasons, lambda r: r.message), '; '), raw_text, $now
        FROM ({rows})""",
        lineage | {"rt": rt.name},
    )
    if rejects_table:
        # A record that does not split into the header's fields keeps no text: its fields may have shifted, so
        # masking by position cannot find the patient identifiers. File, line, reason and file hash find it.
        con.execute(
            f"""INSERT INTO raw.quarantine
            SELECT $batch, $file, $hash, line, $rt, code, [code], 'line ' || line || ' ' || words, NULL, $now
            FROM (SELECT line, {broken_record_reason(len(columns))} FROM {rejects_table}
                  WHERE error_type <> 'BLANK LINE')""",
            lineage | {"rt": rt.name},
        )


@dataclass
class SourceTable:
    """One record type's rows from one file: an all-VARCHAR temp table with `_line`, or a CSV read in place."""

    record_type: str
    table: str
    columns: list[str]
    format: str
    encoding: str | None = None
    delimiter: str = ","
    csv: CsvSource | None = None


MESSAGE_FORMATS = {".hl7": "hl7v2", ".hl7v2": "hl7v2", ".json": "fhir", ".ndjson": "fhir"}
MESSAGE_READERS = ("hl7v2", "fhir")


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt is None and path.name.lower() in ("labevents.csv.gz", "labevents.csv"):
        return "mimic-iv"
    return fmt or MESSAGE_FORMATS.get(path.suffix.lower(), "csv")


def _already_ingested(con: duckdb.DuckDBPyConnection, file_hash: str, record_type: str, status: str = "loaded"
                      ) -> int | None:
    row = con.execute(
        "SELECT rows_read FROM raw.ingest_log WHERE file_hash = $h AND record_type = $rt AND status = $status",
        {"h": file_hash, "rt": record_type, "status": status},
    ).fetchone()
    return row[0] if row else None


def _set_flagged(con: duckdb.DuckDBPyConnection, result: FileResult, lineage: dict) -> None:
    """The log row of a message file's record type, after `flag_message_rows` flagged more rows."""
    con.execute("UPDATE raw.ingest_log SET rows_flagged = $n WHERE batch_id = $batch AND file_hash = $hash "
                "AND record_type = $rt", {"n": result.rows_flagged, "batch": lineage["batch"],
                                          "hash": lineage["hash"], "rt": result.record_type})


# Each pass re-reads the file; a file with more unclosed quotes than this keeps the rest as one rejected record.
MAX_UNCLOSED_QUOTE_PASSES = 20

TEMP_OBJECTS = ("VIEW checked", "TABLE stage", "TABLE stage_lines", "TABLE stage_raw", "TABLE dup_lines",
                "TABLE stage_stats", "TABLE tz_days", "TABLE ok", "TABLE new_rows")


def _drop_temp(con: duckdb.DuckDBPyConnection, *more_tables: str | None) -> None:
    """Free the staging memory as soon as a source is loaded."""
    for kind_name in (*TEMP_OBJECTS, *(f"TABLE {t}" for t in more_tables if t)):
        kind, name = kind_name.split()
        con.execute(f"DROP {kind} IF EXISTS temp.main.{name}")


def _stage(con: duckdb.DuckDBPyConnection, rt: RecordType, src: SourceTable, present: dict[str, str]
           ) -> tuple[Relation, int]:
    """Build `stage` and view `checked` (with `_rec`, the stage row, and `_line`); returns (relation, rejects)."""
    names = [c for c in rt.column_names if c in present]
    if src.csv is None:
        rel = Relation(src.table, present, src.columns, "_line")
        build_stage(con, rt, rel, names, src.delimiter)
        con.execute("CREATE OR REPLACE TEMP VIEW checked AS SELECT row_number() OVER () - 1 AS _rec, * FROM stage")
        return rel, 0
    rel = src.csv.relation(present)
    for _ in range(MAX_UNCLOSED_QUOTE_PASSES):
        try:
            build_stage(con, rt, rel, names, src.delimiter)
        except duckdb.Error as exc:
            raise src.csv.unreadable(exc) from exc
        rejects = collect_rejects(con, src.csv)
        if not blank_unclosed_quotes(con, src.csv):
            break
        rel = src.csv.relation(present)  # read the copy with the unclosed quotes blanked
    newlines = rel.count_newlines and con.execute("SELECT coalesce(max(_nl), 0) > 0 FROM stage").fetchone()[0]
    con.execute(f"CREATE OR REPLACE TEMP VIEW checked AS {line_numbers(con, src.csv, newlines)}")
    return rel, rejects


def _read_raw_text_again(con: duckdb.DuckDBPyConnection, rt: RecordType, src: SourceTable, rel: Relation) -> None:
    """Temp table `stage_raw`: every source row's masked text, in source order (row for row with `stage`).

    Only when a file repeats a key: the stage keeps the text of invalid rows only.
    """
    names = [c for c in rt.column_names if c in rel.columns]
    cols = ", ".join(f"src0.{p.q(rel.columns[c])} AS {p.ref('raw', c)}" for c in names)
    relation = src.csv.read_csv("csv_rejects_again", "csv_scans_again") if src.csv else rel.sql
    con.execute(f"""CREATE OR REPLACE TEMP TABLE stage_raw AS
        SELECT {raw_text_sql(rt, names, src.delimiter)} AS _raw_text FROM (SELECT {cols} FROM {relation} AS src0)""",
                rel.params or {})
    con.execute("DROP TABLE IF EXISTS csv_rejects_again; DROP TABLE IF EXISTS csv_scans_again")


def _load_one(con: duckdb.DuckDBPyConnection, src: SourceTable, path: Path, lineage: dict, status: str) -> FileResult:
    """Validate and merge one source; the caller owns the transaction."""
    rt = RECORD_TYPES[src.record_type]
    raw_columns = src.csv.raw_columns if src.csv else src.columns
    present, warnings = _source_columns(rt, src.columns, raw_columns, path)
    rel, rejects = _stage(con, rt, src, present)
    staged, ticked = summarise_stage(con, rt)
    dups = find_duplicate_keys(con, rt)
    if dups:
        _read_raw_text_again(con, rt, src, rel)
    result = FileResult(str(path), rt.name, status, warnings=warnings)
    build_tz_days(con, rt)
    result.rows_new, result.rows_unchanged, result.rows_superseded, result.rows_flagged = _merge(
        con, rt, lineage, loaded_rows_sql(rt, ticked, dups, _row_hash_sql(rt)), src.format in MESSAGE_READERS)
    if result.rows_flagged:  # DST flags are among the flagged rows: no scan for a file without any
        result.warnings += _dst_warnings(con, rt, lineage)
    rejects_table = src.csv.rejects_table if src.csv else None
    _quarantine(con, rt, lineage, dups, "stage_raw" if dups else None, rejects_table, src.columns)
    _drop_temp(con, rejects_table)
    result.rows_loaded = result.rows_new + result.rows_unchanged
    result.top_reasons = con.execute(
        "SELECT reason_code, count(*) FROM raw.quarantine WHERE batch_id = $b AND file_hash = $h AND record_type = $rt "
        "GROUP BY 1 ORDER BY 2 DESC, 1",
        {"b": lineage["batch"], "h": lineage["hash"], "rt": rt.name},
    ).fetchall()
    result.rows_quarantined = sum(n for _, n in result.top_reasons)
    result.rows_read = staged + rejects
    _log(con, result, lineage, src.format, src.encoding, src.delimiter)
    if result.rows_read != result.rows_loaded + result.rows_quarantined:
        raise AssertionError(f"{path}: reconciliation failed: {result}")
    return result


# Which rule the load applied to a DST flag, for the warning that counts them (see parse_sql.dst_flag).
DST_RULES = {
    p.NONEXISTENT_LOCAL_TIME: "have a local time that does not exist (the hour skipped when the clocks go forward): "
                              "stored moved forward by the gap (02:30 -> 03:30 summer time)",
    p.AMBIGUOUS_LOCAL_TIME: "have a local time that happens twice (the hour repeated when the clocks go back): "
                            "stored as its second, standard-time occurrence",
}


def _dst_warnings(con: duckdb.DuckDBPyConnection, rt: RecordType, lineage: dict) -> list[str]:
    """One warning per DST flag the file's new rows carry: how many, which rule was applied, how to avoid it."""
    if not any(c.kind is Kind.TIMESTAMP for c in rt.columns):
        return []
    counts = con.execute(
        f"SELECT {', '.join(f'count(*) FILTER (list_contains(_flags, {sql_str(f)}))' for f in DST_RULES)} "
        f"FROM raw.{p.q(rt.name)} WHERE _batch_id = $batch AND _file_hash = $hash",
        {"batch": lineage["batch"], "hash": lineage["hash"]}).fetchone()
    return [f"{n:,} row(s) {rule}; loaded, flagged {flag} and left out of the statistics. Export times with their "
            "UTC offset (2026-10-25T02:30+02:00) to make them exact"
            for (flag, rule), n in zip(DST_RULES.items(), counts, strict=True) if n]


def _log(con: duckdb.DuckDBPyConnection, result: FileResult, lineage: dict, fmt: str, encoding: str | None,
         delimiter: str | None) -> None:
    con.execute(
        """INSERT INTO raw.ingest_log VALUES ($batch, $file, $hash, $rt, $fmt, $enc, $delim, $status, $read,
           $loaded, $new, $unchanged, $superseded, $quarantined, $flagged, $warnings, $now, now()::TIMESTAMP)""",
        lineage | {
            "rt": result.record_type, "status": "context" if result.status == "context" else "loaded",
            "fmt": fmt, "enc": encoding, "delim": delimiter, "read": result.rows_read,
            "loaded": result.rows_loaded, "new": result.rows_new, "unchanged": result.rows_unchanged,
            "superseded": result.rows_superseded, "quarantined": result.rows_quarantined,
            "flagged": result.rows_flagged, "warnings": result.warnings,
        },
    )


def _csv_sources(con: duckdb.DuckDBPyConnection, path: Path, record_type: str | None,
                 options: CsvOptions | None, stack: ExitStack) -> list[SourceTable]:
    """The CSV as a source read in place by the validation (a transcoded copy lives as long as `stack`)."""
    record_type = record_type or record_type_for_filename(path.name)
    if record_type not in RECORD_TYPES:
        raise UnreadableFile(
            f"{path}: cannot tell the record type from the file name. Name it <type>_<anything>.csv "
            f"(types: {', '.join(RECORD_TYPES)}) or pass --type."
        )
    csv = stack.enter_context(open_csv(con, path, options))
    return [SourceTable(record_type, "", csv.columns, "csv", csv.encoding, csv.delimiter, csv)]


def _message_sources(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, clinic_id: str | None,
                     facts: FileFacts) -> tuple[list[SourceTable], list]:
    """The file's rows as all-VARCHAR temp tables, with every ID or text value equal to one of the file's patient
    identifiers pseudonymised (a lab reusing the MRN as its filler order number: the MRN never reaches a table)."""
    import pyarrow as pa

    from ingest.fhir_r4 import read_fhir_file
    from ingest.hl7v2 import read_hl7v2_file
    from ingest.message_rows import MESSAGE_NUMBER

    reader = read_hl7v2_file if fmt == "hl7v2" else read_fhir_file
    try:
        groups, skipped = reader(path, clinic_id, facts, _own_labs(con))
    except (OSError, ValueError) as exc:
        raise UnreadableFile(f"{path}: not readable as {fmt} ({exc}). Check that the file is {fmt} and complete; "
                             "nothing in it was loaded.") from exc
    con.register("patient_identifiers", pa.table({"v": pa.array(sorted(facts.identifiers), pa.string())}))
    sources = []
    for group in groups:
        rt = RECORD_TYPES[group.record_type]
        table = f"src_in_{group.record_type}"
        columns = [*rt.column_names, MESSAGE_NUMBER]
        arrow = pa.table({c: pa.array([row.get(c) for row in group.rows], pa.string()) for c in columns})
        masked = ", ".join(
            f"CASE WHEN trim({p.q(c.name)}) IN (SELECT v FROM patient_identifiers) THEN {hmac_sql(p.q(c.name))} "
            f"ELSE {p.q(c.name)} END AS {p.q(c.name)}" if c.kind in (Kind.ID, Kind.TEXT) else p.q(c.name)
            for c in rt.columns)
        con.register("message_rows", arrow)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT CAST({MESSAGE_NUMBER} AS BIGINT) AS _line, {masked} FROM message_rows""")
        con.unregister("message_rows")
        sources.append(SourceTable(group.record_type, table, columns[:-1], fmt))
    con.unregister("patient_identifiers")
    return sources, skipped


def _own_labs(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Clinic id -> the casefolded id and name its master data gives it: a performing lab named so is in house."""
    clinics = con.execute("SELECT clinic_id, name FROM raw.clinics WHERE _is_current").fetchall()
    return {cid: {v.casefold() for v in (cid, name) if v} for cid, name in clinics}


def _quarantine_skipped(con: duckdb.DuckDBPyConnection, path: Path, skipped: list, lineage: dict,
                        fmt: str, status: str) -> FileResult:
    """Quarantine the messages / resources that gave no row, in one statement.

    A quarantined message is keyed by its content (masked text) and reason: the same message saved with other
    bytes (another line break, re-indented JSON) is counted again but not stored twice.
    """
    import pyarrow as pa

    fields = {"line": ("message_number", pa.int64()), "code": ("reason_code", pa.string()),
              "reason": ("reason", pa.string()), "raw": ("raw_masked", pa.string())}
    con.register("skipped_messages", pa.table(
        {name: pa.array([getattr(s, attr) for s in skipped], typ) for name, (attr, typ) in fields.items()}))
    con.execute(
        """INSERT INTO raw.quarantine
        SELECT $batch, $file, $hash, line, 'message', code, [code], reason, raw, $now FROM skipped_messages s
        WHERE NOT EXISTS (SELECT 1 FROM raw.quarantine q WHERE q.record_type = 'message'
                          AND q.reason_code = s.code AND q.raw_text IS NOT DISTINCT FROM s.raw)""",
        lineage,
    )
    con.unregister("skipped_messages")
    reasons = Counter(s.reason_code for s in skipped)
    result = FileResult(str(path), "message", status, rows_read=len(skipped),
                        rows_quarantined=len(skipped), top_reasons=reasons.most_common())
    _log(con, result, lineage, fmt, None, None)
    return result


def _drop_requarantined(con: duckdb.DuckDBPyConnection, lineage: dict) -> None:
    """Rows of a message file quarantined before from another file with the same content and reason: keep one."""
    con.execute(
        """DELETE FROM raw.quarantine q WHERE q.batch_id = $batch AND q.file_hash = $hash AND EXISTS (
            SELECT 1 FROM raw.quarantine o WHERE o.file_hash <> $hash AND o.record_type = q.record_type
            AND o.reason_code = q.reason_code AND o.raw_text IS NOT DISTINCT FROM q.raw_text)""",
        {"batch": lineage["batch"], "hash": lineage["hash"]},
    )


def _log_context(con: duckdb.DuckDBPyConnection, path: Path, facts: FileFacts, lineage: dict, fmt: str
                 ) -> FileResult:
    """One ingest-log row counting the entries kept only as context, so that a Bundle's entries add up."""
    result = FileResult(str(path), "context", "context", rows_read=facts.context,
                        message="entries referenced by loaded rows or envelopes: read, not loaded as records")
    _log(con, result, lineage, fmt, None, None)
    return result


def log_unreadable(con: duckdb.DuckDBPyConnection, path: Path, lineage: dict, fmt: str, message: str) -> None:
    """An ingest-log row (status `unreadable`) for a file nothing could be read from, in its own transaction,
    so the data-quality page shows it although the file fails."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            """INSERT INTO raw.ingest_log VALUES ($batch, $file, $hash, 'message', $fmt, NULL, NULL, 'unreadable',
               0, 0, 0, 0, 0, 0, 0, [$message], $now, now()::TIMESTAMP)""",
            lineage | {"fmt": fmt, "message": message},
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


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
    facts = FileFacts()
    with ExitStack() as stack:
        # The file's sha256 is computed in a thread (hashlib releases the GIL) while the source is sniffed and
        # opened, which reads the file too; it is known before anything is loaded.
        hashing = stack.enter_context(ThreadPoolExecutor(max_workers=1)).submit(file_sha256, path)
        try:
            if fmt == "csv":
                sources, skipped = _csv_sources(con, path, record_type, options, stack), []
            elif fmt == "mimic-iv":
                from ingest.mimic_iv import mimic_sources

                sources, skipped = mimic_sources(con, path, clinic_id), []
            else:
                sources, skipped = _message_sources(con, path, fmt, clinic_id, facts)
        except UnreadableFile as exc:
            file_hash = _hash_result(hashing, path)  # a file that cannot be read at all is reported as such first
            if fmt in MESSAGE_READERS and not dry_run:
                log_unreadable(con, path, {"batch": batch_id, "file": str(path), "hash": file_hash, "now": now},
                               fmt, str(exc))
            raise
        except BaseException:
            _hash_result(hashing, path)
            raise
        file_hash = _hash_result(hashing, path)
        # Messages: the stored file name has the patients' identifiers masked (the SHA-256 names the file).
        shown = Path(mask_path(str(path), facts.identifiers)) if facts.identifiers else path
        lineage = {"batch": batch_id, "file": str(shown), "hash": file_hash, "now": now}
        status = "dry_run" if dry_run else "loaded"
        results = []
        con.execute("BEGIN TRANSACTION")
        try:
            for src in sources:
                done = _already_ingested(con, file_hash, src.record_type)
                if done is not None:
                    results.append(FileResult(str(shown), src.record_type, "already_ingested", rows_read=done,
                                              message="this exact file was ingested before; nothing changed"))
                    continue
                result = _load_one(con, src, shown, lineage, status)
                if fmt in MESSAGE_READERS:
                    result.rows_flagged += flag_message_rows(con, RECORD_TYPES[src.record_type], src.table,
                                                             lineage, facts.flags)
                    _set_flagged(con, result, lineage)
                results.append(result)
            if skipped and _already_ingested(con, file_hash, "message") is None:
                results.append(_quarantine_skipped(con, shown, skipped, lineage, fmt, status))
            if facts.context and _already_ingested(con, file_hash, "context", "context") is None:
                results.append(_log_context(con, shown, facts, lineage, fmt))
            if fmt in MESSAGE_READERS:
                _drop_requarantined(con, lineage)
            con.execute("ROLLBACK" if dry_run else "COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            for src in sources:  # message rows (with patient ids) live no longer than their file's load
                if src.table:
                    con.execute(f"DROP TABLE IF EXISTS temp.main.{p.q(src.table)}")
    return results


def reason_summary(results: list[FileResult]) -> Counter:
    c: Counter = Counter()
    for r in results:
        c.update(dict(r.top_reasons))
    return c
