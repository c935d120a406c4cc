"""`backoffice build --daily`: the scheduled run. It builds the new data incrementally without the dbt unit tests,
runs the data tests of the large tables on their last days, and publishes."""

from __future__ import annotations

import json

import duckdb
from typer.testing import CliRunner

from backoffice.build import DAILY_DATA_TEST_DAYS
from backoffice.cli import app
from backoffice.publish import current_serving_file
from backoffice.settings import REPO_ROOT
from ingest.run import ingest_paths
from tests.conftest import TEST_KEY
from tests.test_serving_while_building import NEW_EXPORT


def test_daily_build_adds_the_new_export_without_unit_tests(handmade, tmp_path):
    db, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving"
    db.write_bytes(handmade.db.read_bytes())
    export = tmp_path / "lab_specimens_2026-11-25.csv"
    export.write_text(NEW_EXPORT)  # one more C02 rapid test
    assert all(r.status == "loaded" for r in ingest_paths(db, [export], TEST_KEY))

    result = CliRunner().invoke(app, ["build", "--daily"],
                                env={"BACKOFFICE_DB": str(db), "BACKOFFICE_SERVING_DIR": str(serving)})
    assert result.exit_code == 0, result.output
    assert "Published" in result.output

    run = json.loads((REPO_ROOT / "target" / "run_results.json").read_text())
    kinds = {r["unique_id"].split(".")[0] for r in run["results"]}
    assert "unit_test" not in kinds and {"model", "test"} <= kinds
    assert run["args"]["vars"] == {"data_test_recent_days": DAILY_DATA_TEST_DAYS}
    assert run["args"]["exclude_resource_types"] == ["unit_test"]
    with duckdb.connect(str(current_serving_file(serving)), read_only=True) as con:
        counts = dict(con.execute("SELECT clinic_id, count(*) FROM marts.fct_lab_turnaround GROUP BY 1").fetchall())
    assert counts == {"C01": 5, "C02": 2}, counts  # hand-made: five C01 tests and one C02 test, + the new one
