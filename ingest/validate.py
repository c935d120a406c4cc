"""Set-based validation of one input table against its record type, in a single DuckDB statement.

Input: temp table `src` (contract columns as VARCHAR, `_line`, `_tz`). Output: temp table `checked` with the
typed contract columns, `<ts>_local` times, `_reasons` (why a row must be quarantined: a list of
{code, message}), `_flags` (loaded, but flagged) and `_raw_text` (the input row with patient identifiers
masked, for the quarantine). Messages are written for the clerk who has to fix the export.
"""

from __future__ import annotations

import duckdb

from ingest import parse_sql as p
from ingest.contract import Column, Kind, RecordType
from ingest.pseudonymise import hmac_sql

MASK = "***"

EXPECTED_FORMAT = {
    Kind.TIMESTAMP: "a date with a time of day such as 2026-11-25 14:05 or 25.11.2026 14:05",
    Kind.DATE: "a date such as 2026-11-25 or 25.11.2026",
    Kind.TIME: "a time such as 07:30",
    Kind.INTEGER: "a whole number",
    Kind.DECIMAL: "a number such as 134.5 or 134,5",
    Kind.BOOLEAN: "yes/no, ja/nein, true/false, 1/0 or x",
}


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _reason(code: str, message_sql: str) -> str:
    return f"{{'code': {_sql_str(code)}, 'message': {message_sql}}}"


def _cell_checks(rt: RecordType, col: Column) -> list[str]:
    """CASE expressions yielding a reason struct or NULL for one column."""
    t = p.text(col.name)
    checks = []
    if col.required:
        msg = _sql_str(f"required column '{col.name}' is empty: fill it in the source system and export again")
        checks.append(f"CASE WHEN {t} IS NULL THEN {_reason('missing_required', msg)} END")
    if col.kind in EXPECTED_FORMAT:
        shown = f"replace({t}, '''', '')"
        msg = (
            f"{_sql_str(col.name + ' ')} || '''' || {shown} || '''' || "
            f"{_sql_str(' is not ' + EXPECTED_FORMAT[col.kind])}"
        )
        parses = p.parses(col)
        checks.append(f"CASE WHEN {t} IS NOT NULL AND NOT ({parses}) THEN {_reason('bad_' + col.kind.value, msg)} END")
    if col.kind is Kind.ENUM:
        allowed = ", ".join(col.allowed)
        msg = f"{_sql_str(col.name + ' ')} || '''' || {t} || '''' || {_sql_str(' is not one of: ' + allowed)}"
        wildcard = f" AND {t} <> {_sql_str(col.wildcard)}" if col.wildcard else ""
        checks.append(
            f"CASE WHEN {t} IS NOT NULL AND ({p.typed(col)}) IS NULL{wildcard} THEN {_reason('bad_enum', msg)} END"
        )
    return checks


def _value_expr(col: Column) -> str:
    if col.kind is Kind.PATIENT_ID:
        return hmac_sql(f"src.{p.q(col.name)}")
    return p.typed(col)


def _flag_exprs(rt: RecordType) -> list[str]:
    flags = []
    for earlier, later, flag in rt.timeline:
        flags.append(
            f"CASE WHEN {p.timestamp_utc(later)} < {p.timestamp_utc(earlier)} THEN {_sql_str(flag)} END"
        )
    return flags


def _raw_text(rt: RecordType, present: list[str], delimiter: str) -> str:
    parts = []
    for name in present:
        col = rt.column(name)
        parts.append(_sql_str(MASK) if col.kind is Kind.PATIENT_ID else f"coalesce(src.{p.q(name)}, '')")
    return f"concat_ws({_sql_str(delimiter)}, {', '.join(parts)})"


def build_checked(
    con: duckdb.DuckDBPyConnection, rt: RecordType, present: list[str], delimiter: str = ","
) -> None:
    """Create temp table `checked` from temp table `src` (see module docstring)."""
    values = []
    for col in rt.columns:
        values.append(f"{_value_expr(col)} AS {p.q(col.name)}")
        if col.kind is Kind.TIMESTAMP:
            values.append(f"{p.timestamp_local(col.name)} AS {p.q(col.name + '_local')}")
    checks = [c for col in rt.columns for c in _cell_checks(rt, col)]
    if rt.name == "clinics":
        msg = "'timezone ''' || coalesce(src.timezone, '') || ''' is not an IANA time zone such as Europe/Berlin'"
        checks.append(
            "CASE WHEN nullif(trim(src.timezone), '') IS NOT NULL AND src._tz IS NULL "
            f"THEN {_reason('bad_timezone', msg)} END"
        )
    if rt.name != "clinics" and "clinic_id" in rt.column_names:
        msg = (
            "'clinic ''' || coalesce(src.clinic_id, '') || ''' is not in the clinics master data: "
            "ingest the clinics file first, or correct the clinic_id'"
        )
        checks.append(
            f"CASE WHEN {p.text('clinic_id')} IS NOT NULL AND src._tz IS NULL THEN {_reason('unknown_clinic', msg)} END"
        )
    flags = _flag_exprs(rt)
    reasons = f"list_filter([{', '.join(checks)}], lambda x: x IS NOT NULL)" if checks else "[]"
    flag_list = f"list_filter([{', '.join(flags)}]::VARCHAR[], lambda x: x IS NOT NULL)" if flags else "[]::VARCHAR[]"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE checked AS
        SELECT src._line AS _line, {', '.join(values)},
               {reasons} AS _reasons, {flag_list} AS _flags, {_raw_text(rt, present, delimiter)} AS _raw_text
        FROM src"""
    )
    _mark_duplicate_keys(con, rt)


def _mark_duplicate_keys(con: duckdb.DuckDBPyConnection, rt: RecordType) -> None:
    """Two valid rows with one key in one file: the last line wins, earlier ones are quarantined."""
    key = ", ".join(p.q(k) for k in rt.key)
    con.execute(
        f"""UPDATE checked SET _reasons = list_append(_reasons, {{'code': 'duplicate_key_in_file',
                'message': 'the same key (' || concat_ws(', ', {key}) || ') appears again on line '
                           || d.last_line || ' of this file; that later line is kept'}})
        FROM (SELECT _line AS line, max(_line) OVER (PARTITION BY {key}) AS last_line
              FROM checked WHERE len(_reasons) = 0) d
        WHERE checked._line = d.line AND d.line < d.last_line"""
    )


def flag_unknown_references(con: duckdb.DuckDBPyConnection, rt: RecordType) -> None:
    """Codes not found in the current master data are flagged `unknown_<type>`, never dropped."""
    for column, (ref_type, ref_column) in rt.references.items():
        scope = "AND r.clinic_id = checked.clinic_id" if "clinic_id" in rt.column_names else ""
        con.execute(
            f"""UPDATE checked SET _flags = list_append(_flags, 'unknown_{ref_type.rstrip("s")}')
            WHERE {p.q(column)} IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM raw.{p.q(ref_type)} r
                WHERE r._is_current AND r.{p.q(ref_column)} = checked.{p.q(column)} {scope})"""
        )
