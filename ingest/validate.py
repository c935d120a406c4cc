"""Set-based validation of one source against its record type: one DuckDB statement builds the staging table.

Input: a relation (DuckDB's CSV reader over the file, or a temp table of message rows with `_line`) with the
columns as text. Output: temp table `stage`, one row per source row in source order, with the typed contract
columns (timestamps as `n:<col>` wall-clock time and `z:<col>` instant of text with an offset, converted
when loaded, see `loaded_rows_sql`), `_reasons` (why a row must be quarantined: a list of
{code, message}; NULL for a valid row), `_raw_text` (the input row with patient identifiers masked, only for
quarantined rows) and `x:<col>` (ticks in boolean columns). Messages are written for the clerk who has to
fix the export.

The statement reads the relation as its only table, so DuckDB keeps the source order (CSV rows are read in
parallel and still land in file order: `row_number() OVER ()` over `stage` is the record number). That is
why the clinic's time zone is looked up in a map bound as a session variable rather than joined.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ingest import parse_sql as p
from ingest.contract import Column, Kind, RecordType
from ingest.pseudonymise import hmac_sql

MASK = "***"

OUT_OF_RANGE = (f" is out of range: a year from {p.YEAR_MIN} to {p.YEAR_MAX} is allowed (a two-digit year reads as "
                "year 00xx: write the year with four digits)")
EXPECTED_FORMAT = {
    Kind.TIMESTAMP: "a date with a time of day such as 2026-11-25 14:05 or 25.11.2026 14:05",
    Kind.DATE: "a date such as 2026-11-25 or 25.11.2026",
    Kind.TIME: "a time such as 07:30",
    Kind.INTEGER: "a whole number",
    Kind.DECIMAL: "a number such as 134.5 or 134,5",
    Kind.BOOLEAN: "yes/no, ja/nein, true/false, 1/0 or x",
}


@dataclass
class Relation:
    """What the staging statement reads."""

    sql: str  # a FROM item: read_csv(...) or a temp table name
    columns: dict[str, str]  # contract column present in the source -> its column name in the relation
    all_columns: list[str]  # every column of the relation (quoted newlines are counted over all of them)
    line_column: str | None = None  # a column with the line / message number; None = from the record order
    count_newlines: bool = False  # add `_nl`, the quoted newlines in each record (a CSV with quotes)
    params: dict | None = None


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _reason(code: str, message_sql: str) -> str:
    return f"{{'code': {sql_str(code)}, 'message': {message_sql}}}"


# Control characters no export should carry in a value: NUL and the other C0 codes and DEL, except tab and line
# breaks, which a quoted field may hold (a multi-line comment).
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
SHOWN_CHARACTERS = 60  # a value quoted in a reason is cut here
RAW_FIELD_CHARACTERS = 100  # a field of a quarantined row's text, of a kind without a length limit, is cut here


def _shown(t: str) -> str:
    """A value as a reason quotes it: without quotes or control characters, at most SHOWN_CHARACTERS long."""
    return f"left(regexp_replace(replace({t}, chr(39), ''), '{CONTROL}', '?', 'g'), {SHOWN_CHARACTERS})"


def _quoted(col: Column, t: str) -> str:
    return f"{sql_str(col.name + ' ')} || chr(39) || {_shown(t)} || chr(39)"


def _cell_checks(col: Column, value: str, parses: str) -> list[tuple[str, str]]:
    """(condition, reason struct) pairs for one column. Ids and text are never quoted, only their length."""
    t = p.ref("txt", col.name)
    checks = []
    if col.required:
        msg = sql_str(f"required column '{col.name}' is empty: fill it in the source system and export again")
        checks.append((f"{t} IS NULL", _reason("missing_required", msg)))
    if col.kind in EXPECTED_FORMAT:
        any_year = p.parses_in_any_year(col.kind, col.name)
        bad = f"{t} IS NOT NULL AND NOT ({parses})"
        msg = f"{_quoted(col, t)} || {sql_str(' is not ' + EXPECTED_FORMAT[col.kind])}"
        checks.append((bad + (f" AND NOT {any_year}" if any_year else ""), _reason("bad_" + col.kind.value, msg)))
        if any_year:
            msg = f"{_quoted(col, t)} || {sql_str(OUT_OF_RANGE)}"
            checks.append((f"{bad} AND {any_year}", _reason("out_of_range", msg)))
    if col.kind is Kind.ENUM:
        allowed = ", ".join(col.allowed)
        msg = f"{_quoted(col, t)} || {sql_str(' is not one of: ' + allowed)}"
        wildcard = f" AND {t} <> {sql_str(col.wildcard)}" if col.wildcard else ""
        checks.append((f"{t} IS NOT NULL AND ({value}) IS NULL{wildcard}", _reason("bad_enum", msg)))
    if col.length_limit:
        checks += _text_checks(col, t, col.length_limit)
    return checks


def _text_checks(col: Column, t: str, limit: int) -> list[tuple[str, str]]:
    """An id or text longer than the contract allows, or with a control character: refused with a reason."""
    too_long = (f"{sql_str(col.name + ' is ')} || length({t}) || {sql_str(' characters long; at most ')} || "
                f"{sql_str(f'{limit:,}')} || {sql_str(' are allowed: check the export for fields run together')}")
    code_point = f"printf('U+%04X', unicode(regexp_extract({t}, '{CONTROL}')))"
    has_control = (f"{sql_str(col.name + ' contains the control character ')} || {code_point} || "
                   f"{sql_str(', which no value may have: remove it in the source system and export again')}")
    return [(f"length({t}) > {limit}", _reason("too_long", too_long)),
            (f"regexp_matches({t}, '{CONTROL}')", _reason("control_character", has_control))]


def raw_text_sql(rt: RecordType, present: list[str], delimiter: str) -> str:
    """The input row as text, patient identifiers masked (over the staging names `raw:<col>`); each field without
    control characters and cut at its column's length limit (RAW_FIELD_CHARACTERS for the others), so a NUL byte
    or a 100,000-character value is not stored in the quarantine either."""
    parts = []
    for name in present:
        col = rt.column(name)
        field = f"left(regexp_replace(coalesce({p.ref('raw', name)}, ''), '{CONTROL}', '?', 'g'), " \
                f"{col.length_limit or RAW_FIELD_CHARACTERS})"
        parts.append(sql_str(MASK) if col.kind is Kind.PATIENT_ID else field)
    return f"concat_ws({sql_str(delimiter)}, {', '.join(parts)})"


def _first_layer(stage: p.Stage, rt: RecordType, rel: Relation) -> None:
    for col in rt.columns:
        source = rel.columns.get(col.name)
        raw = f"src0.{p.q(source)}" if source is not None else "NULL::VARCHAR"
        stage.add(p.READ, f"raw:{col.name}", raw)
        stage.add(p.READ, f"txt:{col.name}", p.text(raw))
    if rt.name == "clinics":
        tz = "getvariable('backoffice_tz_names')[trim(src0.{})]".format(p.q(rel.columns["timezone"])) \
            if "timezone" in rel.columns else "NULL::VARCHAR"
    elif "clinic_id" in rt.column_names and "clinic_id" in rel.columns:
        tz = f"getvariable('backoffice_clinic_tz')[trim(src0.{p.q(rel.columns['clinic_id'])})]"
    else:
        tz = "NULL::VARCHAR"
    stage.add(p.READ, "_tz", tz)
    if rel.line_column:
        stage.add(p.READ, "_line", f"src0.{p.q(rel.line_column)}")
    if rel.count_newlines:
        counts = [f"coalesce(length(src0.{p.q(c)}) - length(replace(src0.{p.q(c)}, chr(10), '')), 0)"
                  for c in rel.all_columns]
        stage.add(p.READ, "_nl", " + ".join(counts) or "0")


def stage_sql(rt: RecordType, rel: Relation, present: list[str], delimiter: str) -> str:
    """The SELECT behind temp table `stage` (see module docstring)."""
    stage = p.Stage()
    _first_layer(stage, rt, rel)
    outputs = ["\"_line\""] if rel.line_column else []
    checks: list[tuple[str, str]] = []
    for col in rt.columns:
        if col.kind is Kind.PATIENT_ID:
            value, parses = p.ref("raw", col.name), ""
        else:
            value, parses = p.typed(stage, col)
        checks.extend(_cell_checks(col, value, parses))
        if col.kind is Kind.PATIENT_ID:
            # Pseudonymised in the statement that reads it, and only for rows that will be loaded.
            outputs.append(f"CASE WHEN \"_bad\" THEN NULL ELSE {hmac_sql(value)} END AS {p.q(col.name)}")
        else:
            outputs.append(f"{value} AS {p.q(col.name)}")
        if col.kind is Kind.TIMESTAMP:
            outputs[-1] = p.ref("n", col.name)
            outputs.append(p.ref("z", col.name))
        if col.kind is Kind.BOOLEAN:
            outputs.append(p.ref("x", col.name))
    if rt.name == "clinics":
        msg = "'timezone ''' || coalesce(" + p.ref("raw", "timezone") + ", '') || ''' is not an IANA time zone " \
              "such as Europe/Berlin'"
        checks.append((f"{p.ref('txt', 'timezone')} IS NOT NULL AND \"_tz\" IS NULL", _reason("bad_timezone", msg)))
    if rt.name != "clinics" and "clinic_id" in rt.column_names:
        msg = (
            "'clinic ''' || coalesce(" + p.ref("raw", "clinic_id") + ", '') || ''' is not in the clinics master "
            "data: ingest the clinics file first, or correct the clinic_id'"
        )
        checks.append((f"{p.ref('txt', 'clinic_id')} IS NOT NULL AND \"_tz\" IS NULL", _reason("unknown_clinic", msg)))
    conditions = [stage.add(p.CHECK, f"check:{i}", cond) for i, (cond, _) in enumerate(checks)]
    bad = stage.add(p.BAD, "_bad", " OR ".join(conditions) if conditions else "false")
    reasons = [f"CASE WHEN {c} THEN {r} END" for c, (_, r) in zip(conditions, checks, strict=True)]
    outputs.append(f"CASE WHEN {bad} THEN list_filter([{', '.join(reasons)}], lambda x: x IS NOT NULL) END AS _reasons"
                   if reasons else "NULL::STRUCT(code VARCHAR, message VARCHAR)[] AS _reasons")

    outputs.append(f"CASE WHEN {bad} THEN {raw_text_sql(rt, present, delimiter)} END AS _raw_text")
    if rel.count_newlines:
        outputs.append("\"_nl\"")
    return stage.sql(rel.sql, outputs)


def bind_time_zones(con: duckdb.DuckDBPyConnection, rt: RecordType) -> None:
    """Session variables for `_tz`: the current clinics' time zones, or (for clinics) the IANA names.

    A map, not a join, so that the staging statement reads only its source and keeps the source order.
    """
    if rt.name == "clinics":
        con.execute("""SET VARIABLE backoffice_tz_names = (SELECT map(list(name), list(name))
                       FROM (SELECT DISTINCT name FROM pg_timezone_names()))""")
    elif "clinic_id" in rt.column_names:
        con.execute("""SET VARIABLE backoffice_clinic_tz = (
            SELECT coalesce(map(list(clinic_id), list(timezone)), MAP {}::MAP(VARCHAR, VARCHAR))
            FROM (SELECT clinic_id, any_value(timezone) AS timezone FROM raw.clinics
                  WHERE _is_current AND clinic_id IS NOT NULL GROUP BY clinic_id))""")


def build_stage(con: duckdb.DuckDBPyConnection, rt: RecordType, rel: Relation, present: list[str],
                delimiter: str) -> None:
    """Create temp table `stage` from `rel` (see module docstring), in source order."""
    bind_time_zones(con, rt)
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage AS {stage_sql(rt, rel, present, delimiter)}", rel.params or {})


def _key_text(rt: RecordType, alias: str) -> str:
    return f"concat_ws(', ', {', '.join(f'{alias}.{p.q(k)}' for k in rt.key)})"


def find_duplicate_keys(con: duckdb.DuckDBPyConnection, rt: RecordType) -> int:
    """Two valid rows with one key in one file: the last line wins, earlier ones are quarantined.

    Creates temp table `dup_lines` (line, last_line) of the lines to quarantine from view `checked`; returns
    their number. A GROUP BY over a hash of the key finds the few hashes seen more than once; only the rows
    with those hashes are grouped again on the key itself (so a hash collision is no duplicate) and joined back:
    no window over the file, and no hash table of every key's text.
    """
    key = ", ".join(p.q(k) for k in rt.key)
    match = " AND ".join(f"v.{p.q(k)} IS NOT DISTINCT FROM g.{p.q(k)}" for k in rt.key)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE dup_lines AS
        WITH h AS (SELECT hash({key}) AS h FROM checked WHERE _reasons IS NULL GROUP BY 1 HAVING count(*) > 1),
        v AS (SELECT _line, {key} FROM checked WHERE _reasons IS NULL AND hash({key}) IN (SELECT h FROM h)),
        g AS (SELECT {key}, max(_line) AS last_line FROM v GROUP BY ALL HAVING count(*) > 1)
        SELECT v._line AS line, any_value(g.last_line) AS last_line
        FROM v JOIN g ON {match}
        WHERE v._line < g.last_line
        GROUP BY v._line"""
    )
    return con.execute("SELECT count(*) FROM dup_lines").fetchone()[0]


