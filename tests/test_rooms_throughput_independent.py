"""Room usage and throughput marts against figures computed independently in pandas (issue 4).

The simulator writes one clinic for two weeks around the fall-back change (Europe/Berlin, Sunday 2026-10-25).
This module reads those CSVs itself - its own parsing, its own reading of the definitions in
domain-standards 2.1, no SQL from the project - and asserts the marts agree:

- median turnover per room: previous patient out -> next patient in, same room and local day, directly
  consecutive cases, both with a valid in/out, 0 <= gap <= turnover_max_minutes;
- raw utilization per room-day: minutes with a patient in the room (procedure stays and exam-room visits,
  overlaps counted once) inside the staffed window from the room schedule / staffed minutes;
- completed procedures and resulted tests per room, staff member, code, hour and weekday; procedures per
  staffed hour; exam-room minutes freed per encounter.

Rows the ingest quarantines (blank required fields, unparseable timestamps, unknown status) are dropped here
by the same rules, written out independently.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from backoffice.build import dbt
from ingest.run import ingest_paths
from simulator.generate import SimulationConfig, simulate
from tests.conftest import TEST_KEY

REPO = Path(__file__).resolve().parent.parent
TZ = "Europe/Berlin"
CONFIG = SimulationConfig(clinics=1, days=14, seed=11, start_date=date(2026, 10, 19))
MY_MARTS = ["+path:models/marts/rooms", "+path:models/marts/throughput"]
VARS = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
TURNOVER_MAX = VARS["turnover_max_minutes"]


def build_room_marts(db: Path, target: Path, full_refresh: bool = True) -> None:
    """dbt build of the room and throughput marts and everything upstream (no unit tests: dbt runs those)."""
    os.environ["DBT_TARGET_PATH"] = str(target / "target")
    os.environ["DBT_LOG_PATH"] = str(target / "logs")
    args = ["build", "--select", *MY_MARTS, "--exclude-resource-type", "unit_test"]
    dbt([*args, *(["--full-refresh"] if full_refresh else [])], db)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("rooms_sim")
    source = root / "source"
    simulate(source, CONFIG, workers=1)
    (source / "planted.json").unlink()
    db = root / "warehouse.duckdb"
    results = ingest_paths(db, [source], TEST_KEY)
    assert all(r.status == "loaded" for r in results), [r.message for r in results]
    build_room_marts(db, root)
    return db, source


def mart(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


# ---- independent parsing --------------------------------------------------------------------------------------


def read_csv(source: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(source / f"{name}.csv", dtype=str, keep_default_na=False)


def local_ts(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(parsed naive wall-clock times, True where a non-empty cell does not parse)."""
    parsed = pd.to_datetime(col.where(col != ""), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    return parsed, (col != "") & parsed.isna()


def to_utc(local: pd.Series) -> pd.Series:
    return local.dt.tz_localize(TZ, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")


def clean(df: pd.DataFrame, required: list[str], stamps: list[str], enums: dict[str, set[str]]) -> pd.DataFrame:
    bad = pd.Series(False, index=df.index)
    for c in required:
        bad |= df[c].str.strip() == ""
    for c, allowed in enums.items():
        bad |= ~df[c].isin(allowed)
    out = df.copy()
    for c in stamps:
        out[c], unparseable = local_ts(df[c])
        bad |= unparseable
        out[c + "_utc"] = to_utc(out[c])
    return out[~bad]


def procedures(source: Path) -> pd.DataFrame:
    stamps = ["scheduled_start_at", "patient_in_at", "procedure_start_at", "procedure_end_at", "patient_out_at"]
    return clean(read_csv(source, "procedures"),
                 ["procedure_id", "clinic_id", "patient_id", "procedure_code", "room_id", "performed_by", "status"],
                 stamps, {"status": {"completed", "cancelled", "aborted"}})


def encounters(source: Path) -> pd.DataFrame:
    return clean(read_csv(source, "encounters"), ["encounter_id", "clinic_id", "patient_id", "arrived_at"],
                 ["arrived_at", "exam_room_in_at", "exam_room_out_at", "departed_at"], {})


def minutes(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 60.0


def occupancies(source: Path) -> pd.DataFrame:
    p = procedures(source)
    p = p[p["status"].isin(["completed", "aborted"])].copy()
    p["seq"] = p["patient_in_at_utc"].fillna(p["procedure_start_at_utc"]).fillna(p["procedure_end_at_utc"]) \
        .fillna(p["patient_out_at_utc"])
    p["seq_local"] = p["patient_in_at"].fillna(p["procedure_start_at"]).fillna(p["procedure_end_at"]) \
        .fillna(p["patient_out_at"])
    p = p[p["seq"].notna()].copy()
    p["day"] = p["seq_local"].dt.date
    p["valid"] = p["patient_in_at_utc"].notna() & p["patient_out_at_utc"].notna() & (
        p["patient_out_at_utc"] > p["patient_in_at_utc"])
    return p


def turnovers(source: Path) -> pd.DataFrame:
    p = occupancies(source).sort_values(["room_id", "day", "seq", "procedure_id"])
    nxt = p.groupby(["room_id", "day"]).shift(-1)
    gap = minutes(nxt["patient_in_at_utc"] - p["patient_out_at_utc"])
    ok = p["valid"] & nxt["valid"].fillna(False).astype(bool) & gap.between(0, TURNOVER_MAX)
    return pd.DataFrame({"room_id": p["room_id"], "procedure_id": p["procedure_id"], "turnover": gap.where(ok)})


def staffed_windows(source: Path, days: list[date]) -> pd.DataFrame:
    """One row per room x day the schedule staffs: [opens, closes) in UTC."""
    rooms = read_csv(source, "rooms")
    sched = read_csv(source, "room_schedule")
    rows = []
    for _, room in rooms.iterrows():
        for d in days:
            if room["active_from"] and d < date.fromisoformat(room["active_from"]):
                continue
            if room["active_to"] and d > date.fromisoformat(room["active_to"]):
                continue
            cands = sched[(sched["room_id"].isin([room["room_id"], "*"]))
                          & (sched["weekday"].astype(int) == d.isoweekday())]
            cands = cands[[(not f or date.fromisoformat(f) <= d) and (not t or d <= date.fromisoformat(t))
                           for f, t in zip(cands["valid_from"], cands["valid_to"], strict=True)]]
            if cands.empty:
                continue
            cands = cands.assign(own=cands["room_id"] != "*", vf=cands["valid_from"].replace("", "0000"))
            best = cands.sort_values(["own", "vf"], ascending=False).iloc[0]
            opens, closes = time.fromisoformat(best["opens_at"]), time.fromisoformat(best["closes_at"])
            if closes <= opens:
                continue
            rows.append({"room_id": room["room_id"], "room_type": room["room_type"], "day": d,
                         "opens": pd.Timestamp(datetime.combine(d, opens), tz=TZ).tz_convert("UTC"),
                         "closes": pd.Timestamp(datetime.combine(d, closes), tz=TZ).tz_convert("UTC")})
    return pd.DataFrame(rows)


def merged(intervals: list[tuple[pd.Timestamp, pd.Timestamp]]) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    out: list[list[pd.Timestamp]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def raw_utilization(source: Path) -> pd.DataFrame:
    occ = occupancies(source)
    calendar_from = procedures(source)["patient_in_at"].dropna()
    first, last = calendar_from.min().date(), calendar_from.max().date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    windows = staffed_windows(source, days)
    stays = occ.loc[occ["valid"], ["room_id", "patient_in_at_utc", "patient_out_at_utc"]].to_numpy().tolist()
    enc = encounters(source)
    ex = enc[(enc["exam_room_id"] != "") & (enc["exam_room_out_at_utc"] > enc["exam_room_in_at_utc"])]
    stays += ex[["exam_room_id", "exam_room_in_at_utc", "exam_room_out_at_utc"]].to_numpy().tolist()
    by_room: dict[str, list] = {}
    for room, s, e in stays:
        by_room.setdefault(room, []).append((s, e))
    by_room = {r: merged(v) for r, v in by_room.items()}
    occupied = []
    for w in windows.itertuples():
        total = sum(max(0.0, (min(e, w.closes) - max(s, w.opens)).total_seconds() / 60.0)
                    for s, e in by_room.get(w.room_id, []))
        occupied.append(total)
    windows["staffed_min"] = minutes(windows["closes"] - windows["opens"])
    windows["occupied_min"] = occupied
    windows["raw_utilization_pct"] = (100.0 * windows["occupied_min"] / windows["staffed_min"]).round(2)
    return windows


# ---- the checks -----------------------------------------------------------------------------------------------


def test_simulation_covers_the_fall_back_week(sim):
    db, source = sim
    p = procedures(source)
    assert p["patient_in_at"].min().date() < date(2026, 10, 25) < p["patient_in_at"].max().date()
    assert len(occupancies(source)) > 300


def test_median_turnover_per_room_matches_pandas(sim):
    db, source = sim
    t = turnovers(source).dropna()
    expected = t.groupby("room_id")["turnover"].median().sort_index()
    got = mart(db, """SELECT room_id, median(turnover_to_next_min) AS turnover FROM marts.fct_room_occupancy
                      WHERE turnover_to_next_min IS NOT NULL GROUP BY room_id ORDER BY room_id""")
    got = got.set_index("room_id")["turnover"]
    assert len(expected) >= 3
    pd.testing.assert_series_equal(got, expected, check_names=False, atol=1e-9, rtol=0)
    # and case by case, not only the medians
    per_case = mart(db, "SELECT procedure_id, turnover_to_next_min FROM marts.fct_room_occupancy")
    joined = turnovers(source).merge(per_case, on="procedure_id", how="outer", validate="1:1")
    assert len(joined) == len(per_case)
    assert np.allclose(joined["turnover"], joined["turnover_to_next_min"], equal_nan=True, atol=1e-9)


def test_raw_utilization_per_room_day_matches_pandas(sim):
    db, source = sim
    expected = raw_utilization(source)[["room_id", "day", "staffed_min", "occupied_min", "raw_utilization_pct"]]
    got = mart(db, """SELECT room_id, day, staffed_min, occupied_min, raw_utilization_pct
                      FROM marts.agg_room_utilization_daily""")
    got["day"] = pd.to_datetime(got["day"]).dt.date
    both = expected.merge(got, on=["room_id", "day"], how="outer", suffixes=("_pd", "_mart"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"]
    for col in ("staffed_min", "occupied_min"):
        assert np.allclose(both[f"{col}_pd"], both[f"{col}_mart"], atol=1e-6), col
    assert (both["raw_utilization_pct_pd"] - both["raw_utilization_pct_mart"]).abs().max() <= 0.01
    assert both["occupied_min_pd"].sum() > 0
    # exam rooms are measured from the encounters' exam-room stays, procedure rooms from the procedures
    used = both.groupby(both["room_id"].str[:2])["occupied_min_pd"].sum()
    assert used["EX"] > 0 and used["PR"] > 0


def test_adjusted_utilization_is_at_least_raw(sim):
    db, _ = sim
    d = mart(db, "SELECT * FROM marts.agg_room_utilization_daily WHERE room_type = 'procedure'")
    assert (d["used_min"] >= d["occupied_min"] - 1e-9).all()
    assert (d["adjusted_utilization_pct"] > d["raw_utilization_pct"]).mean() > 0.5  # cleaning and turnover count


def test_throughput_counts_match_pandas(sim):
    db, source = sim
    p = procedures(source)
    done = p[p["status"] == "completed"].copy()
    done["at"] = done["patient_in_at"].fillna(done["procedure_start_at"]).fillna(done["scheduled_start_at"])
    done = done[done["at"].notna()]
    done["hour"], done["weekday"] = done["at"].dt.hour, done["at"].dt.isocalendar().day.astype(int)
    cube = mart(db, """SELECT room_id, staff_id, activity_code, hour_of_day, weekday, activity_count
                       FROM marts.agg_throughput_hourly WHERE activity_type = 'procedure'""")
    for keys, mart_keys in ((["room_id"], ["room_id"]), (["performed_by"], ["staff_id"]),
                            (["procedure_code"], ["activity_code"]), (["hour"], ["hour_of_day"]),
                            (["weekday"], ["weekday"])):
        expected = done.groupby(keys).size().sort_index()
        got = cube.groupby(mart_keys)["activity_count"].sum().sort_index()
        assert expected.to_dict() == {k: int(v) for k, v in got.items()}, keys

    labs = read_csv(source, "lab_specimens")
    parsed = clean(labs, ["specimen_id", "clinic_id", "patient_id", "test_code", "priority", "collected_at",
                          "performing_site", "status"],
                   ["ordered_at", "collected_at", "received_at", "resulted_at", "verified_at", "reviewed_at",
                    "shipped_at", "critical_notified_at"],
                   {"priority": {"stat", "routine"}, "performing_site": {"in_house", "send_out"},
                    "status": {"final", "corrected", "pending", "cancelled", "rejected"}})
    resulted = parsed[parsed["status"].isin(["final", "corrected"])]
    expected_tests = resulted.groupby("performing_site").size().to_dict()
    got_tests = mart(db, """SELECT activity_type, sum(activity_count) AS n FROM marts.agg_throughput_hourly
                            WHERE activity_type <> 'procedure' GROUP BY 1""")
    assert {r.activity_type: int(r.n) for r in got_tests.itertuples()} == {
        "in_house_test": expected_tests["in_house"], "send_out_test": expected_tests["send_out"]}


def test_procedures_per_staffed_hour_matches_pandas(sim):
    db, source = sim
    util = raw_utilization(source)
    staffed_h = util.groupby("room_id")["staffed_min"].sum() / 60.0
    p = procedures(source)
    done = p[(p["status"] == "completed")]
    at = done["patient_in_at"].fillna(done["procedure_start_at"]).fillna(done["scheduled_start_at"])
    counts = done[at.notna()].groupby("room_id").size()
    got = mart(db, """SELECT room_id, sum(procedures) AS procedures, sum(staffed_hours) AS staffed_hours
                      FROM marts.agg_throughput_room_daily GROUP BY room_id""").set_index("room_id")
    for room in counts.index:
        assert got.loc[room, "procedures"] == counts[room]
        assert got.loc[room, "staffed_hours"] == pytest.approx(staffed_h[room])
    busiest = counts.idxmax()
    assert (got.loc[busiest, "procedures"] / got.loc[busiest, "staffed_hours"]) == pytest.approx(
        counts[busiest] / staffed_h[busiest])


def test_exam_room_minutes_freed_match_pandas(sim):
    db, source = sim
    occ = occupancies(source)
    rooms = read_csv(source, "rooms").set_index("room_id")["room_type"]
    occ = occ[(occ["encounter_id"] != "") & (occ["room_id"].map(rooms) != "exam") & occ["valid"]]
    enc = encounters(source).set_index("encounter_id")
    enc = enc[enc["exam_room_out_at_utc"].notna() & ~(enc["exam_room_in_at_utc"] >= enc["exam_room_out_at_utc"])]
    j = occ.join(enc[["exam_room_out_at_utc"]], on="encounter_id", how="inner")
    start = j[["patient_in_at_utc", "exam_room_out_at_utc"]].max(axis=1)
    freed = minutes(j["patient_out_at_utc"] - start).clip(lower=0)
    expected = freed.groupby(j["encounter_id"]).sum().sort_index()
    got = mart(db, """SELECT encounter_id, exam_room_freed_min FROM marts.fct_exam_room_minutes_freed
                      WHERE exam_room_freed_min IS NOT NULL ORDER BY 1""").set_index("encounter_id")
    assert len(expected) > 50
    pd.testing.assert_series_equal(got["exam_room_freed_min"], expected, check_names=False, atol=1e-9, rtol=0)
