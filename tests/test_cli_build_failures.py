"""When a build fails, `backoffice build` names the failing tests and models and says what to do (issue 13).

A simulated clinic's week is built; then a row of the first day of fct_room_occupancy is duplicated, as an
incremental table that drifted from the raw data would hold it (a day no incremental run recomputes: older than
the look-back, no new rows). The next `backoffice build` fails the unique test: the CLI must name that test, say that
nothing was published, and tell to run `backoffice build --full-refresh` - which then passes and publishes.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from typer.testing import CliRunner

from backoffice.cli import app
from ingest.run import ingest_paths
from simulator.generate import SimulationConfig, simulate
from tests.conftest import TEST_KEY

UNIQUE_TEST = "unique_combination_fct_room_occupancy_clinic_id__procedure_id"


@pytest.fixture(scope="module")
def drifted(tmp_path_factory):
    root = tmp_path_factory.mktemp("build_failures")
    simulate(root / "source", SimulationConfig(clinics=1, days=8, seed=3, start_date=date(2026, 5, 4)), workers=1)
    (root / "source" / "planted.json").unlink()
    db = root / "warehouse.duckdb"
    assert all(r.status == "loaded" for r in ingest_paths(db, [root / "source"], TEST_KEY))
    env = {"BACKOFFICE_DB": str(db), "BACKOFFICE_SERVING_DIR": str(root / "serving")}
    first = CliRunner().invoke(app, ["build", "--full-refresh"], env=env)
    assert first.exit_code == 0, first.output
    with duckdb.connect(str(db)) as con:
        con.execute("""INSERT INTO marts.fct_room_occupancy SELECT * FROM marts.fct_room_occupancy
                       WHERE occupancy_date = (SELECT min(occupancy_date) FROM marts.fct_room_occupancy) LIMIT 1""")
    served = sorted(p.name for p in (root / "serving").iterdir())
    failed = CliRunner().invoke(app, ["build"], env=env)
    served_after = sorted(p.name for p in (root / "serving").iterdir())
    repaired = CliRunner().invoke(app, ["build", "--full-refresh"], env=env)
    return failed, served, served_after, repaired


def test_the_failed_build_names_the_failing_test_and_the_fix(drifted):
    failed = drifted[0]
    out = " ".join(failed.output.split())  # rich wraps long lines
    assert failed.exit_code == 1
    assert f"test {UNIQUE_TEST} (fail): Got 1 result" in out, out
    assert "What to do: Run `backoffice build --full-refresh`" in out
    assert "Nothing was published: the dashboards still show the previous build." in out
    assert "target/compiled/backoffice/models/marts/rooms/_rooms__models.yml/" in out  # where to see the rows


def test_nothing_was_published_and_the_full_refresh_repairs_it(drifted):
    _, served, served_after, repaired = drifted
    assert served_after == served
    assert repaired.exit_code == 0, repaired.output
    assert "Published" in repaired.output
