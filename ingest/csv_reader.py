"""Read a CSV export as the clinic's software writes it, with DuckDB's reader, losing no row.

Practice exports differ: comma or semicolon, UTF-8 with or without BOM or Windows-1252 (German Excel), CRLF,
quoted newlines. We decide the encoding on the whole file and the delimiter from the header (a per-source
option overrides them), read the header's names ourselves, transcode non-UTF-8 files once into a temporary
UTF-8 copy, and let DuckDB's parallel reader do the parsing with every column as text and its sniffer off, so
no value is lost to type guessing and one broken line cannot fail the file. The validation reads the file in
place (`Relation`); structurally broken records (too many or too few fields, an unclosed quote, an over-long
line, bytes that are not UTF-8) are collected by DuckDB's `store_rejects`, numbered by physical line and go
to the quarantine without their text.

Physical line numbers: DuckDB keeps the file order of a single-table read, so `row_number() OVER ()` over
the staging table is the record number. DuckDB numbers a broken line by record too (header = 1, every record,
accepted or broken, one more), not by physical line. A record's physical line is its record line plus the
quoted newlines of all earlier records, accepted or broken. The corrections are computed only when the file
has such lines.
"""

from __future__ import annotations

import codecs
import csv
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.validate import Relation

CHUNK = 8 * 1024 * 1024
DELIMITERS = (";", ",", "\t", "|")
QUOTE = b'"'
BLANK_LINE_BREAKS = (b"\n\n", b"\n\r\n")
BLANK_LINE = re.compile(rb"\n(?=\r?\n)")  # the line break before an empty line


class UnreadableFile(Exception):
    """The file cannot be read at all; the message names the file and the fix."""


@dataclass
class CsvOptions:
    encoding: str | None = None  # utf-8, cp1252, latin-1; None = detect
    delimiter: str | None = None  # None = detect from the header line


@dataclass
class CsvSource:
    path: Path  # as given
    readable: Path  # UTF-8: the file itself or a transcoded temporary copy
    columns: list[str]  # normalised header names, in file order
    raw_columns: list[str]  # the names DuckDB's reader gives them
    encoding: str
    delimiter: str
    has_quotes: bool  # only then can a record span lines
    workdir: Path | None = None  # where a transcoded or repaired copy lives while the file is loaded
    rejects_table: str = "csv_broken"  # temp table (line, error_type, pos, nl) of structurally broken records
    rejects: int = 0
    reject_newlines: bool = False  # a broken record has a quoted newline inside
    unclosed_lines: list[int] = field(default_factory=list)  # DuckDB lines of quotes never closed, blanked
    has_blank_lines: bool = False  # empty lines in a file without quotes (see `blank_line_numbers`)
    skipped: int = 0  # empty lines: neither read nor quarantined

    def read_csv(self, rejects: str = "csv_rejects", scans: str = "csv_reject_scans") -> str:
        """The reader over the file with the header we read ourselves (`auto_detect = false`).

        DuckDB's sniffer rejects a whole file for one unclosed quote or one over-long line and echoes the line;
        without it, such a record is one reject (its line and error type) and the other records load.
        """
        columns = "{" + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for c in self.raw_columns) + "}"
        return (f"""read_csv($path, auto_detect = false, columns = {columns}, header = true, delim = $delim,
                    quote = '"', escape = '"', ignore_errors = true, store_rejects = true, null_padding = false,
                    rejects_table = '{rejects}', rejects_scan = '{scans}', strict_mode = true)""")

    @property
    def params(self) -> dict:
        return {"path": str(self.readable), "delim": self.delimiter}

    def relation(self, present: dict[str, str]) -> Relation:
        return Relation(self.read_csv(), present, self.raw_columns, None, self.has_quotes, self.params)

    def unreadable(self, exc: Exception) -> UnreadableFile:
        """The reader's own message may quote a row (patient data): name the file and the error's type only."""
        return UnreadableFile(
            f"{self.path}: not readable as CSV with delimiter {self.delimiter!r} and encoding {self.encoding} "
            f"({type(exc).__name__}). Export it again as CSV, or pass --delimiter / --encoding."
        )


