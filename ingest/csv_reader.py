"""Read a CSV export as the clinic's software writes it, with DuckDB's reader, losing no row.

Practice exports differ: comma or semicolon, UTF-8 with or without BOM or Windows-1252 (German Excel), CRLF,
quoted newlines. We sniff the encoding and delimiter (a per-source option overrides them), transcode
non-UTF-8 files once into a temporary UTF-8 copy, and let DuckDB's parallel reader do the parsing with every
column as text, so no value is lost to type guessing. The validation reads the file in place (`Relation`);
structurally broken lines (too many or too few fields) are collected by DuckDB's `store_rejects`, numbered by
physical line and go to the quarantine.

Physical line numbers: DuckDB keeps the file order of a single-table read, so `row_number() OVER ()` over
the staging table is the record number. DuckDB numbers a broken line by record too (header = 1, every record,
accepted or broken, one more), not by physical line. A record's physical line is its record line plus the
quoted newlines of all earlier records, accepted or broken. The corrections are computed only when the file
has such lines.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.validate import Relation

SNIFF_BYTES = 64 * 1024
CHUNK = 8 * 1024 * 1024
DELIMITERS = (";", ",", "\t", "|")
QUOTE = b'"'


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
    rejects_table: str = "csv_broken"  # temp table (line, csv_line, error_message, nl) of structurally broken lines
    rejects: int = 0
    reject_newlines: bool = False  # a broken record has a quoted newline inside

    def read_csv(self, rejects: str = "csv_rejects", scans: str = "csv_reject_scans") -> str:
        return (f"""read_csv($path, all_varchar = true, header = true, delim = $delim, quote = '"',
                    escape = '"', ignore_errors = true, store_rejects = true, null_padding = false,
                    rejects_table = '{rejects}', rejects_scan = '{scans}', strict_mode = true)""")

    @property
    def params(self) -> dict:
        return {"path": str(self.readable), "delim": self.delimiter}

    def relation(self, present: dict[str, str]) -> Relation:
        return Relation(self.read_csv(), present, self.raw_columns, None, self.has_quotes, self.params)

    def unreadable(self, exc: Exception) -> UnreadableFile:
        return UnreadableFile(
            f"{self.path}: not readable as CSV with delimiter {self.delimiter!r} and encoding {self.encoding} "
            f"({exc}). Export it again as CSV, or pass --delimiter / --encoding."
        )


def normalise_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower().replace(" ", "_").replace("-", "_")


def scan_file(path: Path, encoding: str | None) -> tuple[str, bool]:
    """(encoding, has_quotes) in one streaming pass: utf-8 when every byte decodes as UTF-8, else Windows-1252."""
    decoder = codecs.getincrementaldecoder("utf-8")() if encoding is None else None
    has_quotes = False
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            has_quotes = has_quotes or QUOTE in chunk
            if decoder is not None and not (chunk.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    decoder, encoding = None, "cp1252"
            elif has_quotes and encoding is not None:
                break
    if decoder is not None:
        try:
            decoder.decode(b"", final=True)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    return encoding or "utf-8", has_quotes


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


@contextmanager
def open_csv(con: duckdb.DuckDBPyConnection, path: Path, options: CsvOptions | None = None) -> Iterator[CsvSource]:
    """Sniff the file and name its columns (without reading the rows); the source stays readable inside."""
    options = options or CsvOptions()
    try:
        encoding, has_quotes = scan_file(path, options.encoding)
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror}). Check the path and permissions.") from exc
    if not head.strip():
        raise UnreadableFile(f"{path}: the file is empty. Export it again from the source system.")
    header_line = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0]
    delimiter = options.delimiter or detect_delimiter(header_line)

    with tempfile.TemporaryDirectory(prefix="backoffice-csv-") as workdir:
        readable = path if encoding in ("utf-8", "utf8") else _transcode_to_utf8(path, encoding, Path(workdir))
        source = CsvSource(path, readable, [], [], encoding, delimiter, has_quotes)
        try:
            raw_columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source.read_csv()}",
                                                     source.params).fetchall()]
        except duckdb.Error as exc:
            raise source.unreadable(exc) from exc
        finally:
            drop_rejects(con)
        source.raw_columns = raw_columns
        source.columns = [normalise_header(c) for c in raw_columns]
        yield source


def drop_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_reject_scans")


def collect_rejects(con: duckdb.DuckDBPyConnection, source: CsvSource) -> int:
    """After the read: temp table `source.rejects_table` with one row per broken record.

    `line` is DuckDB's record line until `line_numbers` makes it the physical line; `nl` counts the quoted
    newlines inside the broken record (its `csv_line`; with CRLF DuckDB may keep a stray newline in front).
    """
    text = "trim(csv_line, chr(13) || chr(10))"
    nl = f"length({text}) - length(replace({text}, chr(10), ''))" if source.has_quotes else "0"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {source.rejects_table} AS
        SELECT DISTINCT ON (line) line, csv_line, error_message, coalesce({nl}, 0) AS nl
        FROM csv_rejects ORDER BY line"""
    )
    drop_rejects(con)
    source.rejects, source.reject_newlines = con.execute(
        f"SELECT count(*), coalesce(sum(nl), 0) > 0 FROM {source.rejects_table}").fetchone()
    return source.rejects


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
    if not newlines and not source.rejects:
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
                SELECT r.line + coalesce(nl.cum, 0) AS line, r.csv_line, r.error_message, r.nl
                FROM {source.rejects_table} r ASOF LEFT JOIN stage_nl nl ON r.line >= nl.from_line ORDER BY r.line"""
            )
        con.execute("DROP TABLE stage_nl")
    return (f"SELECT s._rec, l.line AS _line, s.* EXCLUDE (_rec) FROM ({numbered}) s "
            "JOIN stage_lines l ON l.rec = s._rec")
