"""Ingest of CSV exports: every reason code, reconciliation, idempotency, supersession, German exports,
pseudonymisation. Each test feeds a small file written here and checks the rows that land where."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest.contract import RECORD_TYPES
from ingest.pseudonymise import pseudonym
from ingest.run import ingest_paths
from tests.conftest import TEST_KEY

CLINICS = "clinic_id,name,timezone,country\nC01,Praxis Müllheim,Europe/Berlin,DE\n"
ROOMS = "clinic_id,room_id,name,room_type\nC01,R1,Eingriff 1,procedure\n"
STAFF = "clinic_id,staff_id,display_name,role,started_on\nC01,S1,Anna,medical_assistant,2024-01-01\n"
PROC_HEADER = (
    "procedure_id,clinic_id,patient_id,procedure_code,room_id,performed_by,patient_in_at,patient_out_at,status\n"
)


@pytest.fixture
def db(tmp_path) -> Path:
    """A warehouse with one clinic, room and staff member already loaded."""
    path = tmp_path / "w.duckdb"
    master = tmp_path / "master"
    master.mkdir()
    (master / "clinics.csv").write_text(CLINICS)
    (master / "rooms.csv").write_text(ROOMS)
    (master / "staff.csv").write_text(STAFF)
    assert [r.status for r in ingest_paths(path, [master], TEST_KEY)] == ["loaded"] * 3
    return path


def ingest_text(db: Path, tmp_path: Path, name: str, text: str | bytes, **kw):
    f = tmp_path / name
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    [result] = ingest_paths(db, [f], TEST_KEY, **kw)
    return result


def fetch(db: Path, sql: str, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


@pytest.mark.parametrize(
    ("row", "code", "words"),
    [
        ("P1,C01,,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:30,completed", "missing_required", "patient_id"),
        ("P1,C01,PAT-1,SUTURE,R1,S1,2026-13-45 09:00,2026-11-25 09:30,completed", "bad_timestamp", "2026-13-45"),
        # A date without a time of day would become midnight and invent an interval: rejected, not stored as NULL.
        ("P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25,2026-11-25 09:30,completed", "bad_timestamp", "time of day"),
        ("P1,C01,PAT-1,SUTURE,R1,S1,25.11.2026,2026-11-25 09:30,completed", "bad_timestamp", "time of day"),
        ("P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:30,done", "bad_enum", "completed, cancelled"),
        ("P1,C09,PAT-1,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:30,completed", "unknown_clinic", "C09"),
        ("P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 09:00", "malformed_row", "line 2"),
    ],
)
def test_reason_code_quarantines_row_and_reconciles(db, tmp_path, row, code, words):
    good = "P0,C01,PAT-0,SUTURE,R1,S1,2026-11-25 08:00,2026-11-25 08:30,completed"
    result = ingest_text(db, tmp_path, "procedures_x.csv", PROC_HEADER + row + "\n" + good + "\n")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    [(line, reason_code, reason, raw_text)] = fetch(
        db, "SELECT source_line, reason_code, reason, raw_text FROM raw.quarantine")
    assert (line, reason_code) == (2, code)
    assert words in reason
    if code == "malformed_row":  # fields may have shifted: no text is kept at all (issue 13, privacy)
        assert raw_text is None
    else:
        assert "PAT-1" not in raw_text and "***" in raw_text
    [(read, loaded, quarantined)] = fetch(
        db, "SELECT rows_read, rows_loaded, rows_quarantined FROM raw.ingest_log WHERE record_type = 'procedures'")
    assert read == loaded + quarantined == 2


@pytest.mark.parametrize(
    ("header", "row", "code"),
    [
        ("staff_id,certification_code,issued_on,expires_on\n", "S1,BLS,31.02.2026,", "bad_date"),
        ("load_id,clinic_id,sterilizer_id,cycle_type,started_at,operator_id,exposure_temp_c\n",
         "L1,C01,ST1,prevacuum,2026-11-25 07:00,S1,hot", "bad_decimal"),
        ("load_id,clinic_id,sterilizer_id,cycle_type,started_at,operator_id,physical_pass\n",
         "L1,C01,ST1,prevacuum,2026-11-25 07:00,S1,maybe", "bad_boolean"),
        ("clinic_id,room_id,weekday,opens_at,closes_at\n", "C01,R1,one,08:00,12:00", "bad_integer"),
        ("clinic_id,room_id,weekday,opens_at,closes_at\n", "C01,R1,1,8 Uhr,12:00", "bad_time"),
    ],
)
def test_typed_column_reason_codes(db, tmp_path, header, row, code):
    name = {"staff_id": "certifications", "load_id": "sterilizer_cycles", "clinic_id": "room_schedule"}[
        header.split(",")[0]]
    result = ingest_text(db, tmp_path, f"{name}.csv", header + row + "\n")
    assert (result.rows_read, result.rows_quarantined) == (1, 1)
    assert fetch(db, "SELECT reason_code FROM raw.quarantine") == [(code,)]


def test_bad_timezone_in_clinics(tmp_path):
    result = ingest_text(tmp_path / "w.duckdb", tmp_path, "clinics.csv",
                         "clinic_id,name,timezone\nC01,A,Europe/Berlin\nC02,B,Mars/Olympus\n")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert fetch(tmp_path / "w.duckdb", "SELECT reason_code FROM raw.quarantine") == [("bad_timezone",)]


def test_duplicate_key_in_one_file_keeps_the_last_line(db, tmp_path):
    rows = ("P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:30,completed\n"
            "P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:40,completed\n")
    result = ingest_text(db, tmp_path, "procedures.csv", PROC_HEADER + rows)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert fetch(db, "SELECT source_line, reason_code FROM raw.quarantine") == [(2, "duplicate_key_in_file")]
    assert fetch(db, "SELECT patient_out_at_local FROM raw.procedures")[0][0].minute == 40


def test_unknown_codes_and_impossible_timelines_are_loaded_but_flagged(db, tmp_path):
    rows = "P1,C01,PAT-1,SUTURE,R9,S7,2026-11-25 09:00,2026-11-25 08:30,completed\n"
    result = ingest_text(db, tmp_path, "procedures.csv", PROC_HEADER + rows)
    assert (result.rows_loaded, result.rows_flagged) == (1, 1)
    [(flags,)] = fetch(db, "SELECT _flags FROM raw.procedures")
    assert sorted(flags) == ["patient_out_before_in", "unknown_room", "unknown_staff"]


def test_same_file_twice_changes_nothing(db, tmp_path):
    text = PROC_HEADER + "P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:30,completed\n"
    first = ingest_text(db, tmp_path, "procedures.csv", text)
    before = fetch(db, "SELECT * FROM raw.procedures")
    second = ingest_text(db, tmp_path, "procedures.csv", text)
    assert (first.status, second.status) == ("loaded", "already_ingested")
    assert fetch(db, "SELECT * FROM raw.procedures") == before
    # A later export repeating the row beside a new one: the repeated row is not loaded twice.
    later = text + "P2,C01,PAT-2,SUTURE,R1,S1,2026-11-25 10:00,2026-11-25 10:30,completed\n"
    third = ingest_text(db, tmp_path, "procedures_later.csv", later)
    assert (third.rows_new, third.rows_unchanged) == (1, 1)
    assert fetch(db, "SELECT procedure_id, count(*) FROM raw.procedures GROUP BY 1 ORDER BY 1") == [
        ("P1", 1), ("P2", 1)]


def test_corrected_reexport_supersedes_and_keeps_history(db, tmp_path):
    ingest_text(db, tmp_path, "procedures_v1.csv",
                PROC_HEADER + "P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:30,completed\n")
    result = ingest_text(db, tmp_path, "procedures_v2.csv",
                         PROC_HEADER + "P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:45,completed\n")
    assert (result.rows_new, result.rows_superseded) == (1, 1)
    versions = fetch(db, "SELECT _is_current, minute(patient_out_at_local), _source_file LIKE '%v2%' "
                         "FROM raw.procedures ORDER BY _ingested_at, _is_current")
    assert sorted(versions) == [(False, 30, False), (True, 45, True)]


def test_warehouse_with_text_row_hash_is_migrated_and_still_recognises_unchanged_rows(db, tmp_path):
    """Warehouses written before the row hash was a number (md5_number) hold md5() hex text: the ingest converts
    it in place to the same digest, so a re-export of unchanged rows still changes nothing."""
    row1 = "P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:30,completed\n"
    row2 = "P2,C01,PAT-2,SUTURE,R1,S1,2026-11-25 10:00,2026-11-25 10:30,completed\n"
    ingest_text(db, tmp_path, "procedures_v1.csv", PROC_HEADER + row1 + row2)
    with duckdb.connect(str(db)) as con:
        # What the old ingest stored: md5 hex of the typed contract values ('|'-separated, NULL as \N).
        values = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '\\N')" for c in RECORD_TYPES["procedures"].column_names)
        con.execute(f"ALTER TABLE raw.procedures ALTER COLUMN _row_hash SET DATA TYPE VARCHAR "
                    f"USING md5(concat_ws('|', {values}))")
        expected = con.execute("SELECT procedure_id, md5_number(concat_ws('|', " + values + ")) "
                               "FROM raw.procedures ORDER BY 1").fetchall()
    result = ingest_text(db, tmp_path, "procedures_v2.csv", PROC_HEADER + row1 + row2.replace("10:30", "10:45"))
    assert (result.rows_new, result.rows_unchanged, result.rows_superseded) == (1, 1, 1)
    assert fetch(db, "SELECT data_type FROM duckdb_columns() WHERE table_name = 'procedures' "
                     "AND column_name = '_row_hash'") == [("UHUGEINT",)]
    assert fetch(db, "SELECT procedure_id, _row_hash FROM raw.procedures WHERE _source_file LIKE '%v1%' "
                     "ORDER BY 1") == expected


def test_german_excel_export(db, tmp_path):
    """Semicolon, Windows-1252, CRLF, dd.mm.yyyy, decimal comma, ja/nein, umlauts."""
    text = (
        "load_id;clinic_id;sterilizer_id;cycle_type;started_at;operator_id;exposure_temp_c;exposure_minutes;"
        "physical_pass;bi_lot\r\n"
        "L1;C01;Dampf-Sterilisator Küche;prevacuum;25.11.2026 07:05;S1;134,0;5,5;ja;Los Größe 1\r\n"
        "L2;C01;Dampf-Sterilisator Küche;prevacuum;25.11.2026 08:10;S1;121,5;20;nein;\r\n"
    ).encode("cp1252")
    result = ingest_text(db, tmp_path, "sterilizer_cycles_2026-11.csv", text)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    rows = fetch(db, "SELECT load_id, sterilizer_id, started_at, started_at_local, exposure_temp_c, "
                     "exposure_minutes, physical_pass, bi_lot FROM raw.sterilizer_cycles ORDER BY 1")
    first = rows[0]
    assert first[1] == "Dampf-Sterilisator Küche" and first[7] == "Los Größe 1"
    assert (first[2].hour, first[3].hour) == (6, 7)  # 07:05 CET is 06:05 UTC
    assert (first[4], first[5], first[6]) == (134.0, 5.5, True)
    assert (rows[1][4], rows[1][6]) == (121.5, False)
    assert fetch(db, "SELECT encoding, delimiter FROM raw.ingest_log WHERE record_type = 'sterilizer_cycles'") == [
        ("cp1252", ";")]


def test_offsets_and_dst(db, tmp_path):
    text = PROC_HEADER + (
        "P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25T09:00:00+01:00,2026-11-25T08:30:00Z,completed\n"
        # 02:30 on 2026-03-29 does not exist in Berlin (clocks jump 02:00 -> 03:00): resolved, not crashed on.
        "P2,C01,PAT-2,SUTURE,R1,S1,2026-03-29 02:30,2026-03-29 03:30,completed\n"
        # 02:30 on 2026-10-25 happens twice: resolved to one instant.
        "P3,C01,PAT-3,SUTURE,R1,S1,2026-10-25 01:30,2026-10-25 03:30,completed\n"
    )
    result = ingest_text(db, tmp_path, "procedures.csv", text)
    assert result.rows_loaded == 3
    rows = {r[0]: r[1:] for r in fetch(db, "SELECT procedure_id, patient_in_at, patient_out_at FROM raw.procedures")}
    assert (rows["P1"][0].hour, rows["P1"][1].hour, rows["P1"][1].minute) == (8, 8, 30)
    # 03:30 CEST = 01:30 UTC; the gap time 02:30 moves forward to 03:30 CEST = 01:30 UTC as well.
    assert rows["P2"][1].hour == 1
    # 01:30 CEST = 23:30 UTC the day before; 03:30 CET = 02:30 UTC: three real hours.
    assert (rows["P3"][1] - rows["P3"][0]).total_seconds() == 3 * 3600


def test_patient_ids_are_pseudonymised_everywhere(db, tmp_path):
    rows = ("P1,C01,PAT-777,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:30,completed\n"
            "P2,C01,PAT-777,SUTURE,R1,S1,bad,2026-11-25 09:30,completed\n")
    ingest_text(db, tmp_path, "procedures.csv", PROC_HEADER.replace("status", "status,patient_name")
                .strip() + "\n" + rows.replace("completed", "completed,Max Mustermann"))
    assert fetch(db, "SELECT patient_id FROM raw.procedures") == [(pseudonym("PAT-777", TEST_KEY),)]
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        for schema, table in tables:
            text = con.execute(f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{schema}"."{table}"').fetchall()
            flat = " ".join(str(v) for row in text for v in row)
            assert "PAT-777" not in flat and "Mustermann" not in flat, (schema, table)
    [(warnings,)] = fetch(db, "SELECT warnings FROM raw.ingest_log WHERE record_type = 'procedures'")
    assert any("patient_name" in w and "dropped" in w for w in warnings)


def test_file_that_cannot_be_read_fails_with_its_name(db, tmp_path):
    result = ingest_text(db, tmp_path, "procedures_bad.csv", "procedure_id,clinic_id\nP1,C01\n")
    assert result.status == "failed"
    assert "procedures_bad.csv" in result.message and "patient_id" in result.message
    empty = ingest_text(db, tmp_path, "encounters_empty.csv", "")
    assert empty.status == "failed" and "empty" in empty.message


def test_dry_run_writes_nothing(db, tmp_path):
    text = PROC_HEADER + "P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 09:00,2026-11-25 09:30,completed\n"
    result = ingest_text(db, tmp_path, "procedures.csv", text, dry_run=True)
    assert (result.status, result.rows_loaded) == ("dry_run", 1)
    assert fetch(db, "SELECT count(*) FROM raw.procedures") == [(0,)]
    assert fetch(db, "SELECT count(*) FROM raw.ingest_log WHERE record_type = 'procedures'") == [(0,)]


def test_quoted_newlines_keep_physical_line_numbers(db, tmp_path):
    header = "event_id,clinic_id,room_id,event_type,occurred_at,staff_id\n"
    text = header + 'E1,C01,R1,cleaning_start,2026-11-25 09:00,"S1\nsecond line"\nE2,C01,R1,cleaning_end,nope,S1\n'
    result = ingest_text(db, tmp_path, "room_events.csv", text)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert fetch(db, "SELECT source_line FROM raw.quarantine") == [(4,)]


@pytest.mark.parametrize(("delim", "encoding", "eol"), [(",", "utf-8", "\n"), (";", "cp1252", "\r\n")])
def test_broken_lines_after_quoted_newlines_keep_physical_line_numbers(db, tmp_path, delim, encoding, eol):
    rows = [
        "event_id,clinic_id,room_id,event_type,occurred_at,staff_id",  # line 1
        "E0,C01,R1,cleaning_start,2026-11-25 08:00,S1,EXTRA",  # line 2: too many fields, before any quoted newline
        'E1,C01,R1,cleaning_start,2026-11-25 09:00,"S1',  # lines 3-5: one record, a quoted field over 3 lines
        "zweite Zeile für",
        'Ärztin"',
        "E2,C01,R1,cleaning_end,2026-11-25 09:30,S1,EXTRA",  # line 6: too many fields (DuckDB: record line 4)
        "E3,C01,R1,cleaning_end,2026-11-25 09:40",  # line 7: too few fields (DuckDB: record line 5)
        "E4,C01,R1,cleaning_start,2026-11-25 10:00,S1",  # line 8: valid
        "E5,C01,R1,cleaning_end,nope,S1",  # line 9: bad timestamp
        'E6,C01,R1,cleaning_end,2026-11-25 10:30,"S1',  # lines 10-11: too many fields, quoted newline inside
        'x",EXTRA',
        "E7,C01,R1,cleaning_start,2026-11-25 11:00,S1",  # line 12: valid
    ]
    text = eol.join(r.replace(",", delim) for r in rows) + eol
    result = ingest_text(db, tmp_path, "room_events.csv", text.encode(encoding))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (8, 3, 5)
    assert fetch(db, "SELECT source_line, reason_code FROM raw.quarantine ORDER BY 1") == [
        (2, "malformed_row"), (6, "malformed_row"), (7, "malformed_row"), (9, "bad_timestamp"), (10, "malformed_row")]
    assert fetch(db, "SELECT reason FROM raw.quarantine WHERE source_line = 6")[0][0].startswith("line 6 ")
    assert fetch(db, "SELECT event_id, _source_line FROM raw.room_events ORDER BY 2") == [
        ("E1", 3), ("E4", 8), ("E7", 12)]
