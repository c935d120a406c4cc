"""Physical line numbers in files large enough for DuckDB's parallel CSV reader to split them into chunks.

The ingest reads a CSV in parallel and numbers the records by the order DuckDB keeps for a single-table read;
a join or a long IN list in the staging statement would silently lose that order. These tests plant bad rows
in every chunk of a ~20 MB file (with and without quoted newlines and broken lines, which shift the physical
lines) and check every line number the ingest stores.
"""

from __future__ import annotations

import re

import duckdb
import pytest

from ingest.contract import RECORD_TYPES
from ingest.run import ingest_paths
from ingest.validate import Relation, stage_sql
from tests.conftest import TEST_KEY

HEADER = "specimen_id,clinic_id,patient_id,test_code,priority,collected_at,resulted_at,performing_site,status\n"
ROWS = 220_000
BAD_EVERY = 9_973  # a bad timestamp on these records: several per parallel chunk


def _record(i: int) -> str:
    collected = "2026-99-99 09:00" if i % BAD_EVERY == 7 else f"2026-11-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}"
    return f"S{i},C01,PAT-{i:06d},78012-2,routine,{collected},2026-11-28 23:00,in_house,final\n"


def _expected_lines(quoted_newline_at: int | None, broken_at: int | None) -> tuple[dict[str, int], list[int]]:
    loaded, quarantined, line = {}, [], 1
    for i in range(ROWS):
        line += 1
        if i == broken_at:
            quarantined.append(line)
            line += 1
        if i % BAD_EVERY == 7:
            quarantined.append(line)
        else:
            loaded[f"S{i}"] = line
        if i == quoted_newline_at:
            line += 1  # this record spans two physical lines
    return loaded, quarantined


def _file_text(quoted_newline_at: int | None, broken_at: int | None) -> str:
    out = [HEADER]
    for i in range(ROWS):
        if i == broken_at:
            out.append("S-broken,C01,PAT-x,78012-2,routine,2026-11-01 09:00,2026-11-01 10:00,in_house,final,extra\n")
        record = _record(i)
        if i == quoted_newline_at:
            record = record.replace(",routine,", ',"rou\ntine",', 1)  # a quoted newline inside a field
        out.append(record)
    return "".join(out)


# A broken line before the quoted newline: DuckDB numbers rejected lines by record, not by physical line.
@pytest.mark.parametrize(("quoted_newline_at", "broken_at"), [(None, None), (180_031, 151_007), (None, 3)])
def test_line_numbers_across_parallel_chunks(tmp_path, quoted_newline_at, broken_at):
    (tmp_path / "clinics.csv").write_text("clinic_id,name,timezone\nC01,Praxis,Europe/Berlin\n")
    source = tmp_path / "lab_specimens.csv"
    source.write_text(_file_text(quoted_newline_at, broken_at))
    assert source.stat().st_size > 16 * 2**20  # several chunks of DuckDB's parallel reader
    db = tmp_path / "w.duckdb"
    results = ingest_paths(db, [tmp_path / "clinics.csv", source], TEST_KEY)
    lab = [r for r in results if r.record_type == "lab_specimens"][0]
    loaded, quarantined = _expected_lines(quoted_newline_at, broken_at)
    with duckdb.connect(str(db), read_only=True) as con:
        got_loaded = dict(con.execute("SELECT specimen_id, _source_line FROM raw.lab_specimens").fetchall())
        got_quarantined = [r[0] for r in con.execute(
            "SELECT source_line FROM raw.quarantine WHERE record_type = 'lab_specimens' ORDER BY 1").fetchall()]
        codes = {r[0] for r in con.execute("SELECT reason_code FROM raw.quarantine").fetchall()}
    if quoted_newline_at is not None:
        # "rou\ntine" is no priority: that record is quarantined too, on the line where it starts.
        quarantined = sorted([*quarantined, loaded.pop(f"S{quoted_newline_at}")])
    assert got_quarantined == quarantined
    assert got_loaded == loaded
    assert (lab.rows_loaded, lab.rows_quarantined) == (len(loaded), len(quarantined))
    assert codes <= {"bad_timestamp", "malformed_row", "bad_enum"}


@pytest.mark.parametrize("record_type", list(RECORD_TYPES))
def test_staging_statement_reads_its_source_only(record_type):
    """No join, aggregate, sort or window in the staging plan: DuckDB keeps the source order only without them."""
    rt = RECORD_TYPES[record_type]
    con = duckdb.connect()
    con.execute(f"CREATE TABLE src AS SELECT {', '.join(f'NULL::VARCHAR AS {c}' for c in rt.column_names)}")
    con.execute("SET VARIABLE backoffice_clinic_tz = MAP {'C01': 'Europe/Berlin'}")
    con.execute("SET VARIABLE backoffice_tz_names = MAP {'Europe/Berlin': 'Europe/Berlin'}")
    con.execute("SET VARIABLE backoffice_hmac_ipad = ''::BLOB")
    con.execute("SET VARIABLE backoffice_hmac_opad = ''::BLOB")
    columns = {c: c for c in rt.column_names}
    plan = "\n".join(r[1] for r in con.execute(
        f"EXPLAIN {stage_sql(rt, Relation('src', columns, list(columns)), rt.column_names, ',')}").fetchall())
    operators = set(re.findall(r"╭─ ([A-Za-z_ ]+?) ─", plan))
    assert operators and not {op for op in operators
                              if any(w in op.upper() for w in ("JOIN", "AGGREGATE", "ORDER", "WINDOW"))}, plan
