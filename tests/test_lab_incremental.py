"""The incremental lab marts give exactly what a full refresh gives.

A simulated clinic (ten days around the autumn DST change) is ingested without its last day and built in full; then
the last day's export arrives together with a corrected re-export of one result from the first day, a re-exported
encounter of the second day whose patient now left before the result, and the result of a send-out of the fourth day
that was still open (all older than the lookback window). A second clinic's lab and encounter exports arrive for the
first time in the same batch (a clinic joining the network: its rows are older than the first clinic's watermark,
and it has no watermark of its own). Then an incremental run follows. Every lab mart must equal, row for row and bit
for bit (EXCEPT ALL both ways), the table a --full-refresh builds from the same warehouse. A planted marker on a day
the incremental run must not touch proves that the run really was incremental.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingest.run import ingest_paths
from simulator.generate import SimulationConfig, simulate
from tests.conftest import TEST_KEY
from tests.test_lab_support import dbt_lab, frame

CONFIG = SimulationConfig(clinics=2, days=10, seed=5, start_date=date(2026, 10, 19))
OLD_CLINIC, NEW_CLINIC = "C01", "C02"  # C02's lab and encounter exports arrive only with the incremental run
LAST_DAY = CONFIG.start_date + timedelta(days=CONFIG.days - 1)
FIRST_DAY = CONFIG.start_date
SECOND_DAY = CONFIG.start_date + timedelta(days=1)
UNTOUCHED_DAY = CONFIG.start_date + timedelta(days=2)  # before the lookback, no late rows
OPEN_DAY = CONFIG.start_date + timedelta(days=3)  # a send-out still open at the first build, resulted in the new day
LAB_MARTS = ["fct_lab_turnaround", "fct_lab_specimen_turnaround", "fct_lab_send_outs", "agg_lab_turnaround_daily",
             "agg_lab_turnaround_weekly", "agg_lab_turnaround_monthly", "agg_lab_before_departure_monthly",
             "agg_lab_rejections_by_test_monthly", "agg_lab_rejections_by_collector_monthly",
             "agg_lab_send_outs_monthly"]
DAILY = "SELECT * FROM marts.agg_lab_turnaround_daily ORDER BY clinic_id, collected_date, test_code, priority, " \
        "performing_site"


def rewrite(path: Path, change) -> dict[str, str]:
    """Apply `change(row) -> bool` to the rows of a CSV until it returns True (the row may be changed in place), save
    the file, and return that row as it was."""
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows, fields = list(reader), reader.fieldnames
    for r in rows:
        before = dict(r)
        if change(r):
            with path.open("w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=fields)
                w.writeheader()
                w.writerows(rows)
            return before
    raise AssertionError(f"no row to change in {path.name}")


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _split(path: Path, column: str, base: Path, late: Path) -> None:
    """Rows whose `column` falls on LAST_DAY, and every row of NEW_CLINIC, go to `late`, the others to `base` (same
    header)."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    i, c = header.index(column), header.index("clinic_id")
    day = LAST_DAY.isoformat()
    # NEW_CLINIC has no rows around UNTOUCHED_DAY, so that the marts partitioned by day alone (all clinics) leave that
    # day alone too
    gap = tuple((UNTOUCHED_DAY + timedelta(days=d)).isoformat() for d in (-1, 0, 1))

    def is_late(r: list[str]) -> bool:
        return r[i].startswith(day) or r[c] == NEW_CLINIC

    body = [r for r in body if not (r[c] == NEW_CLINIC and r[i].startswith(gap))]
    for target, keep in ((base, lambda r: not is_late(r)), (late, is_late)):
        with target.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(r for r in body if keep(r))


def _correction(lab_specimens: Path, out: Path) -> tuple[str, str]:
    """Re-export one final first-day in-house result 7 minutes later (a corrected result time)."""
    with lab_specimens.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if (r["collected_at"].startswith(FIRST_DAY.isoformat()) and r["status"] == "final"
                and r["performing_site"] == "in_house" and r["resulted_at"] and r["verified_at"]):
            for col in ("resulted_at", "verified_at"):
                r[col] = (pd.Timestamp(r[col]) + pd.Timedelta(minutes=7)).strftime("%Y-%m-%d %H:%M:%S")
            write_rows(out, [r])
            return r["specimen_id"], r["test_code"]
    raise AssertionError("no first-day in-house result to correct")


