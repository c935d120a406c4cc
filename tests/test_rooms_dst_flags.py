"""A procedure whose in-room time the spring-forward change skips (issue 13) is left out of the room statistics.

Europe/Berlin, 2026-03-29, worked out by hand: A 01:00-01:40 CET (00:00-00:40 UTC); GAP in 02:30, a time that does
not exist (read as 03:30 CEST = 01:30 UTC), out 03:50 CEST (01:50 UTC); C 04:30-05:00 CEST (02:30-03:00 UTC).
Before, GAP counted 20 minutes in the room and a 50-minute turnover from A; now its stay is a timeline error, so
neither it nor the turnovers into and out of it count. C's own stay (30 minutes) still counts.
"""

from __future__ import annotations

from ingest.run import ingest_paths
from tests.conftest import TEST_KEY
from tests.test_ingest_csv import PROC_HEADER
from tests.test_lab_support import frame
from tests.test_rooms_throughput_independent import build_room_marts

PROCEDURES = PROC_HEADER + """A,C01,P1,SUTURE,R1,S1,2026-03-29 01:00,2026-03-29 01:40,completed
GAP,C01,P2,SUTURE,R1,S1,2026-03-29 02:30,2026-03-29 03:50,completed
C,C01,P3,SUTURE,R1,S1,2026-03-29 04:30,2026-03-29 05:00,completed
"""


def test_stay_with_a_skipped_local_time_is_left_out(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "clinics.csv").write_text("clinic_id,name,timezone,country\nC01,Praxis,Europe/Berlin,DE\n")
    (source / "rooms.csv").write_text("clinic_id,room_id,name,room_type\nC01,R1,Eingriff 1,procedure\n")
    (source / "staff.csv").write_text("clinic_id,staff_id,display_name,role,started_on\n"
                                      "C01,S1,Anna,nurse,2024-01-01\n")
    (source / "procedures.csv").write_text(PROCEDURES)
    db = tmp_path / "warehouse.duckdb"
    assert all(r.status == "loaded" for r in ingest_paths(db, [source], TEST_KEY))
    build_room_marts(db, tmp_path)
    got = frame(db, """SELECT procedure_id, in_room_min, turnover_to_next_min, has_timeline_error
                       FROM marts.fct_room_occupancy ORDER BY patient_in_at_local""")
    got = got.astype(object).where(got.notna(), None)
    assert got.values.tolist() == [["A", 40.0, None, False], ["GAP", 20.0, None, True], ["C", 30.0, None, False]]
