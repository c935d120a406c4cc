"""`dbt build` through dbt's Python entry point, against the warehouse named by BACKOFFICE_DB."""

from __future__ import annotations

import os
from pathlib import Path

from backoffice.settings import REPO_ROOT


class BuildFailed(RuntimeError):
    pass


def dbt(args: list[str], db_path: Path) -> None:
    """Run one dbt command in the repository's project; raise BuildFailed naming what failed."""
    from dbt.cli.main import dbtRunner

    os.environ["BACKOFFICE_DB"] = str(db_path)
    project = ["--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT)]
    try:
        result = dbtRunner().invoke([*args, *project])
    finally:
        # dbt-duckdb keeps its connection open in-process (dbt-duckdb #616); release the file for others.
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        DuckDBConnectionManager.close_all_connections()
    if not result.success:
        failed = []
        if result.result is not None and hasattr(result.result, "results"):
            failed = [f"{r.node.name}: {r.status}" for r in result.result.results
                      if str(r.status) in ("error", "fail", "runtime error")]
        detail = "; ".join(failed) or str(result.exception or "see the dbt log above")
        raise BuildFailed(f"dbt {' '.join(args)} failed: {detail}")


def build(db_path: Path, full_refresh: bool = False) -> None:
    dbt(["build", *(["--full-refresh"] if full_refresh else [])], db_path)