def normalise_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower().replace(" ", "_").replace("-", "_")


def scan_file(path: Path, encoding: str | None) -> tuple[str, bool, bool]:
    """(encoding, has_quotes, has_blank_lines) in one streaming pass, the encoding decided on the whole file.

    UTF-8 when the file has at least as many valid multi-byte UTF-8 characters as bytes that do not decode, else
    Windows-1252. A UTF-8 file with one stray byte stays UTF-8 (DuckDB rejects that one line as
    `invalid_encoding`) instead of being decoded as Windows-1252 as a whole, which garbles every "ü" into "Ã¼";
    a Windows-1252 file's "ü" (one byte) never forms a valid UTF-8 sequence.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace") if encoding is None else None
    has_quotes = has_blank = False
    valid = invalid = 0  # extra bytes of valid multi-byte characters; undecodable byte runs
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            has_quotes = has_quotes or QUOTE in chunk
            edge = tail + chunk[:2]
            has_blank = has_blank or any(b in chunk or b in edge for b in BLANK_LINE_BREAKS)
            tail = chunk[-2:]
            if decoder is not None and not (chunk.isascii() and not decoder.getstate()[0]):
                decoded, genuine = decoder.decode(chunk), chunk.count(b"\xef\xbf\xbd")  # U+FFFD in the file
                invalid += decoded.count("\ufffd") - genuine
                valid += len(chunk) - len(decoded) - 2 * genuine
            elif has_quotes and encoding is not None:
                break
    if decoder is not None:
        invalid += decoder.decode(b"", final=True).count("\ufffd")
        # On a tie UTF-8: its undecodable lines are quarantined (loud), while Windows-1252 would garble the valid
        # UTF-8 ones without a word.
        encoding = "utf-8" if invalid == 0 or 0 < invalid <= valid else "cp1252"
    return encoding or "utf-8", has_quotes, has_blank


def blank_line_numbers(path: Path) -> list[int]:
    """The physical lines that are empty, in a file without quotes (where no line break can be inside a value).

    DuckDB's reader skips them silently, but counts them in its line numbers: `collect_rejects` adds them to the
    rejected records (error type `BLANK LINE`, neither read nor quarantined), so that the records after them keep
    their physical lines. A loop over the blank lines only; the file is searched by `re`.
    """
    data = path.read_bytes()
    lines, line, at = [], 1, 0
    for m in BLANK_LINE.finditer(data):
        line += data.count(b"\n", at, m.start())
        at = m.start()
        lines.append(line + 1)
    return lines


def detect_encoding(path: Path) -> str:
    return scan_file(path, None)[0]


def _transcode_to_utf8(path: Path, encoding: str, workdir: Path) -> Path:
    # cp1252 leaves five bytes undefined; fall back to latin-1 for those so no byte is ever dropped.
    errors = "strict"
    try:
        with path.open("rb") as fh:
            codecs.getincrementaldecoder(encoding)().decode(fh.read(), final=True)
    except UnicodeDecodeError:
        encoding, errors = "latin-1", "strict"
    target = workdir / (path.name + ".utf8.csv")
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(CHUNK):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))
    return target


def detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def header_names(header_line: str, delimiter: str) -> list[str]:
    """The header's column names as the reader will call them: unique, none empty (`a`, `a_1`; `column3`)."""
    names: list[str] = []
    for i, name in enumerate(next(csv.reader([header_line], delimiter=delimiter, quotechar='"'), [])):
        name = name.strip() or f"column{i}"
        unique, n = name, 0
        while unique in names:
            n += 1
            unique = f"{name}_{n}"
        names.append(unique)
    return names


