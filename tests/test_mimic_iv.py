"""MIMIC-IV demo lab events (real hospital timestamps) through the importer, the normal ingest and the lab marts.

Fixture: tests/fixtures/mimic (a 5,742-row subset of hosp/labevents with its d_labitems rows; SOURCE.md, ODbL).
Expected figures are computed here with pandas from the raw file, by the definitions, not from the pipeline:
- rows without a priority are quarantined (priority is required by the lab_specimens contract);
- times are the synthetic clinic's wall clock (America/New_York): a time in the spring-forward gap is moved forward
  by the gap, a repeated autumn time is its first occurrence, intervals are elapsed time;
- a test's result time is storetime; only results after collection count (zero or negative is a data error);
- specimen turnaround = collection -> last counting result of the specimen; median and P90 by linear interpolation.
"""

from __future__ import annotations

import shutil
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from backoffice.cli import app
from ingest.loader import detect_format
from ingest.mimic_iv import DEFAULT_CLINIC_ID
from ingest.pseudonymise import pseudonym
from ingest.run import discover, ingest_paths
from tests.conftest import FIXTURES, TEST_KEY
from tests.test_lab_support import dbt_lab, frame

MIMIC = FIXTURES / "mimic"
LABEVENTS = MIMIC / "hosp" / "labevents.csv.gz"
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def new_york_to_utc(text: pd.Series) -> pd.Series:
    local = pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S")
    aware = local.dt.tz_localize(NEW_YORK, ambiguous=np.ones(len(local), dtype=bool),
                                 nonexistent=pd.Timedelta(hours=1))
    return aware.dt.tz_convert("UTC")


def dst_guess(text: pd.Series) -> pd.Series:
    """A New York wall-clock time the DST change skips or repeats: the ingest flags its row, the marts leave it out."""
    local = pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S")
    return local.notna() & local.dt.tz_localize(NEW_YORK, ambiguous="NaT", nonexistent="NaT").isna()


@pytest.fixture(scope="module")
def raw_events() -> pd.DataFrame:
    return pd.read_csv(LABEVENTS, dtype=str)


@pytest.fixture(scope="module")
def expected_specimens(raw_events) -> pd.DataFrame:
    """Per specimen with a priority: collection -> last result after collection, minutes (pandas, from the file)."""
    ev = raw_events[raw_events["priority"].isin(["STAT", "ROUTINE"])].copy()
    ev["collected"] = new_york_to_utc(ev["charttime"])
    ev["stored"] = new_york_to_utc(ev["storetime"])
    counting = ev[(ev["stored"] > ev["collected"]) & ~dst_guess(ev["charttime"]) & ~dst_guess(ev["storetime"])]
    per = counting.groupby("specimen_id").agg(collected=("collected", "min"), last=("stored", "max"),
                                              priority=("priority", "first"))
    per["tat_min"] = (per["last"] - per["collected"]).dt.total_seconds() / 60
    return per


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("mimic")
    db = root / "warehouse.duckdb"
    results = ingest_paths(db, [MIMIC], TEST_KEY, fmt="mimic-iv")
    dbt_lab(db, root)
    return db, results


def test_discovery_and_format_detection():
    assert discover([MIMIC], "mimic-iv") == [LABEVENTS]
    assert detect_format(LABEVENTS, None) == "mimic-iv"


def test_ingest_reconciles_and_quarantines_rows_without_priority(warehouse, raw_events):
    db, results = warehouse
    by_type = {r.record_type: r for r in results}
    assert set(by_type) == {"clinics", "lab_specimens"}
    labs = by_type["lab_specimens"]
    no_priority = int(raw_events["priority"].isna().sum())
    assert no_priority > 0
    assert (labs.rows_read, labs.rows_loaded, labs.rows_quarantined) == (
        len(raw_events), len(raw_events) - no_priority, no_priority)
    assert dict(labs.top_reasons) == {"missing_required": no_priority}
    clinic = frame(db, "SELECT clinic_id, timezone, country FROM raw.clinics")
    assert clinic.values.tolist() == [[DEFAULT_CLINIC_ID, "America/New_York", "US"]]


