"""Independent check: lab turnaround figures recomputed in plain pandas from the simulated source CSV files.

Nothing here reads the pipeline's code or intermediate tables: the CSVs are parsed with pandas, the rules are the
published definitions (tests/fixtures/handmade/README.md style, domain-standards 1), and only the marts are read
back. The window (12 Oct - 1 Nov 2026) crosses the autumn DST change (25 Oct) and the Austrian national holiday
(Mon 26 Oct), so local-time parsing and the working-day calendar are exercised.

Definitions applied here:
- the ingest keeps a row when its required fields are filled, its enums are valid (case-insensitive), every
  timestamp parses and its clinic exists; of two rows with one key the later line wins;
- naive times are the clinic's wall clock (IANA zone from clinics.csv); a repeated autumn hour is its first
  occurrence, a time in the spring gap is moved forward by the gap; intervals are elapsed time;
- the result time is resulted_at, else verified_at; a pair of events in the wrong order (order > collection,
  receipt / result / shipment < collection, verification < result), a zero or negative collection -> result or
  order -> result make the row a data error, left out; counted = final or corrected, collection -> result present;
- median / P90 by linear interpolation; within target = collection -> result <= the catalog target (rapid tests
  without one: 30 min); resulted before the patient left = result <= encounter departure;
- working days from a to b = Monday-Friday days d with a < d <= b, minus the country's holidays.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingest.run import ingest_paths
from simulator.generate import SimulationConfig, simulate
from tests.conftest import TEST_KEY
from tests.test_lab_support import dbt_lab, frame

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CONFIG = SimulationConfig(clinics=2, days=21, seed=11, start_date=date(2026, 10, 12))
LAB_TIMES = ["ordered_at", "collected_at", "received_at", "resulted_at", "verified_at", "reviewed_at", "shipped_at",
             "critical_notified_at"]
LAB_REQUIRED = ["specimen_id", "clinic_id", "patient_id", "test_code", "priority", "collected_at", "performing_site",
                "status"]
LAB_ENUMS = {"priority": {"stat", "routine"}, "performing_site": {"in_house", "send_out"},
             "status": {"final", "corrected", "pending", "cancelled", "rejected"}}
ENC_TIMES = ["arrived_at", "exam_room_in_at", "exam_room_out_at", "departed_at"]
ENC_REQUIRED = ["encounter_id", "clinic_id", "patient_id", "arrived_at"]
WRONG_ORDER = [("ordered_at", "collected_at"), ("collected_at", "received_at"), ("collected_at", "resulted_at"),
               ("resulted_at", "verified_at"), ("collected_at", "shipped_at")]
RAPID_DEFAULT_MIN = 30


# ---- pandas re-implementation --------------------------------------------------------------------------------
def _local_to_utc(text: pd.Series, zones: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(UTC instant, parsed-or-blank ok flag) of wall-clock text in each row's zone."""
    stripped = text.str.strip().replace("", np.nan)
    local = pd.to_datetime(stripped, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    ok = stripped.isna() | local.notna()
    utc = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for zone in zones.dropna().unique():
        rows = (zones == zone) & local.notna()
        if rows.any():
            aware = local[rows].dt.tz_localize(zoneinfo.ZoneInfo(zone), ambiguous=np.ones(rows.sum(), dtype=bool),
                                               nonexistent=pd.Timedelta(hours=1))
            utc[rows] = aware.dt.tz_convert("UTC").dt.tz_localize(None)
    return utc, ok


def _kept(df: pd.DataFrame, required, enums, times, key, clinics: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in df.columns:
        df[c] = df[c].fillna("")
    keep = pd.Series(True, index=df.index)
    for c in required:
        keep &= df[c].str.strip() != ""
    for c, allowed in enums.items():
        value = df[c].str.strip().str.lower()
        keep &= (value == "") | value.isin(allowed)
        df[c] = value
    df["tz"] = df["clinic_id"].str.strip().map(clinics.set_index("clinic_id")["timezone"])
    keep &= df["tz"].notna()
    for c in times:
        df[c + "_utc"], ok = _local_to_utc(df[c], df["tz"])
        keep &= ok
    return df[keep].drop_duplicates(key, keep="last")


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "source"
    simulate(out, CONFIG)
    (out / "planted.json").unlink()
    return out


@pytest.fixture(scope="module")
def expected(source) -> pd.DataFrame:
    """One row per kept specimen x test with the intervals and verdicts, computed in pandas."""
    clinics = pd.read_csv(source / "clinics.csv", dtype=str)
    raw = pd.read_csv(source / "lab_specimens.csv", dtype=str, keep_default_na=False)
    labs = _kept(raw, LAB_REQUIRED, LAB_ENUMS, LAB_TIMES, ["clinic_id", "specimen_id", "test_code"], clinics)
    enc_raw = pd.read_csv(source / "encounters.csv", dtype=str, keep_default_na=False)
    enc = _kept(enc_raw, ENC_REQUIRED, {}, ENC_TIMES, ["clinic_id", "encounter_id"], clinics)
    catalog = pd.read_csv(SEEDS / "lab_test_catalog.csv", dtype=str).set_index("test_code")

    def minutes(a, b):
        return (labs[b] - labs[a]).dt.total_seconds() / 60

    labs["result_utc"] = labs["resulted_at_utc"].fillna(labs["verified_at_utc"])
    labs["c2r"] = minutes("collected_at_utc", "result_utc")
    labs["o2r"] = minutes("ordered_at_utc", "result_utc")
    wrong = pd.Series(False, index=labs.index)
    for earlier, later in WRONG_ORDER:
        wrong |= labs[later + "_utc"] < labs[earlier + "_utc"]
    labs["error"] = wrong | (labs["c2r"] <= 0) | (labs["o2r"] <= 0)
    labs["countable"] = labs["status"].isin(["final", "corrected"]) & labs["c2r"].notna() & ~labs["error"]
    target_col = np.where(labs["priority"] == "stat", "target_minutes_stat", "target_minutes_routine")
    labs["target"] = [float(catalog.at[code, col]) if code in catalog.index and pd.notna(catalog.at[code, col])
                      else (RAPID_DEFAULT_MIN if code in catalog.index and catalog.at[code, "category"] == "rapid"
                            else np.nan)
                      for code, col in zip(labs["test_code"], target_col, strict=True)]
    labs["within"] = labs["c2r"] <= labs["target"]
    departed = enc.set_index(["clinic_id", "encounter_id"])["departed_at_utc"]
    labs["departed_utc"] = [departed.get((c, e), pd.NaT) for c, e in zip(labs["clinic_id"], labs["encounter_id"],
                                                                          strict=True)]
    labs["before_left"] = np.where(labs["departed_utc"].notna() & labs["result_utc"].notna(),
                                   labs["result_utc"] <= labs["departed_utc"], np.nan)
    local = pd.to_datetime(labs["collected_at"].str.strip(), format="%Y-%m-%d %H:%M:%S")
    labs["day"] = local.dt.normalize()
    labs["month"] = local.dt.to_period("M").dt.start_time
    labs["week"] = (local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D"))
    labs["country"] = labs["clinic_id"].map(pd.read_csv(source / "clinics.csv", dtype=str)
                                            .set_index("clinic_id")["country"])
    return labs


@pytest.fixture(scope="module")
def warehouse(source, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("independent")
    db = root / "warehouse.duckdb"
    results = ingest_paths(db, [source], TEST_KEY)
    assert all(r.status == "loaded" for r in results), [r.message for r in results]
    dbt_lab(db, root, data_tests=False)
    return db


def _stats(group: pd.DataFrame) -> pd.Series:
    c = group[group["countable"]]
    with_target = c[c["target"].notna()]
    return pd.Series({
        "n_countable": len(c),
        "median": c["c2r"].quantile(0.5) if len(c) else np.nan,
        "p90": c["c2r"].quantile(0.9) if len(c) else np.nan,
        "n_within_target": int(with_target["within"].sum()),
        "n_outliers": int((~with_target["within"]).sum()),
    })


def _compare(expected: pd.DataFrame, mart: pd.DataFrame, keys: list[str]) -> None:
    merged = expected.merge(mart, on=keys, how="outer", suffixes=("_pandas", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][keys]
    for col in ("n_countable", "n_within_target", "n_outliers"):
        assert (merged[col + "_pandas"].astype(int) == merged[col + "_mart"].astype(int)).all(), col
    for col in ("median", "p90"):
        a, b = merged[col + "_pandas"].astype(float), merged[col + "_mart"].astype(float)
        assert ((a - b).abs() < 1e-9).where(a.notna() | b.notna(), True).all(), merged[(a - b).abs() >= 1e-9]


def test_median_and_p90_per_test_and_priority(expected, warehouse):
    """The main figures: median and P90 collection -> result per test and priority, all clinics and days."""
    want = expected.groupby(["test_code", "priority"]).apply(_stats, include_groups=False).reset_index()
    got = frame(warehouse, """
        SELECT test_code, priority, count(*) AS n_countable,
               quantile_cont(collection_to_result_min, 0.5) AS median,
               quantile_cont(collection_to_result_min, 0.9) AS p90,
               count(*) FILTER (WHERE is_within_target) AS n_within_target,
               count(*) FILTER (WHERE is_outlier) AS n_outliers
        FROM marts.fct_lab_turnaround WHERE is_countable GROUP BY ALL""")
    assert len(want) >= 20
    _compare(want, got, ["test_code", "priority"])


@pytest.mark.parametrize(("period", "mart", "column"), [
    ("day", "agg_lab_turnaround_daily", "collected_date"),
    ("week", "agg_lab_turnaround_weekly", "week_start"),
    ("month", "agg_lab_turnaround_monthly", "month_start"),
])
def test_period_marts_per_clinic_test_priority_site(expected, warehouse, period, mart, column):
    keys = ["clinic_id", period, "test_code", "priority", "performing_site"]
    want = expected.groupby(keys).apply(_stats, include_groups=False).reset_index()
    got = frame(warehouse, f"""
        SELECT clinic_id, {column}::TIMESTAMP AS {period}, test_code, priority, performing_site, n_countable,
               median_collection_to_result_min AS median, p90_collection_to_result_min AS p90, n_within_target,
               n_outliers
        FROM marts.{mart}""")
    got[period] = got[period].astype("datetime64[ns]")
    want[period] = want[period].astype("datetime64[ns]")
    _compare(want, got, keys)


def test_resulted_before_patient_left_per_test_and_clinic(expected, warehouse):
    inh = expected[(expected["performing_site"] == "in_house") & expected["countable"]
                   & expected["before_left"].notna()]
    want = (inh.groupby(["clinic_id", "month", "test_code"])["before_left"]
            .agg(n_with_departure="size", n_before="sum").reset_index())
    got = frame(warehouse, """SELECT clinic_id, month_start::TIMESTAMP AS month, test_code, n_with_departure,
                                     n_resulted_before_departure AS n_before, pct_resulted_before_departure AS pct
                              FROM marts.agg_lab_before_departure_monthly WHERE n_with_departure > 0""")
    got["month"] = got["month"].astype("datetime64[ns]")
    merged = want.merge(got, on=["clinic_id", "month", "test_code"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["n_with_departure_x"] == merged["n_with_departure_y"]).all()
    assert (merged["n_before_x"].astype(int) == merged["n_before_y"]).all()
    assert np.allclose(100.0 * merged["n_before_x"] / merged["n_with_departure_x"], merged["pct"])


def test_send_out_working_days_on_the_clinic_calendar(expected, warehouse):
    holidays = pd.read_csv(SEEDS / "clinic_holidays.csv", dtype=str)
    so = expected[(expected["performing_site"] == "send_out") & expected["shipped_at_utc"].notna()
                  & expected["result_utc"].notna()].copy()
    shipped = pd.to_datetime(so["shipped_at"].str.strip()).values.astype("datetime64[D]")
    result_local = pd.to_datetime(so["resulted_at"].where(so["resulted_at"].str.strip() != "", so["verified_at"])
                                  .str.strip()).values.astype("datetime64[D]")
    one = np.timedelta64(1, "D")
    by_country = {c: np.array(h["holiday_date"].tolist(), dtype="datetime64[D]")
                  for c, h in holidays.groupby("country")}
    so["wd"] = [
        int(np.busday_count(s + one, r + one, holidays=by_country.get(country, [])))
        for country, s, r in zip(so["country"], shipped, result_local, strict=True)
    ]
    got = frame(warehouse, """SELECT clinic_id, specimen_id, test_code, shipped_to_result_working_days AS wd,
                                     shipped_to_result_hours AS hours
                              FROM marts.fct_lab_send_outs WHERE result_at IS NOT NULL AND shipped_at IS NOT NULL""")
    merged = so.merge(got, on=["clinic_id", "specimen_id", "test_code"], suffixes=("_pandas", "_mart"))
    assert len(merged) == len(so) > 100
    assert (merged["wd_pandas"] == merged["wd_mart"]).all()
    hours = (merged["result_utc"] - merged["shipped_at_utc"]).dt.total_seconds() / 3600
    assert np.allclose(hours, merged["hours"])
    # The window holds a Friday -> Monday over the DST night and the Austrian Nationalfeiertag: both occur.
    assert merged["wd_pandas"].max() >= 1 and (merged["wd_pandas"] == 0).any()


def test_rejection_rate_per_test(expected, warehouse):
    not_cancelled = expected[expected["status"] != "cancelled"]
    want = (not_cancelled.groupby(["clinic_id", "month", "test_code"])["status"]
            .agg(n_tests="size", n_rejected=lambda s: int((s == "rejected").sum())).reset_index())
    got = frame(warehouse, """SELECT clinic_id, month_start::TIMESTAMP AS month, test_code, n_tests, n_rejected
                              FROM marts.agg_lab_rejections_by_test_monthly WHERE n_tests > 0""")
    got["month"] = got["month"].astype("datetime64[ns]")
    merged = want.merge(got, on=["clinic_id", "month", "test_code"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["n_tests_x"] == merged["n_tests_y"]).all()
    assert (merged["n_rejected_x"] == merged["n_rejected_y"]).all()
    assert merged["n_rejected_x"].sum() > 0
