"""FHIR R4 reader: official R4 example resources (tests/fixtures/real/fhir-r4) and synthetic bundles.

Expected values are literals read by hand from the JSON; each comment names the element.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.contract import RECORD_TYPES
from ingest.fhir_r4 import read_fhir_file
from ingest.message_rows import FileFacts

RES = Path(__file__).parent / "fixtures" / "real" / "fhir-r4" / "resources"


def read(path: Path, clinic_id: str | None = None):
    groups, skipped = read_fhir_file(path, clinic_id)
    for g in groups:
        assert all(set(r) == set(RECORD_TYPES[g.record_type].column_names) | {"_message_number"} for r in g.rows)
    return {g.record_type: g.rows for g in groups}, skipped


# ----------------------------------------------------------------------------------------- real files


def test_specimen_101_received_before_collected_is_passed_through():
    rows, skipped = read(RES / "Specimen-101.json", clinic_id="clinic-a")
    assert skipped == []
    assert list(rows) == ["lab_specimens"]
    [row] = rows["lab_specimens"]
    assert row["specimen_id"] == "101"  # Specimen.id
    assert row["clinic_id"] == "clinic-a"  # the argument
    assert row["patient_id"] == "example"  # subject.reference = Patient/example
    assert row["collected_at"] == "2011-05-30T06:15:00Z"  # collection.collectedDateTime
    assert row["received_at"] == "2011-03-04T07:03:00Z"  # receivedTime: before collection, kept as is
    assert row["collected_by"] == "example"  # collection.collector = Practitioner/example
    assert row["test_code"] is None  # request = ServiceRequest/example is not in the file
    assert row["status"] == "pending"  # status = available, no result
    assert row["priority"] == "routine"
    assert row["_message_number"] == "1"


def test_bundle_lipids_report_with_four_results():
    rows, skipped = read(RES / "Bundle-lipids.json")
    assert skipped == []
    lab = rows["lab_specimens"]
    # entry 1 is DiagnosticReport/lipids, entries 2-5 the Observations it lists in result[]
    assert [(r["_message_number"], r["test_code"], r["result_value"]) for r in lab] == [
        ("2", "35200-5", "6.3"),  # Observation/cholesterol valueQuantity.value 6.3
        ("3", "35217-9", "1.3"),  # Observation/triglyceride 1.3
        ("4", "2085-9", "1.3"),  # Observation/hdlcholesterol 1.3
        ("5", "13457-7", "4.6"),  # Observation/ldlcholesterol 4.6
    ]
    for row in lab:
        assert row["specimen_id"] == "lipids"  # no Specimen: the report id (DiagnosticReport.id)
        assert row["patient_id"] == "pat2"  # subject.reference = Patient/pat2
        assert row["collected_at"] == "2011-03-04T08:30:00+11:00"  # DiagnosticReport.effectiveDateTime
        assert row["verified_at"] == "2013-01-27T11:45:33+11:00"  # DiagnosticReport.issued
        assert row["resulted_at"] == "2013-01-27T11:45:33+11:00"  # no Observation.issued: report issued
        assert row["status"] == "final"  # Observation.status = final
        assert row["result_unit"] == "mmol/L"  # valueQuantity.unit
        assert row["performing_site"] == "send_out"  # performer = Organization "Acme Laboratory, Inc"
        assert row["reference_lab"] == "Acme Laboratory, Inc"


def test_bundle_lipids_lab_of_the_clinic_itself_is_in_house():
    rows, _ = read(RES / "Bundle-lipids.json", clinic_id="1832473e-2fe0-452d-abe9-3cdb9879522f")
    assert {r["performing_site"] for r in rows["lab_specimens"]} == {"in_house"}


def test_bundle_report_results_without_code_stay_in_with_none():
    rows, skipped = read(RES / "Bundle-report.json")
    assert skipped == []
    lab = rows["lab_specimens"]
    assert len(lab) == 13  # Observation o1 .. o13
    assert [r["test_code"] for r in lab][:3] == ["26464-8", "20570-8", "26515-7"]  # o1, o2, o3 LOINC
    assert [r["test_code"] for r in lab][-2:] == [None, None]  # o12, o13: code.text only
    o1 = lab[0]
    assert o1["result_value"] == "31.9" and o1["result_unit"] == "K/ul"  # valueQuantity 31.9 K/ul
    assert lab[3]["result_value"] == "Positive"  # o4 valueCodeableConcept display Positive
    assert lab[10]["result_value"] == "46,XX[20]"  # o11 valueCodeableConcept.text
    for row in lab:
        assert row["specimen_id"] == "genetics-example1"  # report specimen = Specimen/genetics-example1
        assert row["patient_id"] == "genetics-example1"  # report subject (observations have none)
        assert row["collected_at"] == "2015-01-02T13:20:10+01:00"  # DiagnosticReport.effectiveDateTime
        assert row["verified_at"] == "2015-01-06T13:20:10+01:00"  # DiagnosticReport.issued
        assert row["performed_by"] == "genetics-example1"  # report performer = Practitioner/genetics-example1
        assert row["status"] == "final"


def test_lone_observation_f001():
    rows, _ = read(RES / "Observation-f001.json")
    [row] = rows["lab_specimens"]
    assert row["test_code"] == "15074-8"  # code.coding[0] http://loinc.org 15074-8
    assert row["specimen_id"] == "f001"  # no Specimen, report or order: Observation.id
    assert row["patient_id"] == "f001"  # subject = Patient/f001
    assert row["collected_at"] == "2013-04-02T09:30:10+01:00"  # effectivePeriod.start (US Core: collection)
    assert row["resulted_at"] == "2013-04-03T15:30:10+01:00"  # issued
    assert row["verified_at"] == "2013-04-03T15:30:10+01:00"  # issued (status final)
    assert row["result_value"] == "6.3" and row["result_unit"] == "mmol/l"  # valueQuantity
    assert row["abnormal_flag"] == "H"  # interpretation[0].coding[0].code
    assert row["performed_by"] == "f005"  # performer = Practitioner/f005
    assert row["performing_site"] == "in_house"


def test_lone_diagnostic_report_102_and_radiology_report_skipped():
    rows, skipped = read(RES / "DiagnosticReport-102.json")
    assert skipped == []
    [row] = rows["lab_specimens"]
    assert row["test_code"] == "38269-7"  # code LOINC 38269-7 (no category, so taken as lab)
    assert row["collected_at"] == "2008-06-17"  # effectiveDateTime is a date only: passed as given
    assert row["verified_at"] == "2008-06-18T09:23:00+10:00"  # issued
    assert row["patient_id"] == "pat2"

    rows, skipped = read(RES / "DiagnosticReport-f201.json")
    assert rows == {}
    [s] = skipped
    assert (s.message_number, s.message_type, s.reason_code) == (1, "DiagnosticReport", "not_a_lab_result")
    assert "RAD" in s.reason  # category v2-0074 RAD
    assert "Roel" not in s.raw_masked  # subject.display


def test_vital_sign_observation_is_not_a_lab_result():
    rows, skipped = read(RES / "Observation-example.json")
    assert rows == {}
    assert [(s.reason_code, s.reason) for s in skipped] == [
        ("not_a_lab_result", "Observation with category vital-signs is not a lab result")
    ]


def test_service_request_with_contained_specimen():
    rows, _ = read(RES / "ServiceRequest-lipid.json")
    [row] = rows["lab_specimens"]
    assert row["specimen_id"] == "20150107-0012"  # contained Specimen #serum identifier[0].value
    assert row["collected_at"] == "2015-08-16T06:40:17Z"  # #serum collection.collectedDateTime
    assert row["order_id"] == "lipid"  # ServiceRequest.id
    assert row["test_code"] == "LIPID"  # code has no LOINC coding: first coding (http://acme.org/tests)
    assert row["ordered_at"] is None  # no authoredOn (occurrenceDateTime is when to perform it)
    assert row["ordered_by"] == "example"  # requester = Practitioner/example
    assert row["encounter_id"] == "example"  # encounter = Encounter/example
    assert row["status"] == "pending"  # status = active


def test_procedure_biopsy():
    rows, skipped = read(RES / "Procedure-biopsy.json", clinic_id="clinic-a")
    assert skipped == []
    assert list(rows) == ["procedures"]
    [row] = rows["procedures"]
    assert row["procedure_id"] == "biopsy"  # id
    assert row["clinic_id"] == "clinic-a"
    assert row["patient_id"] == "example"  # subject = Patient/example
    assert row["procedure_code"] == "90105005"  # code.coding[0] SNOMED 90105005
    assert row["procedure_start_at"] == "2014-02-03"  # performedDateTime (a date only), as given
    assert row["procedure_end_at"] is None
    assert row["performed_by"] == "example"  # performer[0].actor = Practitioner/example
    assert row["status"] == "completed"  # status
    assert row["room_id"] is None  # no location: left for the ingest to quarantine
    assert row["_message_number"] == "1"


def test_procedure_f001_period():
    rows, _ = read(RES / "Procedure-f001.json")
    [row] = rows["procedures"]
    assert row["procedure_start_at"] == "2011-06-26"  # performedPeriod.start
    assert row["procedure_end_at"] == "2011-06-27"  # performedPeriod.end
    assert row["encounter_id"] == "f001"  # encounter = Encounter/f001
    assert row["performed_by"] == "f002"  # performer[0].actor = Practitioner/f002
    assert row["procedure_code"] == "34068001"


def test_encounter_example_without_period():
    rows, skipped = read(RES / "Encounter-example.json")
    assert skipped == []
    [row] = rows["encounters"]
    assert row["encounter_id"] == "example"  # id
    assert row["patient_id"] == "example"  # subject = Patient/example
    assert row["arrived_at"] is None  # the example has no period (status in-progress)
    assert row["departed_at"] is None


def test_lone_patient_is_skipped_and_masked():
    rows, skipped = read(RES / "Patient-example.json")
    assert rows == {}
    [s] = skipped
    assert (s.message_type, s.reason_code) == ("Patient", "unsupported_resource_type")
    for identifying in ("Chalmers", "Erewhon", "5555 6473", "1974-12-25", "12345", "Bénédicte", '"example"'):
        assert identifying not in s.raw_masked
    assert json.loads(s.raw_masked)["gender"] == "male"


# ----------------------------------------------------------------------------------------- synthetic

ANALYSIS = "http://hl7.org/fhir/StructureDefinition/observation-analysis-date-time"
LAB_CATEGORY = [
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}
]


def _bundle(*entries: tuple[str, dict]) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "message",
        "entry": [{"fullUrl": url, "resource": res} for url, res in entries],
    }


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def lab_message_bundle() -> dict:
    patient = {"reference": "urn:uuid:p1", "display": "Muster, Anna"}
    return _bundle(
        ("urn:uuid:mh", {"resourceType": "MessageHeader", "eventCoding": {"code": "R01"}}),
        (
            "urn:uuid:p1",
            {"resourceType": "Patient", "identifier": [{"value": "MRN-1"}], "name": [{"family": "Muster"}]},
        ),
        (
            "urn:uuid:sr1",
            {
                "resourceType": "ServiceRequest",
                "identifier": [{"value": "ORD-1"}],
                "status": "active",
                "intent": "order",
                "priority": "asap",
                "code": {"coding": [{"system": "http://loinc.org", "code": "57021-8"}]},
                "subject": patient,
                "encounter": {"reference": "Encounter/V-77"},
                "authoredOn": "2026-11-25T13:45:00+01:00",
                "requester": {"reference": "Practitioner/D-9"},
            },
        ),
        (
            "urn:uuid:sp1",
            {
                "resourceType": "Specimen",
                "identifier": [{"value": "SP-1"}],
                "accessionIdentifier": {"value": "ACC-1"},
                "subject": patient,
                "request": [{"reference": "urn:uuid:sr1"}],
                "receivedTime": "2026-11-25T14:10:00+01:00",
                "collection": {
                    "collector": {"reference": "Practitioner/N-3"},
                    "collectedPeriod": {"start": "2026-11-25T14:05:00+01:00", "end": "2026-11-25T14:06:00+01:00"},
                },
            },
        ),
        (
            "urn:uuid:dr1",
            {
                "resourceType": "DiagnosticReport",
                "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "HM"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "57021-8"}]},
                "subject": patient,
                "specimen": [{"reference": "urn:uuid:sp1"}],
                "issued": "2026-11-25T14:50:00+01:00",
                "result": [{"reference": "urn:uuid:o1"}, {"reference": "urn:uuid:o2"}],
            },
        ),
        (
            "urn:uuid:o1",
            {
                "resourceType": "Observation",
                "status": "final",
                "category": LAB_CATEGORY,
                "code": {
                    "coding": [
                        {"system": "http://acme.example/lab", "code": "HB"},
                        {"system": "http://loinc.org", "code": "718-7"},
                    ]
                },
                "subject": patient,
                "issued": "2026-11-25T14:40:00+01:00",
                "extension": [{"url": ANALYSIS, "valueDateTime": "2026-11-25T14:30:00+01:00"}],
                "performer": [{"reference": "Practitioner/T-5"}],
                "valueQuantity": {"value": 13.20, "unit": "g/dL"},
                "interpretation": [{"coding": [{"code": "N"}]}],
            },
        ),
        (
            "urn:uuid:o2",
            {
                "resourceType": "Observation",
                "status": "preliminary",
                "code": {"coding": [{"system": "http://loinc.org", "code": "4544-3"}]},
                "performer": [{"reference": "Organization/ext", "display": "Labor Dr. Ext"}],
                "valueQuantity": {"value": 40, "comparator": ">", "unit": "%"},
            },
        ),
        ("urn:uuid:c1", {"resourceType": "Condition", "id": "c1", "subject": patient}),
    )


def test_synthetic_message_bundle_links_specimen_order_report_results(tmp_path):
    path = tmp_path / "message.json"
    text = json.dumps(lab_message_bundle())
    path.write_text(text.replace('"value": 13.2,', '"value": 13.20,'), encoding="utf-8")  # as a sender writes it
    rows, skipped = read(path)
    hb, hct = rows["lab_specimens"]
    assert hb == {
        "specimen_id": "SP-1",  # urn:uuid target without id: its first identifier
        "clinic_id": None,
        "patient_id": "MRN-1",
        "test_code": "718-7",  # the LOINC coding, not the first (local) one
        "priority": "stat",  # ServiceRequest.priority = asap
        "encounter_id": "V-77",
        "order_id": "ORD-1",
        "ordered_at": "2026-11-25T13:45:00+01:00",  # authoredOn
        "ordered_by": "D-9",
        "collected_at": "2026-11-25T14:05:00+01:00",  # collectedPeriod.start
        "collected_by": "N-3",
        "received_at": "2026-11-25T14:10:00+01:00",
        "resulted_at": "2026-11-25T14:30:00+01:00",  # analysis-date-time extension
        "verified_at": "2026-11-25T14:50:00+01:00",  # DiagnosticReport.issued
        "reviewed_at": None,
        "performing_site": "in_house",
        "reference_lab": None,
        "shipped_at": None,
        "performed_by": "T-5",
        "result_value": "13.20",
        "result_unit": "g/dL",
        "abnormal_flag": "N",
        "critical_notified_at": None,
        "status": "final",
        "rejection_reason": None,
        "_message_number": "6",
    }
    assert hct["status"] == "pending"  # preliminary
    assert hct["resulted_at"] == "2026-11-25T14:50:00+01:00"  # no own issued: the report's
    assert hct["verified_at"] is None  # not final
    assert hct["result_value"] == ">40"
    assert (hct["performing_site"], hct["reference_lab"]) == ("send_out", "Labor Dr. Ext")
    assert hct["patient_id"] == "MRN-1"  # from the report's subject
    # MessageHeader is an envelope; Patient, Specimen, ServiceRequest, DiagnosticReport are used by rows
    assert [(s.message_number, s.message_type, s.reason_code) for s in skipped] == [
        (8, "Condition", "unsupported_resource_type")
    ]
    # the Patient entry's fullUrl urn:uuid:p1 identifies the patient wherever it is referenced (issue 12)
    assert "Muster" not in skipped[0].raw_masked and "urn:uuid:p1" not in skipped[0].raw_masked


def test_synthetic_unsatisfactory_specimen_is_rejected(tmp_path):
    bundle = _bundle(
        (
            "urn:uuid:s",
            {
                "resourceType": "Specimen",
                "id": "S-9",
                "status": "unsatisfactory",
                "condition": [{"text": "hemolyzed"}],
                "subject": {"reference": "Patient/P-9"},
                "collection": {"collectedDateTime": "2026-11-25T08:00:00+01:00"},
            },
        ),
        (
            "urn:uuid:o",
            {
                "resourceType": "Observation",
                "status": "cancelled",
                "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
                "specimen": {"reference": "Specimen/S-9"},
            },
        ),
    )
    rows, skipped = read(write(tmp_path, bundle))
    assert skipped == []
    [row] = rows["lab_specimens"]  # the Specimen is used by the Observation: no second row
    assert (row["specimen_id"], row["patient_id"], row["status"]) == ("S-9", "P-9", "rejected")
    assert row["rejection_reason"] == "hemolyzed"
    assert row["resulted_at"] is None


def test_synthetic_encounters_and_procedures(tmp_path):
    bundle = _bundle(
        ("Location/R1", {"resourceType": "Location", "id": "R1", "physicalType": {"coding": [{"code": "ro"}]}}),
        (
            "Encounter/E1",
            {
                "resourceType": "Encounter",
                "id": "E1",
                "status": "finished",
                "subject": {"reference": "Patient/P-1"},
                "period": {"start": "2026-11-25T08:00:00+01:00", "end": "2026-11-25T09:10:00+01:00"},
                "location": [
                    {"location": {"reference": "Location/WAIT"}, "period": {"start": "2026-11-25T08:00:00+01:00"}},
                    {
                        "location": {"reference": "Location/R1"},
                        "period": {"start": "2026-11-25T08:20:00+01:00", "end": "2026-11-25T08:50:00+01:00"},
                    },
                ],
            },
        ),
        ("Encounter/E2", {"resourceType": "Encounter", "id": "E2", "status": "cancelled"}),
        (
            "Procedure/X1",
            {
                "resourceType": "Procedure",
                "id": "X1",
                "status": "stopped",
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "80146002"}]},
                "subject": {"reference": "Patient/P-1"},
                "encounter": {"reference": "Encounter/E1"},
                "location": {"reference": "Location/R1"},
                "performer": [
                    {"actor": {"reference": "Organization/O1"}},
                    {"actor": {"reference": "Practitioner/DR-1"}},
                ],
                "performedPeriod": {"start": "2026-11-25T08:25:00+01:00", "end": "2026-11-25T08:45:00+01:00"},
                "focalDevice": [{"manipulated": {"reference": "Device/SCOPE-2"}}],
            },
        ),
        ("Procedure/X2", {"resourceType": "Procedure", "id": "X2", "status": "not-done"}),
    )
    rows, skipped = read(write(tmp_path, bundle), clinic_id="clinic-a")
    [enc] = rows["encounters"]
    assert enc == {
        "encounter_id": "E1",
        "clinic_id": "clinic-a",
        "patient_id": "P-1",
        "arrived_at": "2026-11-25T08:00:00+01:00",
        "exam_room_id": "R1",  # the location that is a room (physicalType ro), not the first one
        "exam_room_in_at": "2026-11-25T08:20:00+01:00",
        "exam_room_out_at": "2026-11-25T08:50:00+01:00",
        "departed_at": "2026-11-25T09:10:00+01:00",
        "chaperone_requested": None,
        "interpreter_requested": None,
        "_message_number": "2",
    }
    x1, x2 = rows["procedures"]
    assert (x1["status"], x2["status"]) == ("aborted", "cancelled")  # stopped, not-done
    assert x1["room_id"] == "R1" and x1["encounter_id"] == "E1" and x1["device_id"] == "SCOPE-2"
    assert x1["performed_by"] == "DR-1"  # the practitioner, not the organisation
    assert (x1["procedure_start_at"], x1["procedure_end_at"]) == (
        "2026-11-25T08:25:00+01:00",
        "2026-11-25T08:45:00+01:00",
    )
    assert [(s.message_number, s.reason_code) for s in skipped] == [(3, "encounter_not_held")]


def test_ndjson_and_unparseable_files(tmp_path):
    path = tmp_path / "export.ndjson"
    lines = [
        json.loads((RES / "Procedure-biopsy.json").read_text(encoding="utf-8")),
        json.loads((RES / "Encounter-example.json").read_text(encoding="utf-8")),
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    rows, skipped = read(path)
    assert skipped == []
    assert [r["_message_number"] for r in rows["procedures"]] == ["1"]
    assert [r["_message_number"] for r in rows["encounters"]] == ["2"]

    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not JSON at line 1, column 2"):  # unreadable: the ingest fails loudly
        read(bad)


# ----------------------------------------------------------------------------------------- issue 12

SYNTHEA = Path(__file__).parent / "fixtures" / "messages" / "Cris921_Rath779_8c95253e-8ee8-9ae8-6d40-021d702dc78e.json"
SYNTHEA_UUID = "8c95253e-8ee8-9ae8-6d40-021d702dc78e"


def test_synthea_bundle_entries_add_up_and_the_patient_uuid_is_masked():
    """8 entries: Observation and Encounter give rows; Immunization, Claim and Condition are quarantined; the
    Patient and two Locations are context. Before: the context entries were not counted, and the patient UUID
    stayed in the quarantined Immunization.patient / Claim.patient / Condition.subject urn:uuid references."""
    facts = FileFacts()
    groups, skipped = read_fhir_file(SYNTHEA, "C01", facts)
    rows = {g.record_type: g.rows for g in groups}
    assert (len(rows["lab_specimens"]), len(rows["encounters"]), len(skipped), facts.context) == (1, 1, 3, 3)
    assert [s.message_type for s in skipped] == ["Immunization", "Claim", "Condition"]
    for s in skipped:
        for value in (SYNTHEA_UUID, "Cris921", "Rath779"):
            assert value not in s.raw_masked
    assert {SYNTHEA_UUID, "Cris921", "Rath779", "1971-03-14", "999-61-3419"} <= facts.identifiers


def test_waiting_room_is_not_the_exam_room():
    """Encounter.location: a waiting area (physicalType ro, named 'Waiting area') listed first; the exam room is
    the room that is not a waiting area. Before: the first location with a room type was taken."""
    facts = FileFacts()
    groups, _ = read_fhir_file(SYNTHEA, "C01", facts)
    [enc] = next(g.rows for g in groups if g.record_type == "encounters")
    assert enc["exam_room_id"] == "b1d5e2f7-2e66-4d66-8b2f-3c8e1d4fae21"  # "Exam room 2"
    assert (enc["exam_room_in_at"], enc["exam_room_out_at"]) == ("2026-11-25T08:20:00+01:00",
                                                                 "2026-11-25T08:50:00+01:00")
    assert facts.flags == {}


def test_only_a_waiting_room_leaves_the_exam_room_empty_and_flagged(tmp_path):
    bundle = _bundle(
        ("Location/W", {"resourceType": "Location", "id": "W", "physicalType": {"coding": [{"code": "ro"}]},
                        "type": [{"text": "Wartezimmer"}]}),
        ("Location/WARD", {"resourceType": "Location", "id": "WARD", "physicalType": {"coding": [{"code": "wa"}]}}),
        ("Encounter/E9", {"resourceType": "Encounter", "id": "E9", "status": "finished",
                          "subject": {"reference": "Patient/P-9"},
                          "period": {"start": "2026-11-25T08:00:00+01:00"},
                          "location": [{"location": {"reference": "Location/W"},
                                        "period": {"start": "2026-11-25T08:00:00+01:00"}},
                                       {"location": {"reference": "Location/WARD"}}]}),
    )
    facts = FileFacts()
    groups, _ = read_fhir_file(write(tmp_path, bundle), "C01", facts)
    [enc] = groups[0].rows
    assert (enc["exam_room_id"], enc["exam_room_in_at"], enc["exam_room_out_at"]) == (None, None, None)
    assert facts.flags == {("encounters", 3): ["no_exam_room_location"]}


def test_a_performer_with_the_clinics_lab_identifier_is_in_house(tmp_path):
    """Observation.performer -> Organization whose CLIA identifier is the clinic's own lab's (master data):
    in_house; another organisation: send_out with its name. Before: any organisation but the clinic id was
    a send-out."""
    def obs(oid: str, org: str) -> tuple[str, dict]:
        return (f"Observation/{oid}", {"resourceType": "Observation", "id": oid, "status": "final",
                                       "category": LAB_CATEGORY, "subject": {"reference": "Patient/P-1"},
                                       "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
                                       "performer": [{"reference": f"Organization/{org}"}]})
    clia = "urn:oid:2.16.840.1.113883.4.7"
    bundle = _bundle(
        ("Organization/own", {"resourceType": "Organization", "id": "own", "name": "Labor im Haus",
                              "identifier": [{"system": clia, "value": "11D0001234"}]}),
        ("Organization/ext", {"resourceType": "Organization", "id": "ext", "name": "Labor Dr. Ext",
                              "identifier": [{"system": clia, "value": "22D0009999"}]}),
        obs("o1", "own"),
        obs("o2", "ext"),
    )
    groups, _ = read_fhir_file(write(tmp_path, bundle), "C01", own_labs={"C01": {"c01", "11d0001234"}})
    assert [(r["performing_site"], r["reference_lab"]) for r in groups[0].rows] == [
        ("in_house", None), ("send_out", "Labor Dr. Ext")]


@pytest.mark.parametrize("text", ["", "   \n", "[]", "{}", '{"entry": []}', '{"resourceType": "Bundle", "entry": []}'])
def test_json_without_any_resource_is_unreadable(tmp_path, text):
    """Empty, blank, or JSON without a single object with a resourceType: nothing to load or quarantine, so the
    ingest must fail loudly. Before: empty text was one quarantined 'unparseable_file' entry, {} a skipped one."""
    path = tmp_path / "empty.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="not JSON|no FHIR resource"):
        read_fhir_file(path)