def _encounter_correction(lab_specimens: Path, encounters: Path, out: Path) -> None:
    """Re-export a second-day encounter with a departure one minute after its in-house specimen's collection."""
    with lab_specimens.open(newline="") as fh:
        labs = list(csv.DictReader(fh))
    with encounters.open(newline="") as fh:
        encs = {r["encounter_id"]: r for r in csv.DictReader(fh)}
    for r in labs:
        e = encs.get(r["encounter_id"])
        if (e and r["collected_at"].startswith(SECOND_DAY.isoformat()) and r["status"] == "final"
                and r["performing_site"] == "in_house" and r["resulted_at"] and e["departed_at"]
                and e["departed_at"] >= r["resulted_at"]):
            e["departed_at"] = (pd.Timestamp(r["collected_at"]) + pd.Timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
            write_rows(out, [e])
            return
    raise AssertionError("no second-day encounter to correct")


def _open_send_out(lab_specimens: Path, out: Path) -> tuple[str, str]:
    """Make one resulted send-out of OPEN_DAY still pending in `lab_specimens` (the first export), and write its
    resulted row to `out` (it arrives with the last day's export)."""

    def pending(r: dict[str, str]) -> bool:
        if (r["collected_at"].startswith(OPEN_DAY.isoformat()) and r["performing_site"] == "send_out"
                and r["status"] == "final" and r["resulted_at"] and r["shipped_at"]):
            r.update(status="pending", resulted_at="", verified_at="", reviewed_at="")
            return True
        return False

    resulted = rewrite(lab_specimens, pending)
    write_rows(out, [resulted])
    return resulted["specimen_id"], resulted["test_code"]


def snapshot(db: Path, schema: str, names: list[str]) -> None:
    """Copy the marts `names` into `schema` (to compare them after the next build)."""
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE OR REPLACE SCHEMA {schema}")
        for name in names:
            con.execute(f"CREATE TABLE {schema}.{name} AS SELECT * FROM marts.{name}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    full, base, late = root / "full", root / "base", root / "late"
    simulate(full, CONFIG)
    base.mkdir()
    late.mkdir()
    for f in full.glob("*.csv"):
        if f.name not in ("lab_specimens.csv", "encounters.csv"):
            (base / f.name).write_bytes(f.read_bytes())
    _split(full / "lab_specimens.csv", "collected_at", base / "lab_specimens.csv",
           late / f"lab_specimens_{LAST_DAY}.csv")
    _split(full / "encounters.csv", "arrived_at", base / "encounters.csv", late / f"encounters_{LAST_DAY}.csv")
    corrected = _correction(base / "lab_specimens.csv", late / "lab_specimens_correction.csv")
    _encounter_correction(base / "lab_specimens.csv", base / "encounters.csv", late / "encounters_correction.csv")
    send_out = _open_send_out(base / "lab_specimens.csv", late / "lab_specimens_result.csv")

    db = root / "warehouse.duckdb"
    assert all(r.status == "loaded" for r in ingest_paths(db, [base], TEST_KEY))
    dbt_lab(db, root, False, "--full-refresh")
    before = frame(db, DAILY)
    snapshot(db, "first_build", LAB_MARTS)
    with duckdb.connect(str(db)) as con:  # the marker: an untouched day's row no run may recompute
        con.execute("UPDATE marts.agg_lab_turnaround_daily SET n_tests = -1 WHERE collected_date = $d",
                    {"d": UNTOUCHED_DAY})
    assert all(r.status == "loaded" for r in ingest_paths(db, [late], TEST_KEY))
    dbt_lab(db, root, False)
    incremental = frame(db, DAILY)
    with duckdb.connect(str(db)) as con:  # the marker is checked above; restore it to compare the whole table below
        con.execute("""UPDATE marts.agg_lab_turnaround_daily m SET n_tests = f.n_tests
                       FROM first_build.agg_lab_turnaround_daily f
                       WHERE m.collected_date = $d AND f.collected_date = $d AND f.clinic_id = m.clinic_id
                         AND f.test_code = m.test_code AND f.priority = m.priority
                         AND f.performing_site = m.performing_site""", {"d": UNTOUCHED_DAY})
    snapshot(db, "incremental", LAB_MARTS)
    dbt_lab(db, root, False, "--full-refresh")
    full_refresh = frame(db, DAILY)
    return before, incremental, full_refresh, corrected, db, send_out


def test_incremental_equals_full_refresh(runs):
    _, incremental, full_refresh, *_ = runs
    untouched = ((incremental["collected_date"] == pd.Timestamp(UNTOUCHED_DAY))
                 & (incremental["clinic_id"] == OLD_CLINIC))
    assert untouched.any() and (incremental.loc[untouched, "n_tests"] == -1).all()
    restored = incremental.copy()
    restored.loc[untouched, "n_tests"] = full_refresh.loc[untouched.values, "n_tests"].values
    pd.testing.assert_frame_equal(restored, full_refresh, check_exact=True)


def test_the_appended_day_and_the_late_correction_arrived(runs):
    before, incremental, full_refresh, *_ = runs
    incremental, full_refresh = (f[f["clinic_id"] == OLD_CLINIC].reset_index(drop=True)
                                 for f in (incremental, full_refresh))
    assert set(before["clinic_id"]) == {OLD_CLINIC}
    days = set(incremental["collected_date"].dt.date)
    assert LAST_DAY in days and LAST_DAY not in set(before["collected_date"].dt.date)
    # the first day (outside the lookback) was recomputed because of the corrected result: its figures moved
    first = [frame[frame["collected_date"] == pd.Timestamp(FIRST_DAY)].reset_index(drop=True)
             for frame in (before, incremental)]
    assert not first[0].equals(first[1])
    assert first[1].equals(full_refresh[full_refresh["collected_date"] == pd.Timestamp(FIRST_DAY)]
                           .reset_index(drop=True))
    # the second day was recomputed because its encounter came again: fewer results before the patient left
    second = [int(f.loc[f["collected_date"] == pd.Timestamp(SECOND_DAY), "n_resulted_before_departure"].sum())
              for f in (before, incremental, full_refresh)]
    assert second[1] == second[2] < second[0]


@pytest.mark.parametrize("name", LAB_MARTS)
def test_every_lab_mart_equals_a_full_refresh_row_for_row(runs, name):
    db = runs[4]
    with duckdb.connect(str(db), read_only=True) as con:
        def count(sql: str) -> int:
            return con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]

        rows = count(f"FROM marts.{name}")
        extra = count(f"FROM incremental.{name} EXCEPT ALL FROM marts.{name}")
        missing = count(f"FROM marts.{name} EXCEPT ALL FROM incremental.{name}")
    assert rows > 0 and (extra, missing) == (0, 0), (name, rows, extra, missing)


def test_the_new_clinic_got_all_its_days(runs):
    """C02's first exports (ten days) arrived after the first build: the incremental run built every one of its days,
    the days before the other clinic's watermark too."""
    before, incremental, full_refresh, *_ = runs
    new = incremental[incremental["clinic_id"] == NEW_CLINIC]
    assert NEW_CLINIC not in set(before["clinic_id"])
    days = set(new["collected_date"].dt.date)
    assert len(days) >= 4 and min(days) < UNTOUCHED_DAY and LAST_DAY in days
    assert new.reset_index(drop=True).equals(
        full_refresh[full_refresh["clinic_id"] == NEW_CLINIC].reset_index(drop=True))


def test_the_open_send_out_was_re_derived_when_its_result_arrived(runs):
    db, (specimen, test) = runs[4], runs[5]
    sql = "SELECT is_open, as_of_date, result_at FROM {}.fct_lab_send_outs WHERE specimen_id = $s AND test_code = $t"
    first = frame(db, sql.format("first_build"), {"s": specimen, "t": test})
    after = frame(db, sql.format("incremental"), {"s": specimen, "t": test})
    assert first["is_open"].tolist() == [True] and first["as_of_date"].notna().all()
    assert after["is_open"].tolist() == [False] and after["as_of_date"].isna().all()
    assert after["result_at"].notna().all()


def test_a_clinic_whose_days_all_fall_in_the_lookback_is_rebuilt(handmade, tmp_path):
    """The hand-made warehouse holds one day per clinic, so the incremental run's look-back deletes every row a
    clinic has: that clinic has no watermark left and all its days must be rebuilt (a regression: C01's rapid tests
    vanished from fct_lab_turnaround when C02 alone sent a new export). Every lab mart equals a full refresh."""
    from backoffice.build import build
    from tests.test_serving_while_building import NEW_EXPORT

    db = tmp_path / "warehouse.duckdb"
    db.write_bytes(handmade.db.read_bytes())
    (tmp_path / "lab_specimens_2026-11-25.csv").write_text(NEW_EXPORT)  # one more C02 test, nothing for C01
    assert all(r.status == "loaded" for r in ingest_paths(db, [tmp_path / "lab_specimens_2026-11-25.csv"], TEST_KEY))
    build(db, unit_tests=False)
    snapshot(db, "incremental", LAB_MARTS)
    build(db, full_refresh=True, unit_tests=False)
    with duckdb.connect(str(db), read_only=True) as con:
        per_clinic = dict(con.execute("SELECT clinic_id, count(*) FROM incremental.fct_lab_turnaround GROUP BY 1")
                          .fetchall())
        assert per_clinic == {"C01": 5, "C02": 2}, per_clinic  # hand-made: five C01 tests, one C02 test, + L7
        def differ(a: str, b: str) -> int:
            return con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone()[0]

        for name in LAB_MARTS:
            assert (differ(f"incremental.{name}", f"marts.{name}"), differ(f"marts.{name}", f"incremental.{name}")) \
                == (0, 0), name
