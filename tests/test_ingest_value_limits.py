"""Values the contract bounds (issue 13): years out of range say so and name the range; over-long ids and text
and control characters are refused with a reason that never quotes the value."""

from __future__ import annotations

import pytest

from tests import test_ingest_csv
from tests.test_ingest_csv import PROC_HEADER, fetch, ingest_text

db = test_ingest_csv.db  # the warehouse with clinic C01, room R1 and staff S1 loaded (a fixture)


def row(patient: str = "PAT-1", code: str = "SUTURE", patient_in: str = "2026-11-25 08:00") -> str:
    return f"P1,C01,{patient},{code},R1,S1,{patient_in},2026-11-25 08:30,completed\n"


def only_reason(db_path) -> tuple[str, str, str]:
    [(code, reason, raw)] = fetch(db_path, "SELECT reason_code, reason, raw_text FROM raw.quarantine")
    return code, reason, raw


@pytest.mark.parametrize("stamp", ["9999-11-25 08:00", "0001-11-25 08:00", "1899-12-30 08:00"])
def test_year_out_of_range_says_so_and_names_the_range(db, tmp_path, stamp):
    result = ingest_text(db, tmp_path, "procedures_x.csv", PROC_HEADER + row(patient_in=stamp))
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    code, reason, _ = only_reason(db)
    assert code == "out_of_range"
    assert f"patient_in_at '{stamp}' is out of range: a year from 1900 to 2300 is allowed" in reason


def test_a_date_that_is_no_date_is_still_bad_timestamp(db, tmp_path):
    ingest_text(db, tmp_path, "procedures_x.csv", PROC_HEADER + row(patient_in="2026-13-45 08:00"))
    assert only_reason(db)[0] == "bad_timestamp"


def test_over_long_patient_id_is_refused_without_being_quoted(db, tmp_path):
    patient = "PAT-" + "4" * 100_000
    result = ingest_text(db, tmp_path, "procedures_x.csv", PROC_HEADER + row(patient=patient))
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    code, reason, raw = only_reason(db)
    assert code == "too_long"
    assert reason == ("patient_id is 100004 characters long; at most 128 are allowed: check the export for fields "
                      "run together")
    assert "4444" not in raw and "***" in raw


def test_nul_byte_is_refused_with_its_code_point(db, tmp_path):
    result = ingest_text(db, tmp_path, "procedures_x.csv", PROC_HEADER + row(code="SUT\x00URE"))
    assert (result.rows_loaded, result.rows_quarantined) == (0, 1)
    code, reason, _ = only_reason(db)
    assert code == "control_character"
    assert reason.startswith("procedure_code contains the control character U+0000, which no value may have")
    assert fetch(db, "SELECT count(*) FROM raw.quarantine WHERE contains(raw_text, chr(0))") == [(0,)]
    assert "SUT?URE" in only_reason(db)[2]


def test_quarantined_text_is_cut_at_the_column_limit(db, tmp_path):
    ingest_text(db, tmp_path, "procedures_x.csv", PROC_HEADER + row(code="C" * 5000))
    code, _, raw = only_reason(db)
    assert code == "too_long" and "C" * 128 in raw and "C" * 129 not in raw


def test_an_id_of_the_maximum_length_loads(db, tmp_path):
    result = ingest_text(db, tmp_path, "procedures_x.csv", PROC_HEADER + row(code="X" * 128))
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
