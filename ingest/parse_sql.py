"""SQL expressions that turn one text column of the contract into its typed value, set-based in DuckDB.

The expressions are laid out in layers (`Stage`): each layer is one projection over the one before, so a
value is computed once and referred to by name afterwards (DuckDB does not share a sub-expression between
the branches of a CASE, and a timestamp is needed as a value, a parse check, a UTC and a local time). The
first layer reads the source relation: per contract column `raw:<c>` (the text as read) and `txt:<c>`
(trimmed, blank = NULL), and `_tz`, the clinic's IANA time zone. A value that is present but does not parse
becomes NULL; `validate.py` compares the text with the parsed value to name the bad cell in the quarantine.
"""

from __future__ import annotations

from ingest.contract import Column, Kind

# Text forms a timestamp may take in the exports, beside ISO 8601 (which DuckDB casts natively).
LOCAL_TIMESTAMP_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y, %H:%M", "%d/%m/%Y %H:%M")
LOCAL_DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y")
TRUE_WORDS = ("true", "t", "yes", "y", "ja", "j", "1", "x", "wahr")
FALSE_WORDS = ("false", "f", "no", "n", "nein", "0", "falsch")
OFFSET_PATTERN = r"(Z|[+-]\d{2}:?\d{2})$"

# Layers of the staging projection (see `Stage`): 0 reads the source, the last ones build reasons and flags.
READ, PARSE, SANE, OFFSET, CONVERT, UTC, CHECK, BAD = range(8)


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ref(kind: str, col: str) -> str:
    """The staging name of one derived value of a column: raw, txt, val, local, ok, x, ..."""
    return q(f"{kind}:{col}")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _list(values: tuple[str, ...]) -> str:
    return f"[{_quoted(values)}]"


def _one_of(expr: str, values: tuple[str, ...]) -> str:
    """`expr IN (values)` written out: DuckDB plans a long IN list as a join, which would lose the row order."""
    return "(" + " OR ".join(f"{expr} = '" + v.replace("'", "''") + "'" for v in values) + ")"


class Stage:
    """Named SQL expressions in layers; an expression may refer to names of earlier layers only."""

    def __init__(self) -> None:
        self.layers: list[dict[str, str]] = [{} for _ in range(BAD + 1)]

    def add(self, layer: int, name: str, expr: str) -> str:
        self.layers[layer][name] = expr
        return q(name)

    def sql(self, relation: str, final: list[str]) -> str:
        """SELECT `final` over the layers, the first of which reads `relation` (aliased `src0`)."""
        first = ", ".join(f"{e} AS {q(n)}" for n, e in self.layers[READ].items())
        query = f"SELECT {first} FROM {relation} AS src0"
        for i, layer in enumerate(self.layers[READ + 1:], start=1):
            if layer:
                query = f"SELECT *, {', '.join(f'{e} AS {q(n)}' for n, e in layer.items())} FROM ({query}) AS l{i}"
        return f"SELECT {', '.join(final)} FROM ({query}) AS stage_src"


def text(raw_sql: str) -> str:
    """Trimmed text; blank is NULL."""
    return f"nullif(trim({raw_sql}), '')"


# Years a date may have. Two-digit years parsed by %Y land in year 0026; placeholders such as 0001-01-01 or
# 9999-12-31 and 1899 (Excel's day zero) are no real event; MIMIC's shifted dates reach 2202.
YEAR_MIN, YEAR_MAX = 1900, 2300


def sane_year(expr: str) -> str:
    """`expr` (a name) when its year is in YEAR_MIN..YEAR_MAX, else NULL."""
    return f"CASE WHEN year({expr}) BETWEEN {YEAR_MIN} AND {YEAR_MAX} THEN {expr} END"


def parses_in_any_year(kind: Kind, col: str) -> str | None:
    """SQL over the staged names: the text is a date (with a time of day) whatever its year; None for other kinds.

    Tells "out of range" (9999-11-23 08:00) from "not a date" (2026-13-45) in the quarantine reason."""
    if kind is Kind.TIMESTAMP:
        return f"({ref('nv', col)} IS NOT NULL OR {ref('wz', col)} IS NOT NULL)"
    if kind is Kind.DATE:
        return f"{ref('dv', col)} IS NOT NULL"
    return None


def naive_timestamp(stage: Stage, col: str) -> str:
    """The text as a wall-clock time, offsets ignored (NULL if it is no date with a time of day)."""
    t = ref("txt", col)
    parsed = f"coalesce(try_cast({t} AS TIMESTAMP), try_strptime({t}, {_list(LOCAL_TIMESTAMP_FORMATS)}))"
    # A date without a time of day is not a timestamp: midnight would invent intervals.
    nv = stage.add(PARSE, f"nv:{col}", f"CASE WHEN contains({t}, ':') THEN {parsed} END")
    return stage.add(SANE, f"naive:{col}", sane_year(nv))


def _utc_wall(instant: str) -> str:
    """timezone('UTC', instant) without ICU: a TIMESTAMPTZ is UTC microseconds, so take them as they are."""
    return f"make_timestamp(epoch_us({instant}))"


