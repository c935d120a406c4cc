"""Flags on rows read from HL7 v2 / FHIR messages that the CSV validation cannot see: DST and reader flags.

Loaded rows keep their flags in `_flags` (the models leave flagged rows out of the statistics). Two kinds are
added here, set-based, after a message file's rows are merged:

- `nonexistent_local_time` / `ambiguous_local_time`: a timestamp without an offset (neither the field nor
  MSH-7 has one: HL7 v2 DTM) is the clinic's local time; in the hour skipped at the spring DST change it names
  no instant, in the hour repeated in autumn it names two. The ingest stores one reading of it; the flag says
  that reading is a guess (domain-standards 1.1: the instants of the timeline; IANA tz rules via ICU).
- reader flags (`FileFacts.flags`), e.g. `no_exam_room_location` for a FHIR Encounter whose locations are
  no exam room.

Only rows inserted by this file are touched: an unchanged row kept its flags from its first load.
"""

from __future__ import annotations

import duckdb

from ingest.contract import Kind, RecordType
from ingest.parse_sql import q

# Text that names a wall-clock time with no offset: `2026-03-29 02:30:00`, `2026-03-29T02:30`.
NAIVE_TIME = r"^\s*\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*$"


def _dst_flags_sql(rt: RecordType, src: str) -> list[str]:
    """One SELECT per timestamp column: (_line, key columns, flag) for a naive local time that is not one instant."""
    keys = ", ".join(f"s.{q(k)}" for k in rt.key)
    selects = []
    for col in (c for c in rt.columns if c.kind is Kind.TIMESTAMP):
        local = f"TRY_CAST(trim(s.{q(col.name)}) AS TIMESTAMP)"
        instant = f"timezone(z.tz, {local})"
        selects.append(
            f"""SELECT s._line, {keys}, CASE
                    WHEN timezone(z.tz, {instant}) <> {local} THEN 'nonexistent_local_time'
                    WHEN timezone(z.tz, {instant} + INTERVAL 1 HOUR) = {local}
                      OR timezone(z.tz, {instant} - INTERVAL 1 HOUR) = {local} THEN 'ambiguous_local_time' END AS flag
                FROM {src} s JOIN clinic_zones z ON z.clinic_id = trim(s.clinic_id)
                WHERE regexp_matches(s.{q(col.name)}, '{NAIVE_TIME}')"""
        )
    return selects


def flag_message_rows(con: duckdb.DuckDBPyConnection, rt: RecordType, src: str, lineage: dict,
                      reader_flags: dict[tuple[str, int], list[str]]) -> int:
    """Add DST and reader flags to the rows this file inserted into `raw.<rt>`; returns the rows newly flagged."""
    import pyarrow as pa  # here, not at module level: the CLI starts without loading pyarrow (about 0.5 s)

    pairs = [(n, flag) for (rtype, n), flags in reader_flags.items() if rtype == rt.name for flag in flags]
    con.register("reader_flag_pairs", pa.table({"_line": pa.array([n for n, _ in pairs], pa.int64()),
                                                "flag": pa.array([f for _, f in pairs], pa.string())}))
    keys = ", ".join(f"s.{q(k)}" for k in rt.key)
    parts = [f"SELECT s._line, {keys}, rf.flag FROM {src} s JOIN reader_flag_pairs rf USING (_line)"]
    if "clinic_id" in rt.column_names:
        con.execute("""CREATE OR REPLACE TEMP TABLE clinic_zones AS SELECT clinic_id, any_value(timezone) AS tz
                       FROM raw.clinics WHERE _is_current GROUP BY clinic_id""")
        parts += _dst_flags_sql(rt, src)
    match = " AND ".join(f"r.{q(k)} IS NOT DISTINCT FROM trim(f.{q(k)})" for k in rt.key)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE row_flags AS
        SELECT _line, {', '.join(q(k) for k in rt.key)}, list(DISTINCT flag ORDER BY flag) AS flags
        FROM ({' UNION ALL '.join(parts)}) s WHERE flag IS NOT NULL GROUP BY ALL""")
    con.unregister("reader_flag_pairs")
    target = f"raw.{q(rt.name)}"
    where = f"r._batch_id = $batch AND r._file_hash = $hash AND r._source_line = f._line AND {match}"
    newly = con.execute(f"SELECT count(*) FROM {target} r, row_flags f WHERE {where} AND len(r._flags) = 0",
                        {"batch": lineage["batch"], "hash": lineage["hash"]}).fetchone()[0]
    added = "list_filter(f.flags, lambda x: NOT list_contains(r._flags, x))"
    con.execute(f"UPDATE {target} r SET _flags = list_concat(r._flags, {added}) FROM row_flags f WHERE {where}",
                {"batch": lineage["batch"], "hash": lineage["hash"]})
    con.execute("DROP TABLE IF EXISTS temp.main.row_flags; DROP TABLE IF EXISTS temp.main.clinic_zones")
    return newly
