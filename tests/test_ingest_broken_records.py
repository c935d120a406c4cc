"""Structurally broken CSV records (issue 13): each is rejected on its own physical line, keeps no text, and the
other records of the file load. Expected lines and counts are worked out by hand from the files written here."""

from __future__ import annotations

import pytest

from tests import test_ingest_csv
from tests.test_ingest_csv import PROC_HEADER, fetch, ingest_text

db = test_ingest_csv.db  # the warehouse with clinic C01, room R1 and staff S1 loaded (a fixture)

GOOD = "P{n},C01,PAT-{n},SUTURE,R1,S1,2026-11-25 08:00,2026-11-25 08:30,completed"


def good(n: int) -> str:
    return GOOD.format(n=n)


def quarantined(db_path) -> list[tuple]:
    return fetch(db_path, "SELECT source_line, reason_code, reason, raw_text, file_hash FROM raw.quarantine "
                          "ORDER BY source_line")


def loaded_lines(db_path) -> list[int]:
    return [x for (x,) in fetch(db_path, "SELECT _source_line FROM raw.procedures ORDER BY 1")]


def test_shifted_and_foreign_delimiter_rows_keep_no_text(db, tmp_path):
    """Line 3 has an unquoted comma inside the patient's name (every field after it shifts), line 4 semicolons
    under a comma header: neither splits into the header's 9 fields, so neither keeps any text."""
    shifted = "P3,C01,Müßig, Jürgen,SUTURE,R1,S1,2026-11-25 08:00,2026-11-25 08:30,completed"
    semicolons = "P4;C01;PAT-SECRET-4;SUTURE;R1;S1;2026-11-25 08:00;2026-11-25 08:30;completed"
    text = PROC_HEADER + "\n".join([good(2), shifted, semicolons, good(5)]) + "\n"
    result = ingest_text(db, tmp_path, "procedures_x.csv", text)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    rows = quarantined(db)
    assert [(line, code, raw) for line, code, _, raw, _ in rows] == [(3, "malformed_row", None),
                                                                      (4, "malformed_row", None)]
    assert "more fields than the header's 9" in rows[0][2] and "fewer fields than the header's 9" in rows[1][2]
    assert all(h and len(h) == 64 for *_, h in rows)  # the file's sha256 finds the source
    for value in ("Müßig", "Jürgen", "PAT-SECRET-4"):
        assert not any(value in str(cell) for row in rows for cell in row)
    assert loaded_lines(db) == [2, 5]


def test_over_long_line_is_rejected_by_its_line_and_never_echoed(db, tmp_path):
    """A 3 MB patient id on line 3: before, the sniffer failed the whole file and quoted the line."""
    huge = "PAT-" + "7" * 3_000_000
    long_row = f"P3,C01,{huge},SUTURE,R1,S1,2026-11-25 08:00,2026-11-25 08:30,completed"
    text = PROC_HEADER + "\n".join([good(2), long_row, good(4)]) + "\n"
    result = ingest_text(db, tmp_path, "procedures_x.csv", text)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 3, 2, 1)
    [(line, code, reason, raw, _)] = quarantined(db)
    assert (line, code, raw) == (3, "line_too_long", None)
    assert "7777" not in reason and "7777" not in result.message + " ".join(result.warnings)
    assert loaded_lines(db) == [2, 4]


@pytest.mark.parametrize(("encoding", "eol"), [("utf-8", "\n"), ("cp1252", "\r\n")])
def test_unclosed_quote_rejects_its_line_and_loads_the_rest(db, tmp_path, encoding, eol):
    """A quote opened on line 3 and never closed swallowed the rest of the file (or, with the sniffer, failed
    it); now line 3 alone is rejected and the records on lines 2, 4, 5, 6 (with a quoted newline: lines 6-7)
    and 8 load."""
    unclosed = 'P3,C01,"PAT-OPEN-3,SÜTURE,R1,S1,2026-11-25 08:00,2026-11-25 08:30,completed'
    quoted_newline = f'P6,C01,PAT-6,"SUT{eol}URE",R1,S1,2026-11-25 08:00,2026-11-25 08:30,completed'
    rows = [good(2), unclosed, good(4), good(5), quoted_newline, good(8)]
    text = PROC_HEADER.replace("\n", eol) + eol.join(rows) + eol
    result = ingest_text(db, tmp_path, "procedures_x.csv", text.encode(encoding))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 5, 1)
    [(line, code, reason, raw, _)] = quarantined(db)
    assert (line, code, raw) == (3, "unclosed_quote", None)
    assert "PAT-OPEN" not in reason
    assert loaded_lines(db) == [2, 4, 5, 6, 8]


STAFF_HEADER = "clinic_id,staff_id,display_name,role,started_on\n"


def staff_names(db_path) -> list[tuple]:
    return fetch(db_path, "SELECT staff_id, display_name FROM raw.staff WHERE staff_id <> 'S1' ORDER BY 1")


def test_utf8_file_with_one_bad_byte_stays_utf8(db, tmp_path):
    """Line 2 is valid UTF-8, line 3 has one Windows-1252 byte (0xFC): before, the whole file was decoded as
    Windows-1252 and line 2 stored as 'JÃ¼rgen MÃ¼ÃŸig'."""
    data = (STAFF_HEADER + "C01,S7,Jürgen Müßig,nurse,2024-01-01\n").encode() + b"C01,S8,Gr\xfcn,nurse,2024-01-01\n" \
        + "C01,S9,Zoë Öztürk,nurse,2024-01-01\n".encode()
    result = ingest_text(db, tmp_path, "staff_x.csv", data)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    assert staff_names(db) == [("S7", "Jürgen Müßig"), ("S9", "Zoë Öztürk")]
    assert fetch(db, "SELECT encoding FROM raw.ingest_log WHERE source_file LIKE '%staff_x.csv'") == [("utf-8",)]
    [(line, code, _, raw, _)] = quarantined(db)
    assert (line, code, raw) == (3, "invalid_encoding", None)


def test_windows_1252_file_is_still_read_as_windows_1252(db, tmp_path):
    """The whole-file decision keeps a German Excel export (every non-ASCII byte invalid UTF-8) as cp1252."""
    data = (STAFF_HEADER + "C01,S7,Jürgen Müßig,nurse,2024-01-01\nC01,S8,Grün,nurse,2024-01-01\n").encode("cp1252")
    result = ingest_text(db, tmp_path, "staff_x.csv", data)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert staff_names(db) == [("S7", "Jürgen Müßig"), ("S8", "Grün")]
    assert fetch(db, "SELECT encoding FROM raw.ingest_log WHERE source_file LIKE '%staff_x.csv'") == [("cp1252",)]


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_blank_lines_keep_the_physical_lines_of_the_records_after_them(db, tmp_path, eol):
    """Empty lines 2, 4 and 5 (and two at the end): the reader skips them, so the records on lines 3, 6, 7 and 8
    were stored as lines 2, 3, 4 and 5. Line 7 is short (malformed), line 8 has a bad timestamp."""
    lines = ["", good(3), "", "", good(6), "P7,C01,PAT-7,SUTURE", good(8).replace("2026-11-25 08:00", "nope 08:00"),
             "", ""]
    result = ingest_text(db, tmp_path, "procedures_x.csv", PROC_HEADER.replace("\n", eol) + eol.join(lines) + eol)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert loaded_lines(db) == [3, 6]
    assert [(line, code) for line, code, *_ in quarantined(db)] == [(7, "malformed_row"), (8, "bad_timestamp")]
