"""SQL expressions that turn one text column of the contract into its typed value, set-based in DuckDB.

Each builder returns an expression over the all-VARCHAR input table `src` (with the clinic's IANA time zone
in `src._tz`). A value that is present but does not parse becomes NULL here; `validate.py` compares the
text with the parsed value to name the bad cell in the quarantine reason.
"""

from __future__ import annotations

from ingest.contract import Column, Kind

# Text forms a timestamp may take in the exports, beside ISO 8601 (which DuckDB casts natively).
LOCAL_TIMESTAMP_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y, %H:%M", "%d/%m/%Y %H:%M")
LOCAL_DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y")
TRUE_WORDS = ("true", "t", "yes", "y", "ja", "j", "1", "x", "wahr")
FALSE_WORDS = ("false", "f", "no", "n", "nein", "0", "falsch")
OFFSET_PATTERN = r"(Z|[+-]\d{2}:?\d{2})$"


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _list(values: tuple[str, ...]) -> str:
    return f"[{_quoted(values)}]"


def _in(values: tuple[str, ...]) -> str:
    return f"({_quoted(values)})"


def text(col: str) -> str:
    """Trimmed text; blank is NULL."""
    return f"nullif(trim(src.{q(col)}), '')"


def _sane_year(expr: str) -> str:
    # Two-digit years parsed by %Y land in year 0026; MIMIC's shifted dates reach 2202.
    return f"CASE WHEN year({expr}) BETWEEN 1900 AND 2300 THEN {expr} END"


def naive_timestamp(col: str) -> str:
    t = text(col)
    parsed = f"coalesce(try_cast({t} AS TIMESTAMP), try_strptime({t}, {_list(LOCAL_TIMESTAMP_FORMATS)}))"
    # A date without a time of day is not a timestamp: midnight would invent intervals.
    return _sane_year(f"CASE WHEN contains({t}, ':') THEN {parsed} END")


def timestamp_utc(col: str) -> str:
    """UTC wall time: offsets are honoured; naive text is the clinic's local time (`src._tz`).

    DST: a local time in the spring gap is moved forward by the gap (02:30 -> 03:30 CEST); a repeated autumn
    hour takes its second, standard-time occurrence (02:40 -> 02:40 CET = 01:40 UTC). That is ICU's rule in
    DuckDB, pinned by tests/test_lab_dst.py and tests/test_ingest_csv.py — resolved, never an error. An export
    that must be exact in that hour should carry offsets.
    """
    t = text(col)
    with_offset = f"timezone('UTC', try_cast({t} AS TIMESTAMPTZ))"
    naive_local = f"timezone('UTC', timezone(src._tz, {naive_timestamp(col)}))"
    return _sane_year(f"CASE WHEN regexp_matches({t}, '{OFFSET_PATTERN}') THEN {with_offset} ELSE {naive_local} END")


def timestamp_local(col: str) -> str:
    """The clinic's wall-clock time of the same instant (for hour-of-day and calendar-day grouping)."""
    return f"timezone(src._tz, timezone('UTC', {timestamp_utc(col)}))"


def date(col: str) -> str:
    t = text(col)
    return _sane_year(f"coalesce(try_cast({t} AS DATE), CAST(try_strptime({t}, {_list(LOCAL_DATE_FORMATS)}) AS DATE))")


def time_of_day(col: str) -> str:
    t = text(col)
    return f"coalesce(try_cast({t} AS TIME), try_cast(replace({t}, '.', ':') AS TIME))"


def integer(col: str) -> str:
    return f"try_cast({text(col)} AS BIGINT)"


def decimal(col: str) -> str:
    """Decimal point or decimal comma; with both, the comma is the decimal mark (German `1.234,5`)."""
    t = text(col)
    german = f"replace(replace({t}, '.', ''), ',', '.')"
    return f"try_cast(CASE WHEN contains({t}, ',') THEN {german} ELSE {t} END AS DOUBLE)"


def boolean(col: str) -> str:
    """true/false, yes/no, ja/nein, 1/0; in an `x`-ticked column a blank cell means false."""
    t = f"lower({text(col)})"
    ticked_column = f"bool_or(lower(trim(src.{q(col)})) = 'x') OVER ()"
    return (
        f"CASE WHEN {t} IN {_in(TRUE_WORDS)} THEN true WHEN {t} IN {_in(FALSE_WORDS)} THEN false "
        f"WHEN {t} IS NULL AND {ticked_column} THEN false END"
    )


def enum(col: Column) -> str:
    t = f"lower({text(col.name)})"
    return f"CASE WHEN {t} IN {_in(col.allowed)} THEN {t} END"


def parses(col: Column) -> str:
    """True when the column's text parses, whatever the clinic's time zone (which is checked separately)."""
    if col.kind is Kind.TIMESTAMP:
        t = text(col.name)
        with_offset = _sane_year(f"timezone('UTC', try_cast({t} AS TIMESTAMPTZ))")
        return f"coalesce({naive_timestamp(col.name)}, {with_offset}) IS NOT NULL"
    return f"({typed(col)}) IS NOT NULL"


def typed(col: Column) -> str:
    """The parsed value of a non-patient column (patient ids are pseudonymised instead)."""
    match col.kind:
        case Kind.TIMESTAMP:
            return timestamp_utc(col.name)
        case Kind.DATE:
            return date(col.name)
        case Kind.TIME:
            return time_of_day(col.name)
        case Kind.INTEGER:
            return integer(col.name)
        case Kind.DECIMAL:
            return decimal(col.name)
        case Kind.BOOLEAN:
            return boolean(col.name)
        case Kind.ENUM:
            return enum(col)
        case _:
            return text(col.name)


SQL_TYPES = {
    Kind.ID: "VARCHAR",
    Kind.TEXT: "VARCHAR",
    Kind.PATIENT_ID: "VARCHAR",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.DATE: "DATE",
    Kind.TIME: "TIME",
    Kind.INTEGER: "BIGINT",
    Kind.DECIMAL: "DOUBLE",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.ENUM: "VARCHAR",
}
