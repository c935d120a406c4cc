"""HL7 v2 and FHIR R4 files through the whole ingest: real public examples (tests/fixtures/real, with licences)
land in raw.lab_specimens with the instants their fields carry; other message types are quarantined by name."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ingest.pseudonymise import pseudonym
from ingest.run import ingest_paths
from tests.conftest import FIXTURES, TEST_KEY

HL7 = FIXTURES / "real" / "hl7v2"
FHIR = FIXTURES / "real" / "fhir-r4" / "resources"


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "w.duckdb"
    (tmp_path / "clinics.csv").write_text("clinic_id,name,timezone\nC01,Praxis,Europe/Berlin\n")
    ingest_paths(path, [tmp_path / "clinics.csv"], TEST_KEY)
    return path


def rows(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_hl7_naive_times_are_clinic_local(db):
    [result] = ingest_paths(db, [HL7 / "python-hl7" / "ORU-R01_GHH-LAB_glucose_v2.4.hl7"], TEST_KEY,
                            clinic_id="C01")
    assert (result.rows_read, result.rows_loaded + result.rows_quarantined) == (2, 2)
    got = rows(db, "SELECT test_code, collected_at_local, collected_at, patient_id, result_value "
                   "FROM raw.lab_specimens WHERE test_code = '1554-5'")
    # OBR-7 = 200202150730, no offset: 07:30 in Berlin (CET, UTC+1) = 06:30 UTC. PID-3 = 555-44-4444.
    assert got[0][:3] == ("1554-5", datetime(2002, 2, 15, 7, 30), datetime(2002, 2, 15, 6, 30))
    assert got[0][3] == pseudonym("555-44-4444", TEST_KEY)


def test_hl7_offsets_are_honoured(db):
    results = ingest_paths(db, [HL7 / "microsoft-fhir-converter" / "LAB-ORU-1.hl7"], TEST_KEY, clinic_id="C01")
    assert sum(r.rows_read for r in results) == sum(r.rows_loaded + r.rows_quarantined for r in results)
    got = set(rows(db, "SELECT collected_at, received_at FROM raw.lab_specimens"))
    # SPM-17 = 20141006053500+0700 -> 2014-10-05 22:35 UTC; SPM-18 = 20141006082100+0700 -> 01:21 UTC.
    assert got == {(datetime(2014, 10, 5, 22, 35), datetime(2014, 10, 6, 1, 21))}


def test_other_message_types_are_quarantined_with_their_type(db):
    [result] = ingest_paths(db, [HL7 / "microsoft-fhir-converter" / "ADT-A01-01.hl7"], TEST_KEY, clinic_id="C01")
    assert (result.record_type, result.rows_read, result.rows_quarantined) == ("message", 1, 1)
    [(code, reason, raw)] = rows(db, "SELECT reason_code, reason, raw_text FROM raw.quarantine")
    assert code == "unsupported_message_type" and "ADT^A01" in reason
    assert raw.startswith("MSH")


def test_fhir_specimen_received_before_collected_is_flagged(db):
    """Specimen-101: collected 2011-05-30T06:15:00Z, received 2011-03-04T07:03:00Z (a real negative case)."""
    ingest_paths(db, [FHIR / "Specimen-101.json"], TEST_KEY, clinic_id="C01")
    got = rows(db, "SELECT collected_at, received_at, _flags FROM raw.lab_specimens")
    quarantined = rows(db, "SELECT reason_code FROM raw.quarantine")
    if got:
        [(collected, received, flags)] = got
        assert (collected, received) == (datetime(2011, 5, 30, 6, 15), datetime(2011, 3, 4, 7, 3))
        assert "received_before_collection" in flags
    else:  # a Specimen alone has no test code: quarantined with that reason, not lost
        assert quarantined and quarantined[0][0] == "missing_required"


def test_same_message_file_twice_changes_nothing(db):
    path = HL7 / "microsoft-fhir-converter" / "LRI_2.0-NG_CBC_Typ_Message.hl7"
    first = ingest_paths(db, [path], TEST_KEY, clinic_id="C01")
    before = rows(db, "SELECT count(*) FROM raw.lab_specimens")
    second = ingest_paths(db, [path], TEST_KEY, clinic_id="C01")
    assert [r.status for r in first] == ["loaded"] * len(first)
    assert {r.status for r in second} == {"already_ingested"}
    assert rows(db, "SELECT count(*) FROM raw.lab_specimens") == before and before[0][0] > 0
