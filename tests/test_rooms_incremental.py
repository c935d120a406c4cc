"""The room and throughput marts are incremental by local day (issue 4, dbt craft): a run after appending one
day of data must give exactly what a full refresh gives, and must leave days before its lookback window alone.

Two simulated clinics around the spring-forward change: the first batch holds C01 up to its second-last day and
C02 only up to six days before the end (its export lags by more than the lookback); it is built with
--full-refresh. The second batch brings the rest - C01's last day, C02's last six - and the marts are built
incrementally; then a full refresh of the same warehouse must reproduce every mart row for row. Clinics export
independently, so the marts keep one watermark per clinic.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from backoffice.build import dbt
from ingest.run import ingest_paths
from simulator.generate import SimulationConfig, simulate
from tests.conftest import TEST_KEY
from tests.test_rooms_throughput_independent import MY_MARTS, build_room_marts

# mart -> (its day column, a column to mark rows with: +1000 is exact for its values)
MARTS = {
    "fct_room_occupancy": ("occupancy_date", "cases_in_day"),
    "agg_room_utilization_hourly": ("day", "staffed_min"),
    "agg_room_utilization_daily": ("day", "staffed_min"),
    "fct_exam_room_minutes_freed": ("visit_date", "back_office_occupancies"),
    "agg_throughput_hourly": ("day", "activity_count"),
    "agg_throughput_room_hourly": ("day", "staffed_min"),
    "agg_throughput_room_daily": ("day", "procedures"),
}
# the column that dates each record type's rows (the ingest contract's event time; procedures without a patient
# in fall back to their scheduled start)
EVENT_TIME = {
    "encounters": ["arrived_at"],
    "procedures": ["patient_in_at", "scheduled_start_at"],
    "room_events": ["occurred_at"],
    "lab_specimens": ["collected_at"],
    "sterilizer_cycles": ["started_at"],
    "disinfection_cycles": ["started_at"],
}


def iso_day(text: str) -> str:
    """`YYYY-MM-DD` of a timestamp cell, or '' when it is empty or not a real date (planted noise)."""
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return ""


def split_last_day(source: Path, first: Path, last: Path, lag_days: dict[str, int] | None = None) -> date:
    """Copy `source` into `first` (all but each clinic's last day) and `last` (the last day's event records only); a
    clinic in `lag_days` has that many more of its last days moved to `last` (a late export). Returns the last day
    of any clinic."""
    first.mkdir()
    last.mkdir()
    last_day: dict[str, str] = {}
    with (source / "procedures.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            if (d := iso_day(r["patient_in_at"])) and d > last_day.get(r["clinic_id"], ""):
                last_day[r["clinic_id"]] = d
    cuts = {c: (date.fromisoformat(d) - timedelta(days=(lag_days or {}).get(c, 0))).isoformat()
            for c, d in last_day.items()}
    for path in sorted(source.glob("*.csv")):
        name = path.stem
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            rows, header = list(reader), reader.fieldnames
        if name not in EVENT_TIME:
            (first / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            continue

        def day_of(row: dict[str, str], cols: list[str] = EVENT_TIME[name]) -> str:
            return next((d for c in cols if (d := iso_day(row[c]))), "")  # unreadable: first batch

        def in_last(row: dict[str, str]) -> bool:
            return day_of(row) >= cuts[row["clinic_id"]]

        for folder, wanted in ((first, False), (last, True)):
            with (folder / f"{name}_part.csv").open("w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, header)
                w.writeheader()
                w.writerows(r for r in rows if in_last(r) == wanted)
    return date.fromisoformat(max(last_day.values()))


def snapshot(db: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        out = {}
        for name in MARTS:
            df = con.execute(f"SELECT * FROM marts.{name}").df()
            out[name] = df.sort_values(list(df.columns)).reset_index(drop=True)
        return out


def first_day_of_c01(name: str, day_col: str) -> str:
    """C01's first day: far outside its lookback window (C02's lookback reaches back to its first days)."""
    return f"clinic_id = 'C01' AND {day_col} = (SELECT min({day_col}) FROM marts.{name} WHERE clinic_id = 'C01')"


def mark_first_day(db: Path, delta: int) -> dict[str, int]:
    """Add `delta` to the marker column of every mart's rows of C01's first day; return how many rows each has."""
    with duckdb.connect(str(db)) as con:
        counts = {}
        for name, (day_col, col) in MARTS.items():
            where = first_day_of_c01(name, day_col)
            counts[name] = con.execute(f"SELECT count(*) FROM marts.{name} WHERE {where}").fetchone()[0]
            con.execute(f"UPDATE marts.{name} SET {col} = {col} + {delta} WHERE {where}")
        return counts


def marked_rows(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: con.execute(f"SELECT count(*) FROM marts.{name} WHERE {col} >= 1000 "
                                  f"AND {first_day_of_c01(name, day_col)}").fetchone()[0]
                for name, (day_col, col) in MARTS.items()}


@pytest.fixture(scope="module")
def appended(tmp_path_factory):
    root = tmp_path_factory.mktemp("rooms_incremental")
    source = root / "source"
    simulate(source, SimulationConfig(clinics=2, days=14, seed=5, start_date=date(2026, 3, 23)), workers=1)
    cut = split_last_day(source, root / "first", root / "last", lag_days={"C02": 5})
    db = root / "warehouse.duckdb"
    assert all(r.status == "loaded" for r in ingest_paths(db, [root / "first"], TEST_KEY))
    build_room_marts(db, root)
    before = snapshot(db)
    marked = mark_first_day(db, 1000)  # rows a full rebuild would overwrite, an incremental run must not

    assert all(r.status == "loaded" for r in ingest_paths(db, [root / "last"], TEST_KEY))
    dbt(["run", "--select", *MY_MARTS], db)  # incremental: is_incremental() is true for every mart
    still_marked = marked_rows(db)
    mark_first_day(db, -1000)
    dbt(["test", "--select", *MY_MARTS, "--exclude-resource-type", "unit_test"], db)
    incremental = snapshot(db)

    build_room_marts(db, root, full_refresh=True)
    full = snapshot(db)
    return cut, before, marked, still_marked, incremental, full


def test_the_appended_days_are_new_to_every_day_partitioned_mart(appended):
    cut, before, _, _, incremental, full = appended

    def last_days(df: pd.DataFrame, day_col: str) -> dict[str, date]:
        return df.groupby("clinic_id")[day_col].max().map(lambda d: pd.Timestamp(d).date()).to_dict()

    for name, (day_col, _) in MARTS.items():
        before_, after, complete = last_days(before[name], day_col), last_days(incremental[name], day_col), \
            last_days(full[name], day_col)
        assert before_["C01"] < complete["C01"] and before_["C02"] <= cut - timedelta(days=6), name
        assert after == complete and max(complete.values()) == cut, name


def test_incremental_run_leaves_days_before_the_lookback_alone(appended):
    _, _, marked, still_marked, _, _ = appended
    assert all(n > 0 for n in marked.values()), marked
    assert still_marked == marked


@pytest.mark.parametrize("name", list(MARTS))
def test_incremental_run_equals_full_refresh(appended, name):
    _, _, _, _, incremental, full = appended
    pd.testing.assert_frame_equal(incremental[name], full[name], check_exact=True)
