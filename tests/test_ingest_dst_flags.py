"""Local times the DST change skips or repeats (issue 13): loaded, flagged, and the rule applied named.

Europe/Berlin, worked out by hand: on 2026-03-29 the clocks jump 02:00 CET -> 03:00 CEST, so 02:30 does not
exist; on 2026-10-25 they go back 03:00 CEST -> 02:00 CET, so 02:00-02:59 happens twice.
"""

from __future__ import annotations

from tests import test_ingest_csv
from tests.test_ingest_csv import PROC_HEADER, fetch, ingest_text

db = test_ingest_csv.db  # the warehouse with clinic C01 (Europe/Berlin), room R1 and staff S1 loaded (a fixture)

ROWS = {
    # in 02:30 does not exist (ICU moves it to 03:30 CEST = 01:30 UTC); out 03:10 CEST = 01:10 UTC. Before, the
    # guess made the real end time look wrong: flagged patient_out_before_in.
    "GAP": ("2026-03-29 02:30", "2026-03-29 03:10", ["nonexistent_local_time"]),
    "AMB": ("2026-10-25 02:30", "2026-10-25 03:10", ["ambiguous_local_time"]),  # 02:30 happens twice
    "OFF": ("2026-10-25T02:30:00+02:00", "2026-10-25 03:10", []),  # the offset says which 02:30: exact
    "NORMAL": ("2026-03-29 01:30", "2026-03-29 03:10", []),
    "OTHER": ("2026-03-28 02:30", "2026-03-28 02:10", ["patient_out_before_in"]),  # a plain error, still flagged
}


def test_skipped_and_repeated_local_times_are_flagged(db, tmp_path):
    text = PROC_HEADER + "".join(f"{k},C01,P-{k},SUTURE,R1,S1,{i},{o},completed\n" for k, (i, o, _) in ROWS.items())
    result = ingest_text(db, tmp_path, "procedures_x.csv", text)
    assert (result.rows_loaded, result.rows_quarantined) == (5, 0)
    got = {k: list(f) for k, f in fetch(db, "SELECT procedure_id, _flags FROM raw.procedures")}
    assert got == {k: flags for k, (_, _, flags) in ROWS.items()}
    assert [w.split(" row(s) ")[0] + " " + w.split("flagged ")[1].split(" ")[0] for w in result.warnings] == [
        "1 nonexistent_local_time", "1 ambiguous_local_time"]
    assert "moved forward by the gap" in result.warnings[0]
    assert "second, standard-time occurrence" in result.warnings[1]
    # The values stored are the rule's: 02:30 -> 03:30 CEST (01:30 UTC); the repeated 02:30 -> CET (01:30 UTC).
    assert {k: str(v) for k, v in fetch(db, "SELECT procedure_id, patient_in_at FROM raw.procedures "
                                            "WHERE procedure_id IN ('GAP', 'AMB')")} == {
        "GAP": "2026-03-29 01:30:00", "AMB": "2026-10-25 01:30:00"}