def timestamp_parts(stage: Stage, col: str) -> str:
    """Parse a timestamp column in the staging statement; return whether the text parses at all.

    Adds `n:<col>`, the text as the clinic's wall-clock time (naive text), and `z:<col>`, the instant of text
    that carries an offset. Which instant a wall-clock time is needs the clinic's time zone and is left to
    `timestamp_utc`, when the rows are loaded.
    """
    t = ref("txt", col)
    off = stage.add(PARSE, f"off:{col}", f"regexp_matches({t}, '{OFFSET_PATTERN}')")
    naive = naive_timestamp(stage, col)
    # The text read with its offset: needed for offset text, and to tell "parses" for text the naive forms miss.
    # A date without a time of day (TIMESTAMPTZ would read it as midnight) is no timestamp, with or without offset.
    wz = stage.add(OFFSET, f"wz:{col}", f"CASE WHEN ({off} OR {naive} IS NULL) AND contains({t}, ':') "
                                        f"THEN try_cast({t} AS TIMESTAMPTZ) END")
    wo = stage.add(CONVERT, f"wo:{col}", _utc_wall(wz))
    n = stage.add(CONVERT, f"n:{col}", f"CASE WHEN {off} THEN NULL ELSE {naive} END")
    stage.add(CONVERT, f"z:{col}", wz)  # set only where the wall-clock reading is not used
    # Parses = the value that will be stored is there: the wall-clock time, or the instant of the text.
    return stage.add(UTC, f"ok:{col}", f"coalesce({n}, {sane_year(wo)}) IS NOT NULL")


def timestamp_utc(col: str, row: str, day: str) -> tuple[str, str]:
    """(UTC wall time, clinic wall-clock time) of a staged timestamp, before the sane-year check.

    Offsets are honoured; naive text is the clinic's local time (`<row>._tz`). DST: a local time in the spring
    gap is moved forward by the gap (02:30 -> 03:30 CEST); a repeated autumn hour takes its second,
    standard-time occurrence (02:40 -> 02:40 CET = 01:40 UTC). That is ICU's rule in DuckDB, pinned by
    tests/test_lab_dst.py and tests/test_ingest_csv.py — resolved, never an error. An export that must be
    exact in that hour should carry offsets.

    `day` is the row of `tz_days` (see `TZ_DAYS`) for the time zone and local date: on a day with one UTC
    offset all day long (and half a day around it) the instant is the wall-clock time minus that offset and
    the local time is the text itself, which is what ICU returns; on the days around a change of offset, and
    for offsets, ICU converts.
    """
    n, z, tz = f"{row}.{ref('n', col)}", f"{row}.{ref('z', col)}", f"{row}._tz"
    utc = (f"CASE WHEN {z} IS NOT NULL THEN {_utc_wall(z)} WHEN {day}.off_us IS NOT NULL "
           f"THEN {n} - to_microseconds({day}.off_us) ELSE {_utc_wall(f'timezone({tz}, {n})')} END")
    local = (f"CASE WHEN {z} IS NOT NULL THEN timezone({tz}, {z}) WHEN {day}.off_us IS NOT NULL THEN {n} "
             f"ELSE timezone({tz}, timezone({tz}, {n})) END")
    return utc, local


NONEXISTENT_LOCAL_TIME = "nonexistent_local_time"
AMBIGUOUS_LOCAL_TIME = "ambiguous_local_time"
DST_FLAGS = (NONEXISTENT_LOCAL_TIME, AMBIGUOUS_LOCAL_TIME)


def dst_flag(col: str, row: str, day: str) -> str:
    """The DST flag of a staged wall-clock time (NULL when the time is unambiguous), as `timestamp_utc` reads it.

    A time in the spring-forward gap does not exist (2026-03-29 02:30 Europe/Berlin): ICU moves it forward by the
    gap, so its round trip through the time zone comes back different. A time in the repeated autumn hour
    (2026-10-25 02:30) exists twice: the instant ICU chose, an hour earlier or later, shows the same wall-clock
    time. Both are loaded with the flag and left out of the statistics, since the interval they give is a guess
    (tz database DST rules; RFC 9557 / ISO 8601 offsets make them exact). Text with an offset is never
    flagged, nor a time on a day without an offset change (`{day}.off_us` known: see `TZ_DAYS`). One-hour
    changes only (Lord Howe's 30 minutes is not checked).
    """
    n, z, tz = f"{row}.{ref('n', col)}", f"{row}.{ref('z', col)}", f"{row}._tz"
    instant = f"timezone({tz}, {n})"
    return (f"CASE WHEN {z} IS NULL AND {n} IS NOT NULL AND {tz} IS NOT NULL AND {day}.off_us IS NULL THEN "
            f"CASE WHEN timezone({tz}, {instant}) <> {n} THEN '{NONEXISTENT_LOCAL_TIME}' "
            f"WHEN timezone({tz}, {instant} - INTERVAL 1 HOUR) = {n} OR timezone({tz}, {instant} + INTERVAL 1 HOUR) "
            f"= {n} THEN '{AMBIGUOUS_LOCAL_TIME}' END END")