@contextmanager
def open_csv(con: duckdb.DuckDBPyConnection, path: Path, options: CsvOptions | None = None) -> Iterator[CsvSource]:
    """Sniff the file and name its columns from its first line (without reading the rows); the source stays
    readable inside."""
    options = options or CsvOptions()
    try:
        encoding, has_quotes, has_blank = scan_file(path, options.encoding)
        with path.open("rb") as fh:
            head = fh.readline()
            rest = fh.read(1)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror}). Check the path and permissions.") from exc
    if not head.strip() and not rest:
        raise UnreadableFile(f"{path}: the file is empty. Export it again from the source system.")
    header_line = head.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
    delimiter = options.delimiter or detect_delimiter(header_line)

    with tempfile.TemporaryDirectory(prefix="backoffice-csv-") as workdir:
        readable = path if encoding in ("utf-8", "utf8") else _transcode_to_utf8(path, encoding, Path(workdir))
        raw_columns = header_names(header_line, delimiter)
        if not raw_columns:
            raise UnreadableFile(f"{path}: line 1 has no column names. Export it again with its header line.")
        source = CsvSource(path, readable, [normalise_header(c) for c in raw_columns], raw_columns, encoding,
                           delimiter, has_quotes, Path(workdir), has_blank_lines=has_blank and not has_quotes)
        yield source


def drop_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_reject_scans")


# Which of DuckDB's errors names a broken record when it reports several for one line.
ERROR_PRIORITY = ("UNQUOTED VALUE", "LINE SIZE OVER MAXIMUM", "INVALID ENCODING", "TOO MANY COLUMNS", "MISSING COLUMNS")