def duplicate_reason_sql(rt: RecordType, alias: str) -> str:
    """The reason struct for a row of `alias` (checked) joined to `d` (dup_lines)."""
    return (f"{{'code': 'duplicate_key_in_file', 'message': 'the same key (' || {_key_text(rt, alias)} || "
            "') appears again on line ' || d.last_line || ' of this file; that later line is kept'}")


def _flag_list(conds: list[tuple[str, str]]) -> str:
    listed = ", ".join(f"CASE WHEN {c} THEN {sql_str(f)} END" for c, f in conds)
    return f"list_filter([{listed}]::VARCHAR[], lambda x: x IS NOT NULL)"


def loaded_rows_sql(rt: RecordType, ticked: dict[str, bool | None], dups: int, row_hash: str) -> str:
    """The rows to load from view `checked`: valid, not an earlier duplicate, with typed timestamps (UTC and
    local, via `tz_days`), booleans, `_flags` (impossible timelines, DST guesses (`parse_sql.dst_flag`), then
    unknown references) and `_row_hash`."""
    joins, conds, inner = [], [], []
    for col in rt.columns:
        if col.kind is Kind.TIMESTAMP:
            day = f"day_{len(joins)}"
            on = f"{day}.tz = c._tz AND {day}.day = CAST(c.{p.ref('n', col.name)} AS DATE)"
            joins.append(f"LEFT JOIN tz_days {day} ON {on}")
            utc, local = p.timestamp_utc(col.name, "c", day)
            inner += [f"{utc} AS {p.ref('utc', col.name)}", f"{local} AS {p.ref('local', col.name)}",
                      f"{p.dst_flag(col.name, 'c', day)} AS {p.ref('dst', col.name)}"]
        elif col.kind is Kind.BOOLEAN:
            inner.append(f"{p.fill_ticked_blank(f'c.{p.q(col.name)}', ticked.get(col.name))} AS {p.q(col.name)}")
        else:
            inner.append(f"c.{p.q(col.name)}")
    scoped = "clinic_id" in rt.column_names
    for i, (column, (ref_type, ref_column)) in enumerate(rt.references.items()):
        cols = f"{p.q(ref_column)} AS v" + (", clinic_id" if scoped else "")
        on = f"ref{i}.v = c.{p.q(column)}" + (f" AND ref{i}.clinic_id = c.clinic_id" if scoped else "")
        joins.append(f"LEFT JOIN (SELECT DISTINCT {cols} FROM raw.{p.q(ref_type)} WHERE _is_current) ref{i} ON {on}")
        inner.append(f"c.{p.q(column)} IS NOT NULL AND ref{i}.v IS NULL AS {p.q(f'unknown:{i}')}")
        conds.append((p.q(f"unknown:{i}"), f"unknown_{ref_type.rstrip('s')}"))
    where = "c._reasons IS NULL"
    if dups:
        joins.append("LEFT JOIN dup_lines d ON d.line = c._line")
        where += " AND d.line IS NULL"
    values = []
    for col in rt.columns:
        if col.kind is Kind.TIMESTAMP:
            utc = p.ref("utc", col.name)
            values += [f"{p.sane_year(utc)} AS {p.q(col.name)}",
                       f"CASE WHEN {p.sane_year(utc)} IS NOT NULL THEN {p.ref('local', col.name)} END "
                       f"AS {p.q(col.name + '_local')}"]
        else:
            values.append(p.q(col.name))
    # An order of two times is only checked when neither is a DST guess (its flag says why the row is out).
    timeline = [(f"{p.q(later)} < {p.q(earlier)} AND {p.ref('dst', earlier)} IS NULL AND {p.ref('dst', later)} IS NULL",
                 flag) for earlier, later, flag in rt.timeline]
    stamps = [c.name for c in rt.columns if c.kind is Kind.TIMESTAMP]
    dst = [(" OR ".join(f"{p.ref('dst', c)} = '{flag}'" for c in stamps), flag) for flag in p.DST_FLAGS] \
        if stamps else []
    values += [p.ref("dst", c) for c in stamps]
    # Flags in order: impossible timelines, DST guesses, unknown references; the list is built only for flagged rows.
    flags = "[]::VARCHAR[]"
    if timeline or dst or conds:
        any_flag = " OR ".join(f"({c})" for c, _ in timeline + dst + conds)
        flags = f"CASE WHEN {any_flag} THEN {_flag_list(timeline + dst + conds)} ELSE []::VARCHAR[] END"
    names = [p.q(c.name) for c in rt.columns] + [p.q(c.name + "_local") for c in rt.columns
                                                  if c.kind is Kind.TIMESTAMP]
    unknown = [c for c, _ in conds]
    return f"""SELECT *, {row_hash} AS _row_hash FROM (
        SELECT {', '.join(names)}, {flags} AS _flags, _line FROM (
            SELECT {', '.join(values + unknown)}, _line FROM (
                SELECT {', '.join(inner)}, c._line FROM ({_with_tz(rt, 'checked')}) c {' '.join(joins)}
                WHERE {where})))"""