def test_patients_are_pseudonymised_and_dates_in_2110_2202_kept(warehouse, raw_events):
    db, _ = warehouse
    got = frame(db, "SELECT DISTINCT patient_id FROM raw.lab_specimens")["patient_id"]
    with_priority = raw_events[raw_events["priority"].notna()]
    assert set(got) == {pseudonym(s, TEST_KEY) for s in with_priority["subject_id"].unique()}
    years = frame(db, "SELECT min(year(collected_at_local)) AS lo, max(year(collected_at_local)) AS hi "
                      "FROM raw.lab_specimens")
    assert 2110 <= years["lo"][0] <= years["hi"][0] <= 2202
    # storetime is the result time; a specimen's analytes keep their labels from d_labitems.
    codes = frame(db, "SELECT DISTINCT test_code FROM marts.fct_lab_turnaround")["test_code"]
    assert "Potassium (Blood) [MIMIC 50971]" in set(codes)


def test_stat_and_routine_specimen_medians_match_pandas(warehouse, expected_specimens):
    db, _ = warehouse
    mart = frame(db, """
        SELECT priority, count(*) AS n,
               quantile_cont(collection_to_last_result_min, 0.5) AS median_min,
               quantile_cont(collection_to_last_result_min, 0.9) AS p90_min
        FROM marts.fct_lab_specimen_turnaround WHERE is_countable GROUP BY priority""").set_index("priority")
    for priority in ("STAT", "ROUTINE"):
        tat = expected_specimens.loc[expected_specimens["priority"] == priority, "tat_min"]
        got = mart.loc[priority.lower()]
        assert got["n"] == len(tat)
        assert got["median_min"] == pytest.approx(tat.median(), abs=1e-9)
        assert got["p90_min"] == pytest.approx(tat.quantile(0.9), abs=1e-9)
    # The figures on this subset (computed above from the file; the full file gives ~66 STAT, ~91 ROUTINE).
    assert mart.loc["stat", "median_min"] == pytest.approx(
        expected_specimens.loc[expected_specimens["priority"] == "STAT", "tat_min"].median())


def test_spring_forward_gap_in_shifted_dates(warehouse, expected_specimens):
    """2116-03-08 is a (date-shifted) spring-forward day in America/New_York. Collected 02:52, a wall-clock time
    that does not exist that day: it is read as 03:52 (moved forward by the gap), but that is a guess, so the rows
    are flagged nonexistent_local_time and left out: specimens 48555540 and 68982928 (68982928's results at 04:03:
    11 minutes by the guess, 71 naively) and 55500529 (stored 03:30, which the guess would put before its
    collection: no longer also flagged as a timeline error). The date shift moved these specimens onto a DST day
    they were not collected on: the hour is an artefact of the de-identification."""
    db, _ = warehouse
    got = frame(db, """SELECT specimen_id, collection_to_last_result_min, is_countable, has_timeline_error
                       FROM marts.fct_lab_specimen_turnaround
                       WHERE specimen_id IN ('68982928', '48555540', '55500529') ORDER BY specimen_id""")
    got = got.astype(object).where(got.notna(), None)
    assert got.values.tolist() == [
        ["48555540", None, False, True],
        ["55500529", None, False, True],
        ["68982928", None, False, True],
    ]
    flags = frame(db, """SELECT DISTINCT specimen_id, _flags FROM raw.lab_specimens
                         WHERE specimen_id IN ('48555540', '68982928', '55500529') ORDER BY 1""")
    assert [(s, list(f)) for s, f in flags.values.tolist()] == [
        (s, ["nonexistent_local_time"]) for s in ("48555540", "55500529", "68982928")]
    assert not {"48555540", "55500529", "68982928"} & set(expected_specimens.index)


def test_reingest_is_a_no_op(warehouse):
    db, _ = warehouse
    again = ingest_paths(db, [MIMIC], TEST_KEY, fmt="mimic-iv")
    assert {r.status for r in again} == {"already_ingested"}


def test_cli_format_mimic_iv(tmp_path, monkeypatch):
    source = tmp_path / "mimic-iv-demo"
    shutil.copytree(MIMIC, source)
    monkeypatch.setenv("BACKOFFICE_DB", str(tmp_path / "cli.duckdb"))
    result = CliRunner().invoke(app, ["ingest", "--format", "mimic-iv", "--clinic", "BIDMC", str(source)])
    assert result.exit_code == 0, result.output
    assert frame(tmp_path / "cli.duckdb", "SELECT DISTINCT clinic_id FROM raw.lab_specimens").values.tolist() == [
        ["BIDMC"]]


def test_fixture_is_small():
    assert sum(f.stat().st_size for f in Path(MIMIC).rglob("*.gz")) < 300_000
