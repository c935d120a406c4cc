"""HL7 v2 and FHIR R4 files through the whole ingest: real public examples (tests/fixtures/real, with licences)
land in raw.lab_specimens with the instants their fields carry; other message types are quarantined by name."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from backoffice.cli import app
from ingest.pseudonymise import pseudonym
from ingest.run import ingest_paths
from tests.conftest import FIXTURES, TEST_KEY

HL7 = FIXTURES / "real" / "hl7v2"
FHIR = FIXTURES / "real" / "fhir-r4" / "resources"


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "w.duckdb"
    (tmp_path / "clinics.csv").write_text(
        "clinic_id,name,timezone\nC01,Praxis,Europe/Berlin\nNY1,Clinic,America/New_York\n")
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


# ------------------------------------------------------------------------------------------------ issue 12
# Hand-written messages with the structure of real senders' files (issue 12); expected values by hand.

def hl7_file(tmp_path: Path, name: str, *segments: str) -> Path:
    path = tmp_path / name
    path.write_text("\r".join(segments) + "\r", encoding="utf-8")
    return path


def lab(specimen: str, obr7: str, *, msh7: str = "20261125150000", status: str = "F", spm: str | None = None,
        obr3: str = "", pid: str = "PID|1||P-0500^^^C01^MR||Muster^Max") -> list[str]:
    """One ORU^R01 with one glucose result; `spm` a whole SPM segment or none."""
    return [
        f"MSH|^~\\&|LIS|C01|EHR|C01|{msh7}||ORU^R01|{specimen}|P|2.5.1",
        pid,
        f"OBR|1|ORD-{specimen}|{obr3}|2345-7^Glucose^LN|||{obr7}",
        *([spm] if spm else []),
        f"OBX|1|NM|2345-7^Glucose^LN||5.0|mmol/L||N|||{status}",
    ]


def test_msh7_offset_wins_over_the_clinics_zone(db, tmp_path):
    """Issue 12's example: MSH-7 20080818183002.1-0700, OBR-7 200808151100 -> 2008-08-15 18:00 UTC although the
    clinic is in New York (before: 15:00 UTC, read as New York time)."""
    path = hl7_file(tmp_path, "ny.hl7", *lab("S-NY", "200808151100", msh7="20080818183002.1-0700"))
    ingest_paths(db, [path], TEST_KEY, clinic_id="NY1")
    assert rows(db, "SELECT collected_at FROM raw.lab_specimens") == [(datetime(2008, 8, 15, 18, 0),)]


def test_local_times_in_the_dst_gap_or_overlap_are_flagged(db, tmp_path):
    """No offset in the field nor in MSH-7: Berlin local time. 2026-03-29 02:30 does not exist (clocks go from
    02:00 to 03:00), 2026-10-25 02:30 happens twice (03:00 back to 02:00); 14:05 on a normal day is one instant.
    Before: shifted silently, no flag."""
    path = hl7_file(tmp_path, "dst.hl7", *lab("S-GAP", "202603290230"), *lab("S-TWICE", "202610250230"),
                    *lab("S-OK", "202611251405"))
    [result] = ingest_paths(db, [path], TEST_KEY, clinic_id="C01")
    got = dict(rows(db, "SELECT specimen_id, _flags FROM raw.lab_specimens"))
    # specimen_id: no SPM, no OBR-3 -> OBR-2 (ORD-<id>)
    assert got == {"ORD-S-GAP": ["nonexistent_local_time"], "ORD-S-TWICE": ["ambiguous_local_time"], "ORD-S-OK": []}
    assert result.rows_flagged == 2
    assert rows(db, "SELECT rows_flagged FROM raw.ingest_log WHERE record_type = 'lab_specimens'") == [(2,)]


def test_a_less_complete_resend_never_supersedes_a_correction_does(db, tmp_path):
    """A result resent without its SPM (fewer values: no received time) keeps the stored complete version and is
    quarantined as incomplete_resend; a resend marked as a correction (OBX-11 = C) supersedes it.
    Before: the incomplete resend superseded the complete row."""
    spm = "SPM|1|||BLD|||||||||||||202611251405|202611251415"
    complete = hl7_file(tmp_path, "1.hl7", *lab("R1", "202611251405", spm=spm, obr3="ACC-R1"))
    resend = hl7_file(tmp_path, "2.hl7", *lab("R1", "202611251405", obr3="ACC-R1"))
    corrected = hl7_file(tmp_path, "3.hl7", *lab("R1", "202611251405", obr3="ACC-R1", status="C"))
    ingest_paths(db, [complete], TEST_KEY, clinic_id="C01")
    [second] = ingest_paths(db, [resend], TEST_KEY, clinic_id="C01")
    assert (second.rows_read, second.rows_loaded, second.rows_quarantined) == (1, 0, 1)
    current = "SELECT status, received_at FROM raw.lab_specimens WHERE _is_current"
    assert rows(db, current) == [("final", datetime(2026, 11, 25, 13, 15))]  # SPM-18 14:15 Berlin
    [(code, reason)] = rows(db, "SELECT reason_code, reason FROM raw.quarantine")
    assert code == "incomplete_resend" and "OBX-11 = C" in reason
    ingest_paths(db, [corrected], TEST_KEY, clinic_id="C01")
    assert rows(db, current) == [("corrected", None)]


def test_a_truncated_file_never_replaces_the_complete_result(db, tmp_path):
    complete = hl7_file(tmp_path, "full.hl7", *lab("T1", "202611251405", spm="SPM|1|||BLD|||||||||||||||202611251415",
                                                     obr3="ACC-T1"))
    segments = lab("T1", "202611251405", obr3="ACC-T1", status="C")
    cut = tmp_path / "cut.hl7"
    cut.write_text("\r".join(segments)[:-10], encoding="utf-8")  # cut inside OBX, no terminator
    ingest_paths(db, [complete], TEST_KEY, clinic_id="C01")
    [result] = ingest_paths(db, [cut], TEST_KEY, clinic_id="C01")
    assert (result.record_type, result.rows_quarantined, result.top_reasons) == ("message", 1,
                                                                                 [("truncated_message", 1)])
    assert rows(db, "SELECT status FROM raw.lab_specimens WHERE _is_current") == [("final",)]


def test_an_identifier_in_any_field_is_pseudonymised(db, tmp_path):
    """A lab reusing the MRN as its filler order number (OBR-3): before, the MRN was stored in clear as
    specimen_id; now every ID or text value equal to a patient identifier is pseudonymised."""
    path = hl7_file(tmp_path, "mrn.hl7", *lab("M1", "202611251405", obr3="MRN-0077",
                                              pid="PID|1||MRN-0077^^^C01^MR||Muster^Max"))
    ingest_paths(db, [path], TEST_KEY, clinic_id="C01")
    assert rows(db, "SELECT specimen_id, patient_id FROM raw.lab_specimens") == [
        (pseudonym("MRN-0077", TEST_KEY), pseudonym("MRN-0077", TEST_KEY))]


def test_empty_and_unreadable_files_fail_loudly_and_are_logged(db, tmp_path, monkeypatch):
    """An empty .hl7 and a binary .json: exit code non-zero, the message names the file and what is wrong, and
    raw.ingest_log has a row with status unreadable. Before: the empty .hl7 left no trace and exited 0."""
    empty = tmp_path / "results.hl7"
    empty.write_bytes(b"")
    binary = tmp_path / "bundle.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    monkeypatch.setenv("BACKOFFICE_SECRET", TEST_KEY.hex())
    monkeypatch.setenv("BACKOFFICE_DB", str(db))
    out = CliRunner().invoke(app, ["ingest", "--clinic", "C01", str(empty), str(binary)], terminal_width=400)
    assert out.exit_code == 1
    text = " ".join(out.output.split())
    assert "results.hl7: not readable as hl7v2 (no HL7 v2 message: the file is empty)" in text
    assert "bundle.json: not readable as fhir (not JSON" in text
    got = rows(db, "SELECT regexp_extract(source_file, '[^/]+$'), status, rows_read FROM raw.ingest_log "
                   "WHERE status = 'unreadable' ORDER BY 1")
    assert got == [("bundle.json", "unreadable", 0), ("results.hl7", "unreadable", 0)]


def test_the_same_messages_with_other_bytes_change_nothing(db, tmp_path):
    """Extra line breaks (HL7) and re-indented JSON: rows load as unchanged and quarantined messages are not
    stored a second time (their key is their content and reason). Before: 2 -> 4 quarantine rows."""
    segments = [*lab("U1", "202611251405"), "MSH|^~\\&|ADT|C01|||20261125150000||ADT^A04|Z9|P|2.5",
                "PID|1||P-0501^^^C01^MR||Muster^Max"]
    first = hl7_file(tmp_path, "a.hl7", *segments)
    second = tmp_path / "b.hl7"
    second.write_text("\r\n\r\n".join(segments) + "\r\n\r\n", encoding="utf-8")
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Immunization", "id": "i1", "status": "completed"}}]}
    (tmp_path / "c.json").write_text(json.dumps(bundle), encoding="utf-8")
    (tmp_path / "d.json").write_text(json.dumps(bundle, indent=4), encoding="utf-8")
    ingest_paths(db, [first, tmp_path / "c.json"], TEST_KEY, clinic_id="C01")
    before = rows(db, "SELECT count(*) FROM raw.quarantine")
    again = ingest_paths(db, [second, tmp_path / "d.json"], TEST_KEY, clinic_id="C01")
    assert before == [(2,)]
    assert rows(db, "SELECT count(*) FROM raw.quarantine") == [(2,)]
    assert [(r.record_type, r.rows_new, r.rows_unchanged) for r in again if r.record_type == "lab_specimens"] == [
        ("lab_specimens", 0, 1)]
    assert rows(db, "SELECT count(*) FROM raw.lab_specimens") == [(1,)]


def test_every_bundle_entry_is_loaded_quarantined_or_context(db, tmp_path):
    """A Bundle of 6 entries: 1 lab Observation (loaded), 1 Immunization (quarantined), and as context the
    Patient, the DiagnosticReport whose result is the Observation, a Practitioner it refers to, a MessageHeader.
    Before: the 4 context entries were counted nowhere (read 2 of 6)."""
    entries = [
        {"resourceType": "MessageHeader", "id": "h"},
        {"resourceType": "Patient", "id": "pat-9"},
        {"resourceType": "Practitioner", "id": "doc-1"},
        {"resourceType": "DiagnosticReport", "id": "dr", "status": "final", "subject": {"reference": "Patient/pat-9"},
         "result": [{"reference": "Observation/o1"}], "performer": [{"reference": "Practitioner/doc-1"}]},
        {"resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": "Patient/pat-9"},
         "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
         "effectiveDateTime": "2026-11-25T14:05:00+01:00", "valueQuantity": {"value": 5.0, "unit": "mmol/L"}},
        {"resourceType": "Immunization", "id": "imm", "patient": {"reference": "Patient/pat-9"}},
    ]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": e} for e in entries]}), encoding="utf-8")
    results = ingest_paths(db, [path], TEST_KEY, clinic_id="C01")
    assert {r.record_type: r.rows_read for r in results} == {"lab_specimens": 1, "message": 1, "context": 4}
    assert rows(db, "SELECT record_type, status, rows_read FROM raw.ingest_log WHERE record_type = 'context'") == [
        ("context", "context", 4)]
    assert rows(db, "SELECT sum(rows_read) FROM raw.ingest_log WHERE status <> 'unreadable' "
                    "AND source_file LIKE '%bundle.json'") == [(6,)]


def test_synthea_bundle_adds_up_and_an_encounter_without_exam_room_is_flagged(db, tmp_path):
    """The Synthea-style fixture: 8 entries = 1 lab row + 1 encounter + 3 quarantined + 3 context. A second
    bundle whose only room is a waiting room: its encounter is loaded with no exam room and flagged."""
    synthea = FIXTURES / "messages" / "Cris921_Rath779_8c95253e-8ee8-9ae8-6d40-021d702dc78e.json"
    results = ingest_paths(db, [synthea], TEST_KEY, clinic_id="C01")
    assert {r.record_type: (r.rows_read, r.rows_loaded, r.rows_quarantined) for r in results} == {
        "lab_specimens": (1, 1, 0), "encounters": (1, 1, 0), "message": (3, 0, 3), "context": (3, 0, 0)}
    assert rows(db, "SELECT DISTINCT source_file FROM raw.ingest_log WHERE source_file LIKE '%.json'") == [
        (str(synthea.parent / "***_***_***.json"),)]
    waiting = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Location", "id": "W", "name": "Waiting room",
                      "physicalType": {"coding": [{"code": "ro"}]}}},
        {"resource": {"resourceType": "Encounter", "id": "E-W", "status": "finished",
                      "subject": {"reference": "Patient/P-7"}, "period": {"start": "2026-11-25T08:00:00+01:00"},
                      "location": [{"location": {"reference": "Location/W"},
                                    "period": {"start": "2026-11-25T08:00:00+01:00"}}]}}]}
    path = tmp_path / "waiting.json"
    path.write_text(json.dumps(waiting), encoding="utf-8")
    [enc, context] = ingest_paths(db, [path], TEST_KEY, clinic_id="C01")
    assert (enc.rows_loaded, enc.rows_flagged, context.rows_read) == (1, 1, 1)
    assert rows(db, "SELECT exam_room_id, _flags FROM raw.encounters WHERE encounter_id = 'E-W'") == [
        (None, ["no_exam_room_location"])]


def test_a_result_performed_by_the_clinic_itself_is_in_house(db, tmp_path):
    """OBX-23 names the clinic as its master data does (clinics.csv: C01 'Praxis'), the sender (MSH-4) is another
    system: in house. Before: a send-out to 'Praxis'."""
    segments = lab("P1", "202611251405")
    segments[-1] += "||||||||||||Praxis^L"  # OBX-23.1
    segments[0] = segments[0].replace("|LIS|C01|", "|LIS|LAB-SYSTEM-7|")  # MSH-4
    ingest_paths(db, [hl7_file(tmp_path, "own.hl7", *segments)], TEST_KEY, clinic_id="C01")
    assert rows(db, "SELECT performing_site, reference_lab FROM raw.lab_specimens") == [("in_house", None)]
