"""The incremental sterility and competency marts give exactly what a full refresh gives (issue 4).

Two simulated clinics, three weeks (planted lapses included: a positive BI on the first day, missed Bowie-Dick
tests, probe reuse, ...). The first batch holds C01's days but the last and C02's but the last four (its export
lags) and is built with --full-refresh. The second batch brings the rest together with three late records older than
the look-back window: the first day's positive biological indicator, which the first batch still had as pending (so
the procedures that used that load must now fail critical_item_traced), a corrected procedure of the second day
whose chaperone is now recorded absent, and a competency assessment element of the first week that completes an
assessment (the staff member's status changes from that day on). After an incremental run every mart must equal, row
for row (EXCEPT ALL both ways), what a --full-refresh of the same warehouse builds.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from backoffice.build import dbt
from ingest.run import ingest_paths
from simulator.generate import SimulationConfig, simulate
from tests.conftest import TEST_KEY
from tests.test_lab_incremental import rewrite, snapshot, write_rows
from tests.test_rooms_incremental import split_last_day

UNTOUCHED_DAY = date(2026, 3, 12)  # no late record, before the look-back window
CONFIG = SimulationConfig(clinics=2, days=21, seed=42, error_rate=0.0, missing_rate=0.0, start_date=date(2026, 3, 9))
SELECTION = ["+path:models/marts/competency", "+path:models/marts/sterility", "stg_backoffice__clinics",
             "lab_test_catalog"]
MARTS = ["fct_sterility_checks", "fct_sterility_exceptions", "fct_sterilizer_loads", "fct_recall_trace",
         "agg_compliance_weekly", "fct_competency_checks", "fct_competency_exceptions", "fct_competency_status_daily",
         "fct_certification_status_daily", "fct_supervised_performances", "rpt_supervisor_worklist"]


def build(db: Path, root: Path, *extra: str) -> None:
    dbt(["build", "--select", *SELECTION, "--exclude-resource-type", "unit_test",
         "--target-path", str(root / "dbt-target"), "--log-path", str(root / "dbt-logs"), *extra], db)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("compliance_incremental")
    source, first, last = root / "source", root / "first", root / "last"
    simulate(source, CONFIG, workers=1)
    (source / "planted.json").unlink()
    split_last_day(source, first, last, lag_days={"C02": 3})  # C02's export lags: a watermark per clinic

    def bi_pending(r: dict[str, str]) -> bool:  # the first day's positive BI, not yet read in the first batch
        if r["bi_result"] == "positive" and r["started_at"].startswith(CONFIG.start_date.isoformat()):
            r.update(bi_result="pending", bi_read_at="")
            return True
        return False

    bi = rewrite(first / "sterilizer_cycles_part.csv", bi_pending)
    write_rows(last / "sterilizer_cycles_bi_read.csv", [bi])

    with (first / "encounters_part.csv").open(newline="") as fh:
        asked = {(e["clinic_id"], e["encounter_id"]) for e in csv.DictReader(fh) if e["chaperone_requested"] == "true"}

    def chaperone_there(r: dict[str, str]) -> bool:  # a second-day procedure whose chaperone was present
        return (r["patient_in_at"].startswith("2026-03-10") and r["chaperone_present"] == "true"
                and (r["clinic_id"], r["encounter_id"]) in asked)

    procedure = rewrite(first / "procedures_part.csv", chaperone_there)
    write_rows(last / "procedures_correction.csv", [procedure | {"chaperone_present": "false"}])

    with (first / "competency_assessments.csv").open(newline="") as fh:
        assessments = list(csv.DictReader(fh))
    late = next(a for a in assessments if a["outcome"] == "pass" and "2026-03-09" <= a["assessed_on"] <= "2026-03-13")
    write_rows(first / "competency_assessments.csv", [a for a in assessments if a is not late])
    write_rows(last / "competency_assessments_late.csv", [late])

    # a file name that is not a bare SQL identifier: the incremental models' side tables must be quoted like the model
    db = root / "clinic-warehouse.duckdb"
    assert all(r.status == "loaded" for r in ingest_paths(db, [first], TEST_KEY))
    build(db, root, "--full-refresh")
    snapshot(db, "first_build", MARTS)
    marker = "UPDATE marts.fct_sterility_checks SET detail = {} WHERE check_date = $d AND clinic_id = 'C01'"
    with duckdb.connect(str(db)) as con:  # a day no run may recompute: the marker must survive
        con.execute(marker.format("'marker'"), {"d": UNTOUCHED_DAY})
    assert all(r.status == "loaded" for r in ingest_paths(db, [last], TEST_KEY))
    build(db, root)
    with duckdb.connect(str(db)) as con:
        marked = con.execute("SELECT count(*) FILTER (WHERE detail = 'marker'), count(*) "
                             "FROM marts.fct_sterility_checks WHERE check_date = $d AND clinic_id = 'C01'",
                             {"d": UNTOUCHED_DAY}).fetchone()
        for name, day in (("fct_sterility_checks", "check_date"), ("fct_sterility_exceptions", "exception_date")):
            con.execute(f"""UPDATE marts.{name} m SET detail = f.detail FROM first_build.{name} f
                            WHERE m.{day} = $d AND m.clinic_id = 'C01' AND f.clinic_id = m.clinic_id
                              AND f.rule_code = m.rule_code AND f.subject_id = m.subject_id""", {"d": UNTOUCHED_DAY})
    snapshot(db, "incremental", MARTS)
    build(db, root, "--full-refresh")
    return db, bi, procedure, marked, late


def count(db: Path, sql: str, params: list | None = None) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM ({sql})", params or []).fetchone()[0]


@pytest.mark.parametrize("name", MARTS)
def test_incremental_run_equals_full_refresh(warehouse, name):
    db = warehouse[0]
    extra = count(db, f"FROM incremental.{name} EXCEPT ALL FROM marts.{name}")
    missing = count(db, f"FROM marts.{name} EXCEPT ALL FROM incremental.{name}")
    assert count(db, f"FROM marts.{name}") > 0 and (extra, missing) == (0, 0), (name, extra, missing)


def test_the_late_records_changed_old_days(warehouse):
    db, bi, procedure, _, assessment = warehouse
    traced = ("FROM {}.fct_sterility_exceptions WHERE rule_code = 'critical_item_traced' "
              "AND reason = 'load_bi_positive' AND load_id = $load")
    assert count(db, traced.format("first_build"), {"load": bi["load_id"]}) == 0
    assert count(db, traced.format("incremental"), {"load": bi["load_id"]}) > 0
    absent = "FROM {}.fct_sterility_exceptions WHERE rule_code = 'chaperone_present' AND procedure_id = $p"
    assert count(db, absent.format("first_build"), {"p": procedure["procedure_id"]}) == 0
    assert count(db, absent.format("incremental"), {"p": procedure["procedure_id"]}) == 1


def test_the_incremental_run_left_older_days_alone(warehouse):
    marked, rows = warehouse[3]
    assert rows > 0 and marked == rows


def test_the_late_assessment_changed_the_status_of_earlier_days(warehouse):
    db, assessment = warehouse[0], warehouse[4]
    status = ("FROM {}.fct_competency_status_daily WHERE staff_id = $s AND competency_code = $c "
              "AND status_date < DATE '2026-03-20'")
    params = {"s": assessment["staff_id"], "c": assessment["competency_code"]}
    assert count(db, f"{status.format('first_build')} EXCEPT {status.format('incremental')}", params) > 0