# One row per (time zone, local date) on which the UTC offset is the same all day and half a day either side,
# sampled every 6 hours: the offset in microseconds. Built for the dates of the staged rows (at most 20 years
# back from the latest); other dates are converted by ICU. `{ranges}` has one row per clinic (or other group)
# with `tz` and the earliest (`lo`) and latest (`hi`) wall-clock time of its valid rows: the few rows of
# `stage_stats`, so the time zone is looked up per clinic, not per row.
TZ_DAYS = """CREATE OR REPLACE TEMP TABLE tz_days AS
WITH r AS (SELECT tz, CAST(min(lo) AS DATE) AS lo, CAST(max(hi) AS DATE) AS hi
           FROM ({ranges}) WHERE tz IS NOT NULL GROUP BY tz),
d AS (SELECT tz, CAST(unnest(range(CAST(greatest(lo, hi - 7305) AS TIMESTAMP), CAST(hi AS TIMESTAMP) + INTERVAL 1 DAY,
                                   INTERVAL 1 DAY)) AS DATE) AS day FROM r WHERE hi IS NOT NULL),
s AS (SELECT tz, day, epoch_us(l) - epoch_us(timezone(tz, l)) AS off_us
      FROM (SELECT tz, day, CAST(day AS TIMESTAMP) + to_hours(h) AS l FROM d, (SELECT unnest(range(-12, 37, 6)) AS h)))
SELECT tz, day, min(off_us) AS off_us FROM s GROUP BY tz, day HAVING min(off_us) = max(off_us)"""


def date(stage: Stage, col: str) -> str:
    t = ref("txt", col)
    parsed = stage.add(PARSE, f"dv:{col}", f"coalesce(try_cast({t} AS DATE), "
                                           f"CAST(try_strptime({t}, {_list(LOCAL_DATE_FORMATS)}) AS DATE))")
    return stage.add(SANE, f"val:{col}", sane_year(parsed))


def time_of_day(stage: Stage, col: str) -> str:
    t = ref("txt", col)
    return stage.add(PARSE, f"val:{col}", f"coalesce(try_cast({t} AS TIME), try_cast(replace({t}, '.', ':') AS TIME))")


def integer(stage: Stage, col: str) -> str:
    return stage.add(PARSE, f"val:{col}", f"try_cast({ref('txt', col)} AS BIGINT)")


def decimal(stage: Stage, col: str) -> str:
    """Decimal point or decimal comma; with both, the comma is the decimal mark (German `1.234,5`)."""
    t = ref("txt", col)
    german = f"replace(replace({t}, '.', ''), ',', '.')"
    value = f"try_cast(CASE WHEN contains({t}, ',') THEN {german} ELSE {t} END AS DOUBLE)"
    return stage.add(PARSE, f"val:{col}", value)


def boolean(stage: Stage, col: str) -> str:
    """true/false, yes/no, ja/nein, 1/0. In an `x`-ticked column a blank cell means false: `x:<col>` marks the
    ticks, and the loader fills blanks with false when any row of the file has one (`fill_ticked_blank`)."""
    lw = stage.add(PARSE, f"lw:{col}", f"lower({ref('txt', col)})")
    stage.add(SANE, f"x:{col}", f"{lw} = 'x'")
    return stage.add(SANE, f"val:{col}",
                     f"CASE WHEN {_one_of(lw, TRUE_WORDS)} THEN true WHEN {_one_of(lw, FALSE_WORDS)} THEN false END")


def fill_ticked_blank(value: str, ticked: bool | None) -> str:
    """A loaded row's boolean: blank (NULL) is false in a column where some row of the file says `x`."""
    return f"coalesce({value}, false)" if ticked else value


def enum(stage: Stage, col: Column) -> str:
    lw = stage.add(PARSE, f"lw:{col.name}", f"lower({ref('txt', col.name)})")
    return stage.add(SANE, f"val:{col.name}", f"CASE WHEN {_one_of(lw, col.allowed)} THEN {lw} END")


def typed(stage: Stage, col: Column) -> tuple[str, str]:
    """Add the parsed value of a non-patient column to `stage`; return (value, parses) as SQL over its names.

    A timestamp's value is only known when it is loaded (`timestamp_utc`): its value here is `n:<col>`."""
    match col.kind:
        case Kind.TIMESTAMP:
            return ref("n", col.name), timestamp_parts(stage, col.name)
        case Kind.DATE:
            value = date(stage, col.name)
        case Kind.TIME:
            value = time_of_day(stage, col.name)
        case Kind.INTEGER:
            value = integer(stage, col.name)
        case Kind.DECIMAL:
            value = decimal(stage, col.name)
        case Kind.BOOLEAN:
            value = boolean(stage, col.name)
        case Kind.ENUM:
            value = enum(stage, col)
        case _:
            value = ref("txt", col.name)
    return value, f"({value}) IS NOT NULL"


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
