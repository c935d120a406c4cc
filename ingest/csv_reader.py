"""Read a CSV export as the clinic's software writes it into an all-VARCHAR DuckDB table, losing no row.

Practice exports differ: comma or semicolon, UTF-8 with or without BOM or Windows-1252 (German Excel), CRLF,
quoted newlines. We sniff the encoding and delimiter (a per-source option overrides them), transcode
non-UTF-8 files once into a temporary UTF-8 copy, and let DuckDB's reader do the parsing with every column
as text, so no value is lost to type guessing. Structurally broken lines (too many or too few fields) are
collected by DuckDB's `store_rejects` with their physical line number and go to the quarantine.
"""

from __future__ import annotations

import codecs
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.parse_sql import q

SNIFF_BYTES = 64 * 1024
CHUNK = 8 * 1024 * 1024
DELIMITERS = (";", ",", "\t", "|")


class UnreadableFile(Exception):
    """The file cannot be read at all; the message names the file and the fix."""


@dataclass
class CsvOptions:
    encoding: str | None = None  # utf-8, cp1252, latin-1; None = detect
    delimiter: str | None = None  # None = detect from the header line


@dataclass
class CsvTable:
    columns: list[str]  # normalised header names, in file order
    encoding: str
    delimiter: str
    rejects_table: str = ""  # temp table (line, csv_line, error_message) of structurally broken lines
    rejects: int = 0


def normalise_header(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower().replace(" ", "_").replace("-", "_")


def detect_encoding(path: Path) -> str:
    """utf-8 when every byte decodes as UTF-8 (checked in streaming chunks), else Windows-1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


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


def read_csv_table(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, options: CsvOptions | None = None
) -> CsvTable:
    """Create temp table `table` with the file's columns as VARCHAR plus `_line` (physical line number)."""
    options = options or CsvOptions()
    try:
        encoding = options.encoding or detect_encoding(path)
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
        rej_table, rej_scan = f"{table}_rejects", f"{table}_reject_scans"
        con.execute(f"DROP TABLE IF EXISTS {rej_table}; DROP TABLE IF EXISTS {rej_scan}")
        try:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {table}_read AS
                SELECT row_number() OVER () AS _record, *
                FROM read_csv($path, all_varchar = true, header = true, delim = $delim, quote = '"',
                              escape = '"', ignore_errors = true, store_rejects = true, null_padding = false,
                              rejects_table = '{rej_table}', rejects_scan = '{rej_scan}',
                              strict_mode = true, parallel = false)""",
                {"path": str(readable), "delim": delimiter},
            )
        except duckdb.Error as exc:
            raise UnreadableFile(
                f"{path}: not readable as CSV with delimiter {delimiter!r} and encoding {encoding} ({exc}). "
                "Export it again as CSV, or pass --delimiter / --encoding."
            ) from exc
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table}_broken AS
            SELECT DISTINCT ON (line) line, csv_line, error_message FROM {rej_table} ORDER BY line"""
        )

    raw_columns = [r[0] for r in con.execute(f"DESCRIBE {table}_read").fetchall()][1:]
    columns = [normalise_header(c) for c in raw_columns]
    newline_count = " + ".join(
        f"coalesce(length({q(c)}) - length(replace({q(c)}, chr(10), '')), 0)" for c in raw_columns
    ) or "0"
    renamed = ", ".join(f"{q(old)} AS {q(new)}" for old, new in zip(raw_columns, columns, strict=True))
    # Physical line = header + record number + quoted newlines before it + rejected lines before it
    # (a rejected line at physical line r, the j-th reject, sits where record r - j would otherwise be).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        WITH r AS (SELECT line - row_number() OVER (ORDER BY line) + 1 AS q FROM {table}_broken),
        base AS (
            SELECT *, 1 + _record + coalesce(sum({newline_count}) OVER (
                ORDER BY _record ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS _provisional
            FROM {table}_read)
        SELECT base._provisional + (SELECT count(*) FROM r WHERE r.q <= base._provisional) AS _line,
               {renamed}
        FROM base ORDER BY _record"""
    )
    con.execute(f"DROP TABLE {table}_read; DROP TABLE IF EXISTS {rej_table}; DROP TABLE IF EXISTS {rej_scan}")
    rejects = con.execute(f"SELECT count(*) FROM {table}_broken").fetchone()[0]
    return CsvTable(columns, encoding, delimiter, rejects_table=f"{table}_broken", rejects=rejects)
