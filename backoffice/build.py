"""`dbt build` through dbt's Python entry point, against the warehouse named by BACKOFFICE_DB."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import duckdb

from backoffice.build_failures import Failure, read_failures
from backoffice.file_modes import make_private, private_umask
from backoffice.settings import REPO_ROOT

# Days of the large tables a daily run's generic data tests look at (macro recent_days_filter): at least the
# longest look-back of an incremental model (fct_sterility_checks, var sterility_lookback_days).
DAILY_DATA_TEST_DAYS = 7


class BuildFailed(RuntimeError):
    """dbt failed; `failures` are the tests and models that failed, from its run_results.json (module
    build_failures says what to do about each)."""

    def __init__(self, message: str, failures: list[Failure] | None = None) -> None:
        super().__init__(message)
        self.failures = failures or []


def target_path(args: list[str]) -> Path:
    """dbt's target folder for `args`: --target-path, else DBT_TARGET_PATH, else the project's target/."""
    if "--target-path" in args:
        return Path(args[args.index("--target-path") + 1])
    return Path(os.environ.get("DBT_TARGET_PATH") or REPO_ROOT / "target")


def dbt(args: list[str], db_path: Path) -> None:
    """Run one dbt command in the repository's project; raise BuildFailed naming what failed."""
    from dbt.cli.main import dbtRunner

    os.environ["BACKOFFICE_DB"] = str(db_path)
    project = ["--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT)]
    private_umask()  # the warehouse's WAL and dbt's log: 0600 (backoffice.file_modes)
    started = time.time()
    try:
        result = dbtRunner().invoke([*args, *project])
    finally:
        make_private(*(REPO_ROOT / "logs").glob("*.log"))
        # dbt-duckdb keeps its connection open in-process (dbt-duckdb #616); release the file for others.
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        DuckDBConnectionManager.close_all_connections()
    if not result.success:
        failed = []
        if result.result is not None and hasattr(result.result, "results"):
            failed = [f"{r.node.name}: {r.status}" for r in result.result.results
                      if str(r.status) in ("error", "fail", "runtime error")]
        detail = "; ".join(failed) or str(result.exception or "see the dbt log above")
        target = target_path(args)
        raise BuildFailed(f"dbt {' '.join(args)} failed: {detail}",
                          read_failures(target if target.is_absolute() else REPO_ROOT / target, started - 1))


def build(db_path: Path, full_refresh: bool = False, unit_tests: bool = True,
          recent_test_days: int | None = None, skip_unchanged: bool = False) -> None:
    """`dbt build`. The defaults run everything (`make test`, `backoffice build`). Opt-in for a production incremental
    run: `unit_tests=False` leaves out the dbt unit tests (they test the SQL, not the data: dbt recommends running
    them in development and CI only); `recent_test_days=N` has the generic data tests on the large day-partitioned
    tables (macros/recent_days_filter.sql) look at each table's last N days instead of its whole history;
    `skip_unchanged` does not re-create the views whose definition is the one the warehouse already has, nor
    reload the unchanged seeds (selectors.yml `daily`, dbt's state comparison with the manifest of this warehouse's
    last build): the views' data tests still run, the seeds' own tests not (the same file gives the same result)."""
    args = ["build", *(["--full-refresh"] if full_refresh else [])]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    if recent_test_days is not None:
        args += recent_tests_vars(recent_test_days)
    state = state_dir(db_path)
    if skip_unchanged and not full_refresh and relations_in_place(db_path, state / "manifest.json"):
        args += ["--selector", "daily", "--state", str(state)]
    dbt(args, db_path)
    state.mkdir(exist_ok=True)
    shutil.copyfile(REPO_ROOT / "target" / "manifest.json", state / "manifest.json")


def daily_build(db_path: Path, full_refresh: bool = False) -> None:
    """The scheduled run, `backoffice build --daily` (and the bench's incremental stage): no unit tests, the large
    tables' data tests on their last DAILY_DATA_TEST_DAYS days, unchanged views and seeds left as they are."""
    build(db_path, full_refresh=full_refresh, unit_tests=False, recent_test_days=DAILY_DATA_TEST_DAYS,
          skip_unchanged=True)


def daily_parse(db_path: Path) -> None:
    """`dbt parse` with the daily run's vars, as the previous daily run leaves it: the next one parses partially."""
    dbt(["parse", *recent_tests_vars(DAILY_DATA_TEST_DAYS)], db_path)


def state_dir(db_path: Path) -> Path:
    """The manifest of the warehouse's last successful build, beside the warehouse: what its views were built from."""
    return db_path.with_name(f".{db_path.name}.dbt-state")


def relations_in_place(db_path: Path, manifest: Path) -> bool:
    """Every view and seed table the saved manifest names exists in the warehouse. They are skipped only when their
    definition is unchanged since that manifest, so the warehouse must still hold what it built (not a new file)."""
    if not manifest.exists():
        return False
    nodes = json.loads(manifest.read_text())["nodes"].values()
    wanted = {(n["schema"], n["alias"]) for n in nodes
              if n["resource_type"] == "seed" or (n["resource_type"] == "model"
                                                  and n["config"]["materialized"] == "view")}
    with duckdb.connect(str(db_path), read_only=True) as con:
        present = set(con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal UNION ALL "
                                  "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall())
    return wanted <= present


def recent_tests_vars(days: int) -> list[str]:
    """The dbt flags of `recent_test_days`: dbt re-parses the whole project when they differ from the previous
    invocation's, so a scheduled run should always pass the same ones."""
    return ["--vars", json.dumps({"data_test_recent_days": days})]
