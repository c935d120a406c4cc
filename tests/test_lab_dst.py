"""Lab intervals on the DST change days, end to end: clinic wall-clock text -> ingest (UTC) -> lab marts.

The dbt unit tests feed UTC times straight into the models; this test starts from the export text a Berlin clinic
writes, so the local -> UTC step of the ingest is part of what is checked. Expected figures are worked out by hand:
- SPRING 2026-03-29: collected 01:50 CET (00:50 UTC), received 03:05 CEST (01:05 UTC), resulted 03:20 CEST
  (01:20 UTC): transport 15 min and collection -> result 30 min, though the wall clock shows 75 and 90.
- GAP 2026-03-29: 02:30 does not exist; it is moved forward by the gap to 03:30 CEST (01:30 UTC); result 03:45: 15,
  a guess: the row is flagged nonexistent_local_time and not countable.
- AUTUMN 2026-10-25: collected 02:40+02:00 (the first, CEST, occurrence: 00:40 UTC), result 02:30+01:00 (the
  second occurrence, 01:30 UTC), both sent with their offsets: 50 min, though the wall clock goes back 10 minutes.
- AMBIGUOUS 2026-10-25: collected 02:40 without an offset, result 03:10 (CET, 02:10 UTC). The contract
  (ingest/parse_sql.timestamp_utc) reads a repeated hour as its second, standard-time occurrence (01:40 UTC):
  30 min, a guess: the row is flagged ambiguous_local_time and not countable (the first occurrence gives 90).
- OVERNIGHT: collected 23:50 on 23 Nov, result 00:20 on 24 Nov: 30 min, counted on the collection day (23 Nov).
- SENDOUT: shipped Friday 2026-03-27 12:30 CET, back Monday 2026-03-30 08:00 CEST: 66.5 calendar hours (not 67.5)
  and 1 working day.
"""

from __future__ import annotations

from datetime import date

import pytest

from ingest.run import ingest_paths
from tests.conftest import TEST_KEY
from tests.test_lab_support import dbt_lab, frame

HEADER = ("specimen_id,clinic_id,patient_id,test_code,priority,collected_at,received_at,resulted_at,verified_at,"
          "performing_site,reference_lab,shipped_at,status")
ROWS = [
    "SPRING,C01,P1,78012-2,routine,2026-03-29 01:50,2026-03-29 03:05,2026-03-29 03:20,,in_house,,,final",
    "GAP,C01,P2,78012-2,routine,2026-03-29 02:30,,2026-03-29 03:45,,in_house,,,final",
    "AUTUMN,C01,P3,78012-2,routine,2026-10-25T02:40:00+02:00,,2026-10-25T02:30:00+01:00,,in_house,,,final",
    "AMBIGUOUS,C01,P6,78012-2,routine,2026-10-25 02:40,,2026-10-25 03:10,,in_house,,,final",
    "OVERNIGHT,C01,P4,78012-2,stat,2026-11-23 23:50,,2026-11-24 00:20,,in_house,,,final",
    "SENDOUT,C01,P5,24317-0,routine,2026-03-27 10:00,,2026-03-30 08:00,,send_out,Synlab,2026-03-27 12:30,final",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab_dst")
    source = root / "source"
    source.mkdir()
    (source / "clinics.csv").write_text("clinic_id,name,timezone,country\nC01,Praxis Müllheim,Europe/Berlin,DE\n")
    (source / "lab_specimens.csv").write_text("\n".join([HEADER, *ROWS]) + "\n")
    path = root / "warehouse.duckdb"
    assert all(r.status == "loaded" and r.rows_quarantined == 0 for r in ingest_paths(path, [source], TEST_KEY))
    dbt_lab(path, root)
    return path


def test_intervals_are_elapsed_time_across_both_changes(db):
    got = frame(db, """SELECT specimen_id, collection_to_receipt_min, collection_to_result_min, collected_date,
                              is_countable
                       FROM marts.fct_lab_turnaround
                       WHERE performing_site = 'in_house' AND specimen_id <> 'AMBIGUOUS'""").set_index("specimen_id")
    assert got.loc["SPRING", "collection_to_receipt_min"] == 15.0
    assert got["collection_to_result_min"].to_dict() == {"SPRING": 30.0, "GAP": 15.0, "AUTUMN": 50.0,
                                                         "OVERNIGHT": 30.0}
    assert got.loc["OVERNIGHT", "collected_date"].date() == date(2026, 11, 23)
    assert got["is_countable"].to_dict() == {"SPRING": True, "GAP": False, "AUTUMN": True, "OVERNIGHT": True}


def test_local_times_the_dst_change_skips_or_repeats_are_flagged_and_not_counted(db):
    """GAP's 02:30 does not exist, AMBIGUOUS's 02:40 happens twice: kept, flagged, left out of the statistics.
    AUTUMN's times are in the repeated hour too, but carry offsets: exact, not flagged."""
    got = frame(db, """SELECT specimen_id, data_flags, is_countable FROM marts.fct_lab_turnaround
                       WHERE specimen_id IN ('GAP', 'AMBIGUOUS', 'AUTUMN') ORDER BY 1""")
    assert [(s, list(f), c) for s, f, c in got.values.tolist()] == [
        ("AMBIGUOUS", ["ambiguous_local_time"], False), ("AUTUMN", [], True),
        ("GAP", ["nonexistent_local_time"], False)]
    daily = frame(db, """SELECT collected_date, n_countable FROM marts.agg_lab_turnaround_daily
                         WHERE priority = 'routine' AND collected_date IN ('2026-03-29', '2026-10-25') ORDER BY 1""")
    assert [(d.date(), n) for d, n in daily.values.tolist()] == [(date(2026, 3, 29), 1), (date(2026, 10, 25), 1)]


def test_send_out_across_the_spring_change(db):
    got = frame(db, """SELECT shipped_to_result_hours, shipped_to_result_working_days, collection_to_shipped_hours
                       FROM marts.fct_lab_send_outs WHERE specimen_id = 'SENDOUT'""")
    assert got.values.tolist() == [[66.5, 1, 2.5]]


def test_daily_mart_counts_the_overnight_specimen_on_its_collection_day(db):
    got = frame(db, """SELECT collected_date, n_countable, median_collection_to_result_min
                       FROM marts.agg_lab_turnaround_daily WHERE priority = 'stat'""")
    assert [(d.date(), n, m) for d, n, m in got.values.tolist()] == [(date(2026, 11, 23), 1, 30.0)]


def test_ambiguous_autumn_hour_is_its_standard_time_occurrence(db):
    """A naive 02:40 on 2026-10-25 in Berlin happens twice; the ingest takes the second (CET) occurrence,
    01:40 UTC (ingest/parse_sql.timestamp_utc), so the interval is 30 minutes, not 90."""
    got = frame(db, "SELECT collection_to_result_min FROM marts.fct_lab_turnaround WHERE specimen_id = 'AMBIGUOUS'")
    assert got.values.tolist() == [[30.0]]
