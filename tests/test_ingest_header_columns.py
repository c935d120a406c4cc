"""The header's extra columns (issue 13): one warning per kind naming a few, identifier-like names under German
or short names dropped, and a file without a header never quoted in the error."""

from __future__ import annotations

from tests import test_ingest_csv
from tests.test_ingest_csv import PROC_HEADER, fetch, ingest_text

db = test_ingest_csv.db  # the warehouse with clinic C01, room R1 and staff S1 loaded (a fixture)
ROW = "P1,C01,PAT-1,SUTURE,R1,S1,2026-11-25 08:00,2026-11-25 08:30,completed"


def test_ten_thousand_extra_columns_give_one_warning(db, tmp_path):
    extra = [f"x{i}" for i in range(10_000)]
    text = PROC_HEADER.rstrip("\n") + "," + ",".join(extra) + "\n" + ROW + "," * 10_000 + "\n"
    result = ingest_text(db, tmp_path, "procedures_x.csv", text)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert result.warnings == ["10,000 column(s) not in the procedures contract, ignored: "
                               "'x0', 'x1', 'x2', 'x3', 'x4' and 9,995 more"]


def test_identifier_columns_under_other_names_are_dropped(db, tmp_path):
    header = PROC_HEADER.rstrip("\n") + ",kvnr,geb_datum,tel,patient,bemerkung\n"
    row = ROW + ",A123456789,01.02.1960,0761 123456,Müßig Jürgen,ok\n"
    result = ingest_text(db, tmp_path, "procedures_x.csv", header + row)
    assert result.warnings == [
        "4 column(s) look like direct patient identifiers, dropped and never stored: 'kvnr', 'geb_datum', 'tel', "
        "'patient'",
        "1 column(s) not in the procedures contract, ignored: 'bemerkung'"]
    stored = fetch(db, "SELECT * FROM raw.procedures")
    assert not any(v in str(cell) for v in ("A123456789", "1960", "123456", "Müßig") for r in stored for cell in r)


def test_file_without_header_is_not_quoted_in_the_error(db, tmp_path):
    """Line 1 is taken as the header; it is a patient's row, so the error names no column outside the contract."""
    result = ingest_text(db, tmp_path, "procedures_x.csv", "P1,C01,PAT-SECRET-1,SUTURE,R1,S1,,,completed\n" + ROW)
    assert result.status == "failed" and "procedures_x.csv" in result.message and "line 1" in result.message
    assert "PAT-SECRET" not in result.message and "pat_secret" not in result.message
