"""Which clinic an ingested file and each of its quarantined rows belong to, for the clinic-scoped raw views.

`raw.ingest_log` and `raw.quarantine` have no clinic column: a quarantined row is kept as masked text, and a file
may be one clinic's export or the whole network's. So data.py attributes them here, in SQL on the serving copy:

- a quarantined row belongs to the clinic in its own `clinic_id` field, read from its masked text at the
  contract's position (only when the text splits into exactly the contract's fields, and only if the value is a
  clinic of the network: a row whose fields shifted, or whose text was not kept, has no clinic of its own);
- otherwise to the clinic the file was ingested for: the one clinic of every row loaded from that file (by its
  content hash) and of its attributable quarantined rows. A file with rows of several clinics, or of none
  (certifications and competency assessments carry no clinic; an unreadable file loaded nothing), gives no clinic.
- a file belongs to every clinic among its loaded rows and its attributed quarantined rows.

Rows and files without a clinic are network-wide: data.py shows them to administrators only.

Finding a file's clinics reads every raw table (millions of rows on a large network), so it is done once per
serving copy (`attribution`, cached in the process) and each scoped connection gets the two small results as
tables: the views then only join them.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

import duckdb
import pyarrow as pa

from ingest.contract import RECORD_TYPES

FILE_CLINICS_TABLE = "main._file_clinics"  # (file_hash, clinic_id): no file name, no row content
QUARANTINE_CLINIC_TABLE = "main._quarantine_clinic"  # quarantine rows' key and attributed clinic_id


def clinic_record_types(tables: set[str]) -> list[str]:
    """The record types whose raw table has a `clinic_id` column and exists in the serving copy."""
    return [name for name, rt in RECORD_TYPES.items() if "clinic_id" in rt.column_names and name in tables]


def _layouts() -> str:
    """(record_type, fields, clinic position) of every record type with a clinic column, 1-based as in SQL lists."""
    rows = [f"('{name}', {len(rt.columns)}, {rt.column_names.index('clinic_id') + 1})"
            for name, rt in RECORD_TYPES.items() if "clinic_id" in rt.column_names]
    return "SELECT * FROM (VALUES " + ", ".join(rows) + ") AS t(record_type, n_fields, clinic_pos)"


def quarantine_clinic_sql(alias: str) -> str:
    """The key (batch, file hash, record type, line) and clinic of every quarantine row whose own text names one."""
    raw = f"{alias}.raw"
    return f"""
        WITH log AS (SELECT batch_id, file_hash, record_type, any_value(delimiter) AS delimiter
                     FROM {raw}.ingest_log GROUP BY ALL),
        fields AS (
            SELECT q.batch_id, q.file_hash, q.record_type, q.source_line, lay.n_fields, lay.clinic_pos,
                   string_split(q.raw_text, coalesce(log.delimiter, ',')) AS parts
            FROM {raw}.quarantine q
            LEFT JOIN log USING (batch_id, file_hash, record_type)
            LEFT JOIN ({_layouts()}) lay USING (record_type))
        SELECT batch_id, file_hash, record_type, source_line,
               CASE WHEN len(parts) = n_fields THEN trim(parts[clinic_pos]) END AS clinic_id
        FROM fields
        WHERE clinic_id IN (SELECT clinic_id FROM {raw}.clinics)"""


def file_clinics_sql(alias: str, tables: list[str], quarantine_clinics: str) -> str:
    """(file_hash, clinic_id) for every clinic a file loaded rows of or has an attributable quarantined row of."""
    loaded = [f"SELECT DISTINCT _file_hash AS file_hash, clinic_id FROM {alias}.raw.{name}" for name in tables]
    return " UNION ".join([*loaded, f"SELECT DISTINCT file_hash, clinic_id FROM {quarantine_clinics}"])


@lru_cache(maxsize=4)
def attribution(serving: str) -> tuple[pa.Table, pa.Table] | None:
    """(quarantine rows' clinics, files' clinics) of the serving copy `serving`, computed once per copy (a new
    publication is a new file name); None for a copy without the raw schema's bookkeeping tables."""
    with duckdb.connect(":memory:") as con:
        alias = "attributed_" + secrets.token_hex(8)
        con.execute(f"ATTACH '{serving.replace(chr(39), chr(39) * 2)}' AS {alias} (READ_ONLY)")
        raw_tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = $1 AND table_schema = 'raw'",
            [alias]).fetchall()}
        if not {"ingest_log", "quarantine", "clinics"} <= raw_tables:
            return None
        con.execute(f"CREATE TEMP TABLE quarantine_clinics AS {quarantine_clinic_sql(alias)}")
        files = con.sql(file_clinics_sql(alias, clinic_record_types(raw_tables), "quarantine_clinics"))
        return con.sql("SELECT * FROM quarantine_clinics").to_arrow_table(), files.to_arrow_table()


def load_attribution(con: duckdb.DuckDBPyConnection, serving: str) -> None:
    """Create QUARANTINE_CLINIC_TABLE and FILE_CLINICS_TABLE as tables in `con` from the copy's cached attribution."""
    tables = attribution(serving)
    if tables is None:
        return
    for name, table in zip((QUARANTINE_CLINIC_TABLE, FILE_CLINICS_TABLE), tables, strict=True):
        con.register("_attribution", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _attribution")
        con.unregister("_attribution")


def attributed_quarantine_sql(src: str) -> str:
    """The quarantine `src` with `clinic_id`: its row's own clinic, else its file's one clinic (else NULL)."""
    return f"""
        SELECT q.*, coalesce(own.clinic_id, single.clinic_id) AS clinic_id
        FROM {src} q
        LEFT JOIN (SELECT DISTINCT * FROM {QUARANTINE_CLINIC_TABLE}) own
               USING (batch_id, file_hash, record_type, source_line)
        LEFT JOIN (SELECT file_hash, min(clinic_id) AS clinic_id FROM {FILE_CLINICS_TABLE}
                   GROUP BY file_hash HAVING count(DISTINCT clinic_id) = 1) single USING (file_hash)"""


def file_visible_sql(scope: str, network: bool) -> str:
    """Predicate on a row with `file_hash`: the file belongs to one of the user's clinics (`scope` on clinic_id),
    or, for a user who sees network-wide rows, to no clinic at all."""
    mine = f"file_hash IN (SELECT file_hash FROM {FILE_CLINICS_TABLE} WHERE {scope})"
    if not network:
        return mine
    return f"({mine} OR file_hash NOT IN (SELECT file_hash FROM {FILE_CLINICS_TABLE} WHERE file_hash IS NOT NULL))"


def row_visible_sql(scope: str, network: bool) -> str:
    """Predicate on an attributed row: one of the user's clinics, or no clinic for a user who sees network rows."""
    return f"({scope} OR clinic_id IS NULL)" if network else scope
