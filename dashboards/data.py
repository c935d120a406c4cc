"""The dashboards' only way into the data: read-only queries on the published serving copy.

The app never opens the warehouse that ingest and dbt write (DuckDB allows one writer or many readers, not
both): it follows the `CURRENT` pointer that `backoffice build` swaps atomically after each successful build.
Results are cached per (serving file, SQL, parameters) with a TTL, so a new publication invalidates the
cache at once. SQL takes bound parameters only.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from backoffice.publish import current_serving_file
from backoffice.settings import serving_dir

CACHE_TTL_SECONDS = 300


def serving_file() -> Path | None:
    return current_serving_file(serving_dir())


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _cached_query(serving: str, sql: str, params: tuple) -> pd.DataFrame:
    with duckdb.connect(serving, read_only=True) as con:
        return con.execute(sql, list(params)).df()


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run a read-only query on the current serving copy; empty frame before the first build."""
    path = serving_file()
    if path is None:
        return pd.DataFrame()
    return _cached_query(str(path), sql, tuple(params))