def _tz_sql(rt: RecordType) -> str:
    """The time zone of a valid row's clinic (looked up as in the staging statement)."""
    return "getvariable('backoffice_clinic_tz')[clinic_id]" if "clinic_id" in rt.column_names else "NULL::VARCHAR"


def _with_tz(rt: RecordType, table: str) -> str:
    """`table` with `_tz`, the time zone of a valid row's clinic."""
    return f"SELECT *, {_tz_sql(rt)} AS _tz FROM {table}"


def summarise_stage(con: duckdb.DuckDBPyConnection, rt: RecordType) -> tuple[int, dict[str, bool | None]]:
    """One scan of `stage` for the numbers the load needs: temp table `stage_stats`, one row per clinic, with the
    staged rows (`n`), whether a boolean column has an `x` tick (`x:<col>`), and the earliest (`lo`) and latest
    (`hi`) wall-clock time of the valid rows (for `build_tz_days`). Returns (staged rows, ticked columns)."""
    ticks = [c.name for c in rt.columns if c.kind is Kind.BOOLEAN]
    cols = [p.ref("n", c.name) for c in rt.columns if c.kind is Kind.TIMESTAMP]
    group = "clinic_id" if "clinic_id" in rt.column_names else "NULL::VARCHAR"
    aggregates = ["count(*) AS n", *(f"bool_or({p.ref('x', c)}) AS {p.ref('x', c)}" for c in ticks)]
    if cols:
        aggregates += [f"min(least({', '.join(cols)})) FILTER (WHERE _reasons IS NULL) AS lo",
                       f"max(greatest({', '.join(cols)})) FILTER (WHERE _reasons IS NULL) AS hi"]
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage_stats AS SELECT {group} AS clinic_id, {', '.join(aggregates)} "
                "FROM stage GROUP BY 1")
    stats = con.execute(
        "SELECT coalesce(sum(n), 0)" + "".join(f", bool_or({p.ref('x', c)})" for c in ticks) + " FROM stage_stats"
    ).fetchone()
    return stats[0], dict(zip(ticks, stats[1:], strict=True))


def build_tz_days(con: duckdb.DuckDBPyConnection, rt: RecordType) -> None:
    """Temp table `tz_days` (see `parse_sql.TZ_DAYS`) for the staged rows' time zones and dates (`stage_stats`)."""
    if any(c.kind is Kind.TIMESTAMP for c in rt.columns):
        con.execute(p.TZ_DAYS.format(ranges=f"SELECT {_tz_sql(rt)} AS tz, lo, hi FROM stage_stats"))
