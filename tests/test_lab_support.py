"""Helpers for the lab tests (no tests here): build only the lab models, in a private dbt target folder.

The lab tests select `+path:models/marts/lab` (the lab marts and everything upstream: seeds, staging, intermediate)
so they stay fast and do not depend on other parts of the project being green; data tests on other catalogs are left
out with --indirect-selection cautious. A private --target-path keeps parallel dbt runs from sharing manifests.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from backoffice.build import dbt

LAB_SELECTION = "+path:models/marts/lab"


def dbt_lab(db: Path, work: Path, data_tests: bool = True, *extra: str) -> None:
    """`dbt build` of the seeds and lab models against the warehouse `db` (the dbt unit tests do not depend on the
    data and run in the project's own build); raises BuildFailed naming what failed."""
    exclude = ["test_type:unit"] if data_tests else ["test_type:unit", "test_type:data"]
    dbt(["build", "--select", LAB_SELECTION, "--indirect-selection", "cautious", "--exclude", *exclude,
         "--target-path", str(work / "dbt-target"), "--log-path", str(work / "dbt-logs"), *extra], db)


def frame(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).df()