def collect_rejects(con: duckdb.DuckDBPyConnection, source: CsvSource) -> int:
    """After the read: temp table `source.rejects_table` with one row per broken record.

    `line` is DuckDB's record line until `line_numbers` makes it the physical line; `error_type` DuckDB's (or
    `UNCLOSED QUOTE` for a line `blank_unclosed_quotes` blanked); `pos` where the line starts in the file (give
    or take its line break); `nl` counts the quoted newlines inside the broken record (its `csv_line`; with CRLF
    DuckDB may keep a stray newline in front). The record's text itself is not kept: it may be shifted
    patient data that no masking by position can catch.
    """
    text = "trim(csv_line, chr(13) || chr(10))"
    nl = f"length({text}) - length(replace({text}, chr(10), ''))" if source.has_quotes else "0"
    priority = "CASE error_type " + " ".join(f"WHEN '{e}' THEN {i}" for i, e in enumerate(ERROR_PRIORITY)) + " END"
    unclosed = f"list_contains({source.unclosed_lines}::BIGINT[], line)"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {source.rejects_table} AS
        SELECT DISTINCT ON (line) line, CASE WHEN {unclosed} THEN 'UNCLOSED QUOTE' ELSE CAST(error_type AS VARCHAR)
               END AS error_type, line_byte_position AS pos, coalesce({nl}, 0) AS nl
        FROM csv_rejects ORDER BY line, {priority}"""
    )
    drop_rejects(con)
    if source.has_blank_lines:
        con.execute(f"INSERT INTO {source.rejects_table} SELECT unnest($lines), 'BLANK LINE', NULL, 0",
                    {"lines": blank_line_numbers(source.readable)})
    source.rejects, source.skipped, source.reject_newlines = con.execute(
        f"""SELECT count(*) FILTER (error_type <> 'BLANK LINE'), count(*) FILTER (error_type = 'BLANK LINE'),
                   coalesce(sum(nl), 0) > 0 FROM {source.rejects_table}""").fetchone()
    return source.rejects


def blank_unclosed_quotes(con: duckdb.DuckDBPyConnection, source: CsvSource) -> bool:
    """Blank the lines whose quote is never closed, so that the lines after them are read; True if any were.

    DuckDB reads an unclosed quote to the next quote or the end of the file, swallowing the lines in between
    into one rejected record. The line that opens it is overwritten with spaces in a copy (byte positions and
    line numbers stay), which the reader then rejects as a line of the wrong width, and `collect_rejects`
    names it `UNCLOSED QUOTE`. Only those few lines are touched; the copy lives in the load's work folder.
    """
    found = con.execute(f"""SELECT line, pos FROM {source.rejects_table}
                            WHERE error_type = 'UNQUOTED VALUE' AND nl > 0 ORDER BY line""").fetchall()
    if not found or source.workdir is None:
        return False
    if source.readable == source.path:
        copy = source.workdir / (source.path.name + ".repaired.csv")
        shutil.copyfile(source.path, copy)
        source.readable = copy
    with source.readable.open("r+b") as fh:
        for line, pos in found:
            fh.seek(max(pos - 2, 0))
            window = fh.read(2)
            # DuckDB's position is the line's first byte, or the one after it (LF files): start after the last
            # line break before it.
            start = max(pos - 2, 0) + (window.rfind(b"\n") + 1 if b"\n" in window else 0)
            fh.seek(start)
            end = start
            while chunk := fh.read(CHUNK):
                cut = chunk.find(b"\n")
                end += len(chunk) if cut < 0 else cut
                if cut >= 0:
                    break
            fh.seek(start)
            body = fh.read(end - start)
            fh.seek(start)
            fh.write(b" " * len(body.rstrip(b"\r")))
            source.unclosed_lines.append(line)
    return True


def line_numbers(con: duckdb.DuckDBPyConnection, source: CsvSource, newlines: bool) -> str:
    """SQL for view `checked` over `stage` with `_rec` (record number, from 0) and `_line` (physical line).

    The record number is `row_number() OVER ()` over the staging table, which DuckDB keeps in file order (and
    computes in the scan). Record line = header + record number + rejected records before it (a rejected
    record at record line r, the j-th reject, sits where record r - j would otherwise be). Physical line =
    record line + quoted newlines of the earlier records, accepted (`_nl`) or rejected (`nl`). Without quoted
    newlines and rejects that is record + 2; otherwise the corrections are step functions of the record line,
    joined on with ASOF joins over the few records that carry them. The rejects table's `line` becomes the
    physical line too.
    """
    numbered = "SELECT row_number() OVER () - 1 AS _rec, * FROM stage"
    if not newlines and not source.rejects and not source.skipped:
        return f"SELECT _rec, _rec + 2 AS _line, * EXCLUDE (_rec) FROM ({numbered})"
    rj = f"""SELECT q, max(j) AS n FROM (
                 SELECT line - row_number() OVER (ORDER BY line) + 1 AS q, row_number() OVER (ORDER BY line) AS j
                 FROM {source.rejects_table}) GROUP BY q"""
    if not newlines and not source.reject_newlines:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE stage_lines AS
            WITH rj AS ({rj})
            SELECT s.rec, s.rec + 2 + coalesce(rj.n, 0) AS line
            FROM (SELECT row_number() OVER () - 1 AS rec FROM stage) s ASOF LEFT JOIN rj ON s.rec + 2 >= rj.q"""
        )
    else:
        # The records with quoted newlines, by record line: cum = their newlines up to and including that record.
        accepted = f"""SELECT a.rec + 2 + coalesce(rj.n, 0) AS line, a._nl AS nl
            FROM (SELECT * FROM (SELECT row_number() OVER () - 1 AS rec, _nl FROM stage) WHERE _nl > 0) a
            ASOF LEFT JOIN ({rj}) rj ON a.rec + 2 >= rj.q UNION ALL """ if newlines else ""
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE stage_nl AS
            SELECT line + 1 AS from_line, sum(nl) OVER (ORDER BY line) AS cum
            FROM ({accepted}SELECT line, nl FROM {source.rejects_table} WHERE nl > 0)"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE stage_lines AS
            WITH rj AS ({rj})
            SELECT r.rec, r.line + coalesce(nl.cum, 0) AS line
            FROM (SELECT s.rec, s.rec + 2 + coalesce(rj.n, 0) AS line
                  FROM (SELECT row_number() OVER () - 1 AS rec FROM stage) s ASOF LEFT JOIN rj ON s.rec + 2 >= rj.q) r
            ASOF LEFT JOIN stage_nl nl ON r.line >= nl.from_line"""
        )
        if source.rejects:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {source.rejects_table} AS
                SELECT r.line + coalesce(nl.cum, 0) AS line, r.error_type, r.pos, r.nl
                FROM {source.rejects_table} r ASOF LEFT JOIN stage_nl nl ON r.line >= nl.from_line ORDER BY r.line"""
            )
        con.execute("DROP TABLE stage_nl")
    return (f"SELECT s._rec, l.line AS _line, s.* EXCLUDE (_rec) FROM ({numbered}) s "
            "JOIN stage_lines l ON l.rec = s._rec")
