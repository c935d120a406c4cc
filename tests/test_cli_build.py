"""`backoffice build --daily`: the scheduled run. It builds the new data incrementally without the dbt unit tests,
runs the data tests of the large tables on their last days, re-creates only the views that changed since the
warehouse's last build, and publishes."""

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


def run_kinds(env: dict) -> dict[str, set[str]]:
    """Run `backoffice build --daily`; the names of the models and of the tests it ran, by materialization."""
    result = CliRunner().invoke(app, ["build", "--daily"], env=env)
    assert result.exit_code == 0, result.output
    manifest = json.loads((REPO_ROOT / "target" / "manifest.json").read_text())["nodes"]
    ran = [manifest[r["unique_id"]] for r in
           json.loads((REPO_ROOT / "target" / "run_results.json").read_text())["results"]
           if r["unique_id"] in manifest]  # not the exposures (no-ops)
    kinds: dict[str, set[str]] = {}
    for node in ran:
        kind = node["config"]["materialized"] if node["resource_type"] == "model" else node["resource_type"]
        kinds.setdefault(kind, set()).add(node["name"])
    return kinds


def test_daily_build_recreates_views_and_seeds_only_when_the_warehouse_lacks_them(handmade, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    db.write_bytes(handmade.db.read_bytes())  # a copy: no manifest of its own last build beside it yet
    env = {"BACKOFFICE_DB": str(db), "BACKOFFICE_SERVING_DIR": str(tmp_path / "serving")}
    staging_test = "unique_combination_stg_backoffice__procedures_clinic_id__procedure_id"

    first = run_kinds(env)
    assert "stg_backoffice__procedures" in first["view"] and len(first["view"]) > 20
    assert "lab_test_catalog" in first["seed"] and "unique_lab_test_catalog_test_code" in first["test"]
    second = run_kinds(env)  # views and seeds unchanged since the first run: not re-created, the views' tests run
    assert "view" not in second and "seed" not in second
    assert "unique_lab_test_catalog_test_code" not in second["test"]
    assert {"fct_lab_turnaround", "fct_sterility_checks"} <= second["incremental"]
    assert any(t.startswith(staging_test) for t in second["test"])

    with duckdb.connect(str(db)) as con:
        con.execute("DROP VIEW staging.stg_backoffice__rooms")
    third = run_kinds(env)  # the warehouse no longer holds what the manifest built: every view and seed again
    assert third["view"] == first["view"] and third["seed"] == first["seed"]
