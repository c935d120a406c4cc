"""The `raw` schema: one table per record type, plus `raw.quarantine` and `raw.ingest_log`.

Raw tables keep every version of every record (`_is_current` marks the one in force), typed, with lineage
on each row. Timestamps are stored twice: in UTC (`<col>`) for interval arithmetic across DST changes, and
as the clinic's wall-clock time (`<col>_local`) for hour-of-day and calendar-day questions.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from backoffice.file_modes import make_private, private_umask
from ingest.contract import RECORD_TYPES, Kind, RecordType
from ingest.parse_sql import SQL_TYPES, q

LINEAGE_COLUMNS = (
    ("_flags", "VARCHAR[]"),  # loaded-but-flagged reasons: unknown codes, impossible timelines
    # md5 of the typed contract values as a number (md5_number: the digest read little-endian, 16 bytes): an
    # identical re-export changes nothing
    ("_row_hash", "UHUGEINT"),
    ("_is_current", "BOOLEAN"),  # false once a corrected re-export with the same key supersedes the row
    ("_superseded_by_batch", "VARCHAR"),
    ("_source_file", "VARCHAR"),
    ("_source_line", "BIGINT"),  # physical line in a CSV (header = line 1), message number in HL7/FHIR
    ("_file_hash", "VARCHAR"),
    ("_batch_id", "VARCHAR"),
    ("_ingested_at", "TIMESTAMP"),  # UTC
)

QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS raw.quarantine (
    batch_id VARCHAR, source_file VARCHAR, file_hash VARCHAR, source_line BIGINT, record_type VARCHAR,
    reason_code VARCHAR, reason_codes VARCHAR[], reason VARCHAR, raw_text VARCHAR, ingested_at TIMESTAMP
)"""

INGEST_LOG_DDL = """
CREATE TABLE IF NOT EXISTS raw.ingest_log (
    batch_id VARCHAR, source_file VARCHAR, file_hash VARCHAR, record_type VARCHAR, format VARCHAR,
    encoding VARCHAR, delimiter VARCHAR, status VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
    rows_new BIGINT, rows_unchanged BIGINT, rows_superseded BIGINT, rows_quarantined BIGINT,
    rows_flagged BIGINT, warnings VARCHAR[], started_at TIMESTAMP, finished_at TIMESTAMP
)"""


def column_definitions(rt: RecordType) -> list[tuple[str, str]]:
    cols: list[tuple[str, str]] = []
    for c in rt.columns:
        cols.append((c.name, SQL_TYPES[c.kind]))
        if c.kind is Kind.TIMESTAMP:
            cols.append((c.name + "_local", "TIMESTAMP"))
    return cols + list(LINEAGE_COLUMNS)


# A warehouse written before the row hash was a number holds md5() text: the same digest as 32 hex digits,
# read big-endian. Reversing the 16 bytes gives md5_number()'s value, so stored rows still compare equal.
HEX_ROW_HASH_TO_NUMBER = "CAST('0x' || {} AS UHUGEINT)".format(
    " || ".join(f"substr(_row_hash, {2 * i + 1}, 2)" for i in range(15, -1, -1)))


def _migrate_row_hash(con: duckdb.DuckDBPyConnection) -> None:
    """Convert a text `_row_hash` (md5 hex) of an existing warehouse to the number in place, once."""
    tables = con.execute(
        """SELECT table_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'raw'
           AND column_name = '_row_hash' AND data_type = 'VARCHAR' ORDER BY 1""").fetchall()
    for (table,) in tables:
        con.execute(f"ALTER TABLE raw.{q(table)} ALTER COLUMN _row_hash SET DATA TYPE UHUGEINT "
                    f"USING {HEX_ROW_HASH_TO_NUMBER}")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for rt in RECORD_TYPES.values():
        body = ", ".join(f"{q(n)} {t}" for n, t in column_definitions(rt))
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{q(rt.name)} ({body})")
    _migrate_row_hash(con)
    con.execute(QUARANTINE_DDL)
    con.execute(INGEST_LOG_DDL)


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a writer creates it (and its WAL and spill files) 0600 (`backoffice.file_modes`)."""
    if not read_only:
        private_umask()
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if not read_only:
        make_private(path)
    con.execute("SET TimeZone = 'UTC'")  # now() and TIMESTAMPTZ casts in UTC, whatever the machine's zone
    return con
