"""HL7 v2 reader: real public test messages (tests/fixtures/real/hl7v2) and small synthetic cases.

Expected values are literals read by hand from the message text; each comment names the field.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.contract import RECORD_TYPES
from ingest.hl7v2 import hl7_timestamp, read_hl7v2_file

REAL = Path(__file__).parent / "fixtures" / "real" / "hl7v2"
MSFT = REAL / "microsoft-fhir-converter"
PYHL7 = REAL / "python-hl7"

LAB_COLUMNS = set(RECORD_TYPES["lab_specimens"].column_names) | {"_message_number"}


def lab_rows(path: Path, clinic_id: str | None = None) -> list[dict]:
    groups, skipped = read_hl7v2_file(path, clinic_id)
    assert skipped == []
    assert [g.record_type for g in groups] == ["lab_specimens"]
    for row in groups[0].rows:
        assert set(row) == LAB_COLUMNS
    return groups[0].rows


def by_test(rows: list[dict]) -> dict[str, dict]:
    return {r["test_code"]: r for r in rows}


# ----------------------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("hl7", "iso"),
    [
        ("20261125140500+0100", "2026-11-25T14:05:00+01:00"),
        ("202611251405+0100", "2026-11-25T14:05:00+01:00"),
        ("202611251405", "2026-11-25 14:05:00"),
        ("20261125140512", "2026-11-25 14:05:12"),
        ("20210817151943.4+0200", "2021-08-17T15:19:43.4+02:00"),
        ("201203141259-0215", "2012-03-14T12:59:00-02:15"),
        ("20261125", "2026-11-25"),
        ("2026112514", "2026-11-25 14:00:00"),
        ("196203520", "196203520"),  # malformed (9 digits): passed through for the ingest to reject
        ("20261345", "20261345"),  # month 13
        ("", None),
        (None, None),
    ],
)
def test_hl7_timestamp(hl7, iso):
    assert hl7_timestamp(hl7) == iso


# ----------------------------------------------------------------------------------------- real files


def test_fixture_files_keep_their_real_framing():
    # The readers must cope with these exact bytes; make sure nobody "fixed" the fixtures.
    lab1 = (MSFT / "LAB-ORU-1.hl7").read_bytes()
    assert lab1.startswith(b"\xef\xbb\xbfMSH|") and b"\r" not in lab1 and b"\n" in lab1
    lri = (MSFT / "LRI_2.0-NG_CBC_Typ_Message.hl7").read_bytes()
    assert lri.startswith(b"\xef\xbb\xbfMSH|") and b"\r" not in lri
    glucose = (PYHL7 / "ORU-R01_GHH-LAB_glucose_v2.4.hl7").read_bytes()
    assert b"\r" in glucose and b"\n" not in glucose


def test_nist_lri_cbc_message_bom_and_lf():
    rows = lab_rows(MSFT / "LRI_2.0-NG_CBC_Typ_Message.hl7")
    assert len(rows) == 28  # OBX|1 .. OBX|28
    assert {r["_message_number"] for r in rows} == {"1"}
    hb = by_test(rows)["718-7"]  # OBX|2|NM|718-7^Hemoglobin [Mass/volume] in Blood^LN
    assert hb["clinic_id"] == "NIST Lab Facility"  # MSH-4
    assert hb["patient_id"] == "PATID1234"  # PID-3 = PATID1234^^^NIST MPI^MR
    assert hb["order_id"] == "ORD666555"  # ORC-2 = ORD666555^NIST EHR
    assert hb["specimen_id"] == "R-991133"  # SPM-2 empty -> OBR-3 = R-991133^NIST Lab Filler
    assert hb["ordered_by"] == "57422"  # ORC-12 = 57422^Radon^Nicholas...
    assert hb["ordered_at"] is None  # ORC-1 = RE, ORC-9 empty
    assert hb["collected_at"] == "2011-01-03T14:34:28-08:00"  # OBR-7 = 20110103143428-0800
    assert hb["received_at"] is None  # no OBR-14, no SPM-18
    assert hb["resulted_at"] == "2011-01-03T16:34:28-08:00"  # OBX-19 = 20110103163428-0800
    assert hb["verified_at"] == "2011-01-04T17:00:28-08:00"  # OBR-22 = 20110104170028-0800
    assert hb["status"] == "final"  # OBX-11 = F
    assert hb["priority"] == "routine"  # no TQ1, OBR-27 or OBR-5
    assert hb["result_value"] == "12.5"  # OBX-5
    assert hb["result_unit"] == "g/mL"  # OBX-6 = g/mL^grams per milliliter^UCUM
    assert hb["abnormal_flag"] == "L"  # OBX-8
    # OBX-23 = Century Hospital^^^^^NIST-AA-1^XX^^^987, not the sending facility (MSH-4)
    assert hb["performing_site"] == "send_out"
    assert hb["reference_lab"] == "Century Hospital"
    wbc = by_test(rows)["26464-8"]  # OBX|4|NM|26464-8^Leukocytes...||105600|{cells}/uL...||HH
    assert (wbc["result_value"], wbc["result_unit"], wbc["abnormal_flag"]) == ("105600", "{cells}/uL", "HH")
    aniso = by_test(rows)["38892-6"]  # OBX|20|CWE|...||260348001^Present ++ out of ++++^SCT...
    assert aniso["result_value"] == "Present ++ out of ++++"


def test_nist_lri_clinic_argument_wins_over_msh4():
    rows = lab_rows(MSFT / "LRI_2.0-NG_CBC_Typ_Message.hl7", clinic_id="clinic-a")
    assert {r["clinic_id"] for r in rows} == {"clinic-a"}


def test_microsoft_lab_oru_1_bom_lf_two_orders_with_spm_after_results():
    rows = lab_rows(MSFT / "LAB-ORU-1.hl7")
    assert len(rows) == 10  # 5 OBX under OBR|2 + 5 OBX under OBR|1
    t = by_test(rows)
    assert set(t) == {
        "11156-7", "11273-0", "20509-6", "20570-8", "11125-2",  # OBR|2 (24317-0 hemogram)
        "23761-0", "26450-7", "26478-8", "26485-3", "30180-4",  # OBR|1 (26464-8 differential)
    }  # fmt: skip
    assert t["11156-7"]["order_id"] == "88502218"  # OBR|2|88502218|82503246|...
    assert t["23761-0"]["order_id"] == "855238581"  # OBR|1|855238581|890775544|...
    for row in rows:
        assert row["specimen_id"] == "SpecimenID"  # SPM-2 = SpecimenID (the sample's literal text)
        assert row["patient_id"] == "10006579"  # PID-3 = 10006579^^^1^MR^1
        assert row["clinic_id"] is None  # MSH-4 is empty in this sample
        assert row["collected_at"] == "2014-10-06T05:35:00+07:00"  # OBR-7 empty; SPM-17 = 20141006053500+0700
        assert row["received_at"] == "2014-10-06T08:21:00+07:00"  # OBR-14 empty; SPM-18 = 20141006082100+0700
        assert row["verified_at"] is None  # OBR-22 is empty (the sample puts 20141006092900+0700 in OBR-23)
        assert row["collected_by"] is None  # OBR-10 = ^COLLECT^JOHN has no id component
    assert t["11156-7"]["status"] == "pending"  # OBX|1 ... OBX-11 = I
    assert t["11156-7"]["result_value"] is None  # OBX-5 empty
    assert t["11156-7"]["resulted_at"] is None  # no OBX-19, no OBR-22
    assert t["11273-0"]["status"] == "pending"  # OBX-11 = P
    assert t["11273-0"]["result_value"] == "4.06"  # OBX-5
    assert t["11273-0"]["result_unit"] == "tera.l-1"  # OBX-6
    assert t["11125-2"]["status"] == "final"  # OBX|5 ... OBX-11 = F
    assert t["11125-2"]["result_value"] == "221"


def test_microsoft_lab_oru_2_is_the_final_version_of_the_same_specimen():
    rows = lab_rows(MSFT / "LAB-ORU-2.hl7")
    assert len(rows) == 10
    assert {r["status"] for r in rows} == {"final"}  # every OBX-11 = F
    t = by_test(rows)
    assert t["20509-6"]["result_value"] == "13.4"  # OBX|1|NM|20509-6^HEMOGLOBIN^LN||13.4|g/l-1
    assert t["20509-6"]["result_unit"] == "g/l-1"
    assert t["20509-6"]["received_at"] == "2014-10-06T06:21:00+07:00"  # SPM-18 = 20141006062100+0700
    assert t["20509-6"]["collected_at"] == "2014-10-06T05:35:00+07:00"  # SPM-17 = 20141006053500+0700


def test_microsoft_oru_r01_01_only_the_order_result_is_a_row():
    # Segment order: PID, OBX (patient observation), ..., ORC, OBX (before any OBR), OBR, TQ1, OBX (the
    # result), SPM, OBX, OBX (specimen observations). Only the OBX inside the OBR group is a test result.
    rows = lab_rows(MSFT / "ORU-R01-01.hl7")
    assert len(rows) == 1
    row = rows[0]
    assert row["test_code"] == "625-4"  # OBX-3 = 625-4^Bacteria identified in Stool by Culture^XYZ...
    assert row["clinic_id"] == "IA Public Health Lab"  # MSH-4 = IA Public Health Lab^2.16.840...^ISO
    assert row["patient_id"] == "14"  # PID-3 = 14^^^IA PHIMS Stage&...
    assert row["encounter_id"] == "40007716"  # PV1-19 = 40007716^^^AccMng&1.2&HCD^AM
    assert row["specimen_id"] == "2012545"  # SPM-2 = 2012545^2012999999&IA PHIMS Stage&...
    assert row["order_id"] == "845439"  # ORC-2 empty; OBR-2 = 845439^GHH OE
    assert row["ordered_at"] == "2020-09-10T17:00:00+02:15"  # ORC-1 = NW, ORC-9 = 202009101700+0215
    assert row["collected_at"] == "2002-02-15T07:30:00+02:15"  # OBR-7 = 200202150730+0215
    assert row["collected_by"] == "10535"  # OBR-10 = 10535^van Beethoven&van^Ludwig...
    assert row["received_at"] == "2002-02-12T07:30:00+02:15"  # OBR-14 = 200202120730+0215
    # OBX-19 = 201203140957, no offset: the sender's zone, MSH-7 = 201203141259-0215 (HL7 v2 DTM)
    assert row["resulted_at"] == "2012-03-14T09:57:00-02:15"
    assert row["status"] == "pending"  # OBX-11 = P (OBR-25 = F)
    assert row["verified_at"] is None  # OBR-22 = 200203150730+0215, but the result is only preliminary
    assert row["priority"] == "stat"  # TQ1-9 = A (ASAP)
    assert row["result_value"] == "Salmonella"  # OBX-5 = 27268008^Salmonella^SCT...
    assert row["abnormal_flag"] == "A"  # OBX-8 = A^A^HL70078...
    assert row["performed_by"] == "1134"  # OBX-16 = 1134^Aly^Zafar...
    assert row["performing_site"] == "send_out"  # OBX-23 = State Hygienic Laboratory^L^...
    assert row["reference_lab"] == "State Hygienic Laboratory"


def test_microsoft_oul_r22_spm_heads_the_order():
    rows = lab_rows(MSFT / "OUL-R22-01.hl7")
    # OBX after PID and OBX right after SPM describe patient/specimen; the 5 OBX after OBR are results
    assert len(rows) == 5
    assert [r["test_code"] for r in rows] == [
        None,  # OBX||ED|||App5^NS^Octet-stream^Base64| has no OBX-3: left None for the ingest to quarantine
        "3DHISTECH_SLD",  # OBX|1|RP|3DHISTECH_SLD^3DHISTECH Digital Slide^L
        "3DHISTECH_THUMBNAIL",
        "3DHISTECH_LABELAREA",
        "3DHISTECH_PREVIEWCAM",
    ]
    for row in rows:
        assert row["specimen_id"] == "2017-PAT-123456-1"  # SPM-2 = 2017-PAT-123456-1&L
        assert row["order_id"] == "5ca95f51971d414bbcb4be9ca88e9846"  # OBR-2 = 5ca95f5...&L... ^L
        assert row["clinic_id"] == "CASECENTER FACILITY"  # MSH-4
        assert row["patient_id"] == "00000-0000000"  # PID-3
        assert row["collected_at"] is None  # neither OBR-7 nor SPM-17
        assert row["priority"] == "stat"  # TQ1-9 = A
    slide = rows[1]
    assert slide["status"] == "final"  # OBX-11 = F
    # OBX-19 = 20190311101611, no offset: MSH-7's (20190311101633+0100)
    assert slide["resulted_at"] == "2019-03-11T10:16:11+01:00"
    # OBX-5 = http://...?ContainerType=CaseView\T\ContainerID=0\T\SlideID=... (\T\ unescapes to &)
    assert slide["result_value"] == (
        "http://172.16.237.4/CaseCenter/index.php?ContainerType=CaseView&ContainerID=0"
        "&SlideID=40bcbe96bcbf8cda8b07403263b92cb4"
    )
    assert rows[2]["result_value"] is None  # OBX-2 = ED: base64 image, not a result value


def test_python_hl7_glucose_cr_separated_v24():
    rows = lab_rows(PYHL7 / "ORU-R01_GHH-LAB_glucose_v2.4.hl7")
    assert len(rows) == 2
    first, second = rows
    assert first["test_code"] == "1554-5"  # OBX|1|SN|1554-5^GLUCOSE^POST 12H CFST:...
    assert second["test_code"] == "1553-5"  # OBX|2|FN|1553-5^GLUCOSE^...
    assert first["result_value"] == "182"  # OBX-5 = ^182 (SN: comparator empty, number 182)
    assert second["result_value"] == "182"  # OBX-2 = FN (not a value type); OBX-5 = ^182
    assert first["result_unit"] == "mg/dl"  # OBX-6
    assert first["abnormal_flag"] == "H"  # OBX-8
    assert first["status"] == "final"  # OBX-11 = F
    assert first["collected_at"] == "2002-02-15 07:30:00"  # OBR-7 = 200202150730 (no offset)
    assert first["specimen_id"] == "1045813"  # OBR-3 = 1045813^GHH LAB
    assert first["order_id"] == "845439"  # OBR-2 = 845439^GHH OE
    assert first["clinic_id"] == "ELAB-3"  # MSH-4
    assert first["patient_id"] == "555-44-4444"  # PID-3
    # A '|' is missing in this OBR: the ordering provider sits in OBR-15 instead of OBR-16 -> not read.
    assert first["ordered_by"] is None
    assert first["performing_site"] == "in_house"  # no OBX-23


def test_adt_is_skipped_with_reason_and_masked_identifiers():
    groups, skipped = read_hl7v2_file(MSFT / "ADT-A01-01.hl7")
    assert groups == []
    assert len(skipped) == 1
    s = skipped[0]
    assert (s.message_number, s.message_type, s.reason_code) == (1, "ADT^A01", "unsupported_message_type")
    assert s.reason == "ADT^A01 is not a lab result message; only ORU^R01 and OUL^R22 are loaded"
    assert s.raw_masked.startswith("MSH|^~\\&|ADTApp|")
    for identifying in (
        "PATID1234",  # PID-3
        "123456789^^^USSSA",  # PID-3 second repetition (SSN)
        "EVERYMAN",  # PID-5
        "198808181126",  # PID-7
        "1000&Hospital Lane",  # PID-11
        "78788788",  # PID-13
        "Evan&&&&Aniston",  # NK1-2
        "RADIANT^LUCY",  # GT1-3
        "Henry&&&&Roth",  # IN1-16
    ):
        assert identifying not in s.raw_masked
    pid = next(line for line in s.raw_masked.split("\n") if line.startswith("PID|"))
    assert pid.startswith("PID|1|***|***|***|***|***|***|M|")  # PID-8 (sex) kept


def test_orders_are_skipped_not_loaded():
    groups, skipped = read_hl7v2_file(MSFT / "ORM-O01-01.hl7")
    assert groups == []
    assert [(s.message_type, s.reason_code) for s in skipped] == [("ORM^O01", "unsupported_message_type")]


# ----------------------------------------------------------------------------------------- synthetic

MSG_A = [
    "MSH|^~\\&|LIS|CLINIC-X|EHR|CLINIC-X|20261125150000+0100||ORU^R01^ORU_R01|A1|P|2.5.1",
    "PID|1||P-0001^^^CLINIC-X^MR||Muster^Anna||19800101|F",
    "PV1|1|O|EXAM1||||||||||||||||V-77",
    "ORC|NW|ORD-1|ACC-1||||||20261125134500+0100|||D-9^Doc^Dora",
    "OBR|1|ORD-1|ACC-1|57021-8^CBC^LN|||20261125140500+0100|||N-3^Nurse||||20261125141000+0100"
    "||D-9^Doc^Dora||||||20261125145000+0100|||F",
    "TQ1|1||||||||S^Stat^HL70485",
    "OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL^g/dL^UCUM|12-16|N|||F|||20261125140500+0100||T-5^Tech"
    "|||20261125143000+0100",
    "OBX|2|NM|LOC-HCT^Hematocrit^L^4544-3^Hematocrit^LN||40|%||N|||C",
    "SPM|1|SP-1^ACC-1||BLD|||||||||||||20261125140500+0100|20261125141200+0100",
]
MSG_B = [
    "MSH|^~\\&|LIS|CLINIC-X|EHR|CLINIC-X|20261125160000||ORU^R01|A2|P|2.5.1",  # MSH-7 without offset
    "PID|1||P-0002^^^CLINIC-X^MR||Beispiel^Bernd",
    "OBR|1|ORD-2|ACC-2|2345-7^Glucose^LN|||202611251500|||||||202611251510||||||||202611251540|||||^^^^^R",
    "OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L||N|||F||||||||||||Labor Dr. Ext^L",
    "SPM|1|SP-2||||||||||||||||||Y|RB^Broken container^HL70490",
]


def write(tmp_path: Path, name: str, text: str, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_synthetic_fhs_bhs_batch_with_two_oru_messages(tmp_path):
    batch = "\r".join(
        [
            "FHS|^~\\&|LIS|CLINIC-X|||20261125170000+0100",
            "BHS|^~\\&|LIS|CLINIC-X|||20261125170000+0100",
            *MSG_A,
            *MSG_B,
            "BTS|2",
            "FTS|1",
        ]
    )
    groups, skipped = read_hl7v2_file(write(tmp_path, "batch.hl7", batch + "\r"))
    assert skipped == []
    rows = groups[0].rows
    assert [(r["_message_number"], r["test_code"]) for r in rows] == [
        ("1", "718-7"),
        ("1", "4544-3"),  # OBX-3 local code with the LOINC alternate (OBX-3.4, OBX-3.6 = LN)
        ("2", "2345-7"),
    ]
    hb, hct, glu = rows
    assert hb == {
        "specimen_id": "SP-1",  # SPM-2.1 placer id
        "clinic_id": "CLINIC-X",
        "patient_id": "P-0001",
        "test_code": "718-7",
        "priority": "stat",  # TQ1-9 = S
        "encounter_id": "V-77",  # PV1-19
        "order_id": "ORD-1",
        "ordered_at": "2026-11-25T13:45:00+01:00",  # ORC-9
        "ordered_by": "D-9",  # ORC-12
        "collected_at": "2026-11-25T14:05:00+01:00",  # OBR-7
        "collected_by": "N-3",  # OBR-10
        "received_at": "2026-11-25T14:10:00+01:00",  # OBR-14 (wins over SPM-18 14:12)
        "resulted_at": "2026-11-25T14:30:00+01:00",  # OBX-19
        "verified_at": "2026-11-25T14:50:00+01:00",  # OBR-22
        "reviewed_at": None,
        "performing_site": "in_house",
        "reference_lab": None,
        "shipped_at": None,
        "performed_by": "T-5",  # OBX-16
        "result_value": "13.2",
        "result_unit": "g/dL",
        "abnormal_flag": "N",
        "critical_notified_at": None,
        "status": "final",
        "rejection_reason": None,
        "_message_number": "1",
    }
    assert hct["status"] == "corrected"  # OBX-11 = C
    assert hct["resulted_at"] == "2026-11-25T14:50:00+01:00"  # no OBX-19: OBR-22
    assert glu["priority"] == "routine"  # OBR-27.6 = R
    assert glu["collected_at"] == "2026-11-25 15:00:00"  # naive: clinic local time
    assert glu["performing_site"] == "send_out"  # OBX-23 names another lab
    assert glu["reference_lab"] == "Labor Dr. Ext"
    assert glu["status"] == "final"  # a final result on a rejected specimen stays final
    assert glu["rejection_reason"] == "Broken container"  # SPM-21
    assert glu["ordered_at"] is None  # no ORC


@pytest.mark.parametrize("separator", ["\r", "\n", "\r\n"])
@pytest.mark.parametrize("bom", [False, True])
def test_segment_separators_and_bom_give_the_same_rows(tmp_path, separator, bom):
    text = separator.join([*MSG_A, *MSG_B]) + separator
    groups, skipped = read_hl7v2_file(write(tmp_path, "m.hl7", text, bom=bom))
    assert skipped == []
    assert [(r["_message_number"], r["test_code"], r["collected_at"]) for r in groups[0].rows] == [
        ("1", "718-7", "2026-11-25T14:05:00+01:00"),
        ("1", "4544-3", "2026-11-25T14:05:00+01:00"),
        ("2", "2345-7", "2026-11-25 15:00:00"),
    ]


def test_rejected_specimen_and_cancelled_result(tmp_path):
    text = "\r".join(
        [
            MSG_B[0],
            MSG_B[1],
            "OBR|1|ORD-3|ACC-3|2345-7^Glucose^LN|||202611251500||||||||||||||||||X",
            "OBX|1|NM|2345-7^Glucose^LN||||||||X",
            "OBX|2|NM|2951-2^Sodium^LN||||||||P",
            "SPM|1|SP-3||||||||||||||||||N|HEM^Hemolyzed^HL70490",
        ]
    )
    groups, _ = read_hl7v2_file(write(tmp_path, "r.hl7", text))
    cancelled, pending = groups[0].rows
    assert cancelled["status"] == "rejected"  # SPM-21 present, result not final
    assert cancelled["rejection_reason"] == "Hemolyzed"
    assert pending["status"] == "rejected"
    assert cancelled["resulted_at"] is None


def test_unknown_status_is_passed_through_for_the_ingest_to_reject(tmp_path):
    text = "\r".join([MSG_B[0], MSG_B[1], MSG_B[2], "OBX|1|NM|2345-7^Glucose^LN||5||||||W"])
    groups, _ = read_hl7v2_file(write(tmp_path, "w.hl7", text))
    assert groups[0].rows[0]["status"] == "W"


def test_mixed_file_rows_and_skips_keep_message_numbers(tmp_path):
    adt = "\r".join(
        [
            "MSH|^~\\&|ADT|CLINIC-X|||20261125150000||ADT^A04|Z1|P|2.5",
            "PID|1||P-0009^^^X^MR||Geheim^Gerda||19700101|F|||Weg 1^^Stadt||0301234",
        ]
    )
    empty_oru = "\r".join([MSG_B[0], MSG_B[1], MSG_B[2]])  # an order without results
    text = "\n".join(["garbage before any header", *MSG_A, adt, empty_oru, *MSG_B])
    groups, skipped = read_hl7v2_file(write(tmp_path, "mixed.hl7", text))
    assert [r["_message_number"] for r in groups[0].rows] == ["1", "1", "4"]
    assert [(s.message_number, s.message_type, s.reason_code) for s in skipped] == [
        (0, "", "no_message_header"),
        (2, "ADT^A04", "unsupported_message_type"),
        (3, "ORU^R01", "no_results"),
    ]
    assert skipped[0].raw_masked == "gar|***"
    assert "Geheim" not in skipped[1].raw_masked and "P-0009" not in skipped[1].raw_masked
    assert "Weg 1" not in skipped[1].raw_masked and "0301234" not in skipped[1].raw_masked
    assert "P-0002" not in skipped[2].raw_masked  # PID-3 of a skipped ORU is masked too


def test_missing_required_values_stay_none_rows_are_kept(tmp_path):
    # terminated segments: a last OBX with 5 fields and no terminator would be a cut-off message
    text = "\r".join(["MSH|^~\\&|LIS||||20261125150000||ORU^R01|Q|P|2.5", "OBR|1", "OBX|1|NM|||7", ""])
    groups, skipped = read_hl7v2_file(write(tmp_path, "q.hl7", text))
    assert skipped == []
    row = groups[0].rows[0]
    assert row["result_value"] == "7"
    for col in ("specimen_id", "clinic_id", "patient_id", "test_code", "collected_at", "status"):
        assert row[col] is None


# ----------------------------------------------------------------------------------------- issue 12
# Hand-written messages with the structure of real senders' files that lost results, shifted times or leaked
# identifiers before (issue 12). Expected values are read off the message text by hand.

def _msg(*segments: str) -> str:
    return "\r".join(segments) + "\r"


ORU_SPM_FIRST = _msg(  # a lab system that sends OBR, SPM, OBX: the specimen between the order and its results
    "MSH|^~\\&|LIS|LAB-A|EHR|CLINIC-X|20261125150000+0100||ORU^R01^ORU_R01|S1|P|2.5.1",
    "PID|1||P-0100^^^CLINIC-X^MR||Muster^Max",
    "OBR|1|ORD-9|ACC-9|24331-1^Lipid panel^LN|||20261125140500+0100",
    "SPM|1|SP-9||SER|||||||||||||20261125140500+0100|20261125141500+0100",
    "OBX|1|NM|2093-3^Cholesterol^LN||5.2|mmol/L||N|||F",
    "NTE|1||fasting sample",
    "OBX|2|NM|2571-8^Triglyceride^LN||1.1|mmol/L||N|||F",
)


def test_oru_specimen_between_order_and_results_keeps_the_results(tmp_path):
    """HL7 v2.5.1 ORU^R01: an OBX belongs to the nearest preceding OBR, an SPM or NTE between them or not.
    Before: the OBX after SPM were read as specimen observations and the message quarantined as no_results."""
    rows = lab_rows(write(tmp_path, "spm_first.hl7", ORU_SPM_FIRST))
    assert [(r["test_code"], r["result_value"], r["specimen_id"]) for r in rows] == [
        ("2093-3", "5.2", "SP-9"),  # OBX|1 after SPM|1 (SPM-2 = SP-9)
        ("2571-8", "1.1", "SP-9"),  # OBX|2 after an NTE
    ]
    assert rows[0]["received_at"] == "2026-11-25T14:15:00+01:00"  # SPM-18


def test_oul_r22_specimen_heads_two_orders(tmp_path):
    """OUL^R22 nests the other way: SPM {OBX} {OBR {OBX}}; the OBX right after SPM describes the specimen."""
    text = _msg(
        "MSH|^~\\&|LIS|LAB-A|EHR|CLINIC-X|20261125150000+0100||OUL^R22^OUL_R22|S2|P|2.5.1",
        "PID|1||P-0101^^^CLINIC-X^MR||Muster^Mia",
        "SPM|1|SP-10||BLD|||||||||||||20261125140000+0100",
        "OBX|1|NM|SPEC-VOL^Specimen volume^L||4|mL||||||F",  # a specimen observation, not a result
        "OBR|1|ORD-10||718-7^Hemoglobin^LN",
        "OBX|1|NM|718-7^Hemoglobin^LN||13.0|g/dL||N|||F",
        "OBR|2|ORD-11||2345-7^Glucose^LN",
        "NTE|1||note",
        "OBX|1|NM|2345-7^Glucose^LN||5.0|mmol/L||N|||F",
    )
    rows = lab_rows(write(tmp_path, "oul.hl7", text))
    assert [(r["test_code"], r["order_id"], r["specimen_id"], r["collected_at"]) for r in rows] == [
        ("718-7", "ORD-10", "SP-10", "2026-11-25T14:00:00+01:00"),  # SPM-17 of the heading SPM
        ("2345-7", "ORD-11", "SP-10", "2026-11-25T14:00:00+01:00"),
    ]


def test_message_cut_off_inside_its_last_segment_is_quarantined_as_truncated(tmp_path):
    """A file truncated inside a segment (no terminator, OBX with fewer than its 11 required fields): the cut
    message is quarantined as truncated_message, never loaded over a complete version. Before: loaded."""
    cut = "\r".join([*MSG_A[:4], MSG_A[4], "OBX|1|NM|718-7^Hemoglobin^LN||13"])  # no \r at the end
    groups, skipped = read_hl7v2_file(write(tmp_path, "cut.hl7", _msg(*MSG_B) + cut))
    assert [r["_message_number"] for r in groups[0].rows] == ["1"]  # MSG_B only
    [s] = skipped
    assert (s.message_number, s.message_type, s.reason_code) == (2, "ORU^R01", "truncated_message")
    assert "ends inside the OBX segment" in s.reason and "P-0001" not in s.raw_masked


def test_a_terminated_short_last_segment_is_not_truncated(tmp_path):
    text = _msg(*MSG_B[:3], "OBX|1|NM|2345-7^Glucose^LN||5.4")  # 5 fields, but terminated: a sender's choice
    groups, skipped = read_hl7v2_file(write(tmp_path, "short.hl7", text))
    assert skipped == [] and groups[0].rows[0]["result_value"] == "5.4"


def test_times_without_offset_take_msh7s_offset(tmp_path):
    """HL7 v2 TS/DTM: a time without an offset is in the sender's zone, MSH-7's when it has one (issue 12's
    example: MSH-7 20080818183002.1-0700, OBR-7 200808151100 -> 11:00-07:00). Before: left naive."""
    text = _msg(
        "MSH|^~\\&|LIS|LAB-A|EHR|CLINIC-X|20080818183002.1-0700||ORU^R01|T1|P|2.5.1",
        "PID|1||P-0102^^^CLINIC-X^MR||Muster^Moritz",
        "OBR|1|ORD-12|ACC-12|2345-7^Glucose^LN|||200808151100|||||||200808151130+0000",
        "OBX|1|NM|2345-7^Glucose^LN||5.0|mmol/L||N|||F||||||||200808151200",  # OBX-19
    )
    [row] = lab_rows(write(tmp_path, "tz.hl7", text))
    assert row["collected_at"] == "2008-08-15T11:00:00-07:00"  # OBR-7, MSH-7's offset
    assert row["received_at"] == "2008-08-15T11:30:00+00:00"  # OBR-14 has its own offset: kept
    assert row["resulted_at"] == "2008-08-15T12:00:00-07:00"  # OBX-19


def test_obx14_is_the_collection_time_when_obr7_and_spm17_are_empty(tmp_path):
    """OBX-14 (date/time of the observation) is the collection time of a specimen-based test when OBR-7 and
    SPM-17 are empty. Before: ignored (collected_at None, the row quarantined as missing_required)."""
    text = _msg(
        "MSH|^~\\&|LIS|LAB-A|EHR|CLINIC-X|20261125150000||ORU^R01|T2|P|2.5.1",
        "PID|1||P-0103^^^CLINIC-X^MR||Muster^Marta",
        "OBR|1|ORD-13|ACC-13|2345-7^Glucose^LN",
        "OBX|1|NM|2345-7^Glucose^LN||5.0|mmol/L||N|||F|||202611251405",
        "OBX|2|NM|2951-2^Sodium^LN||140|mmol/L||N|||F",  # no OBX-14: nothing to fall back on
    )
    glucose, sodium = lab_rows(write(tmp_path, "obx14.hl7", text))
    assert glucose["collected_at"] == "2026-11-25 14:05:00"  # OBX-14, naive (MSH-7 has no offset either)
    assert sodium["collected_at"] is None


@pytest.mark.parametrize(("orc1", "ordered_at"), [("NW", "2026-11-25T13:00:00+01:00"), ("RE", None), ("", None)])
def test_orc9_is_the_order_time_only_in_a_new_order(tmp_path, orc1, ordered_at):
    """ORC-9 is the transaction time: the order's only when ORC-1 = NW (with RE, or no control code, it is when
    the result was sent). Before: an empty ORC-1 was read as NW."""
    text = _msg(
        MSG_B[0],
        MSG_B[1],
        f"ORC|{orc1}|ORD-14|||||||20261125130000+0100",
        "OBR|1|ORD-14|ACC-14|2345-7^Glucose^LN|||20261125140000+0100",
        "OBX|1|NM|2345-7^Glucose^LN||5.0|mmol/L||N|||F",
    )
    [row] = lab_rows(write(tmp_path, "orc.hl7", text))
    assert row["ordered_at"] == ordered_at


def test_identifier_values_are_masked_in_every_field_of_a_skipped_message(tmp_path):
    """PID-2 repeated in PV1-5 and the MRN in a note reached raw_text before; now every field, component or
    subcomponent equal to a PID-2/3/4/5/7/19 value is masked, and a long one inside free text too."""
    adt = _msg(
        "MSH|^~\\&|ADT|CLINIC-X|||20261125150000||ADT^A04|Z2|P|2.5",
        "PID|1|ALT-778812|MRN-4471-2^^^X^MR||Mustermann^Erika||19640812|F|||||||||||123-45-6789",
        "PV1|1|O|||ALT-778812^^^X^VN",
        "NTE|1||called back about MRN-4471-2, ask Mustermann",
    )
    groups, skipped = read_hl7v2_file(write(tmp_path, "adt.hl7", adt))
    [s] = skipped
    for value in ("ALT-778812", "MRN-4471-2", "Mustermann", "Erika", "19640812", "123-45-6789"):
        assert value not in s.raw_masked, value
    assert "PV1|1|O|||***^^^X^VN" in s.raw_masked


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", b"\x00\x17\xff\xfe binary\x01", b"garbage|without^a header"])
def test_a_file_without_any_message_is_unreadable(tmp_path, content):
    """Empty, blank, binary or header-less: nothing can be loaded or quarantined, so the reader raises and the
    ingest fails loudly. Before: an empty file gave no rows and no trace."""
    path = tmp_path / "nothing.hl7"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="no HL7 v2 message"):
        read_hl7v2_file(path)


@pytest.mark.parametrize(("obx23", "site", "lab"), [
    ("Praxislabor Nord^L^^^^^^^^11D0001234", "in_house", None),  # name of the clinic's own lab (master data)
    ("Labor im Haus^L^^^^^^^^11D0001234", "in_house", None),  # OBX-23.10 = its CLIA number
    ("Labor Dr. Ext^L^^^^^^^^22D0009999", "send_out", "Labor Dr. Ext"),  # any other organisation
    ("^^^^^^^^^22D0009999", "send_out", "22D0009999"),  # only an identifier: it names the reference lab
])
def test_the_clinics_own_lab_is_in_house(tmp_path, obx23, site, lab):
    """The clinic's own lab is recognised by the names and identifiers its master data gives it (before: any
    OBX-23 other than MSH-4 / the clinic id was a send-out)."""
    text = _msg(MSG_B[0], MSG_B[1], MSG_B[2], f"OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L||N|||F||||||||||||{obx23}")
    groups, _ = read_hl7v2_file(write(tmp_path, "lab.hl7", text), "C01",
                                own_labs={"C01": {"c01", "praxislabor nord", "11d0001234"}})
    [row] = groups[0].rows
    assert (row["performing_site"], row["reference_lab"]) == (site, lab)
