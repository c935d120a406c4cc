"""Data files, logs and reports are the owner's alone (issue 13): 0600 even under the usual umask 022.

Each step of the pipeline runs with the umask reset to 022 first, as a fresh process would have it, so every
step must make its own files private: ingest (the warehouse, also one that existed 0644), dbt (its log),
publish (the serving copy) and the audit report. Before the change all four were 0644.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from backoffice.build import build
from backoffice.publish import current_serving_file, publish
from backoffice.report import write_report
from backoffice.settings import REPO_ROOT
from ingest.run import ingest_paths
from tests.conftest import FIXTURES, TEST_KEY


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)
    yield lambda: os.umask(0o022)
    os.umask(old)


def test_warehouse_serving_copy_log_and_report_are_0600(tmp_path, usual_umask):
    source = tmp_path / "source"
    shutil.copytree(FIXTURES / "handmade", source)
    db = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(db)).close()  # a warehouse an older version created world-readable
    assert mode(db) == "0o644"
    log = REPO_ROOT / "logs" / "dbt.log"
    if log.exists():
        os.chmod(log, 0o644)  # a log an older version left world-readable

    assert all(r.status == "loaded" for r in ingest_paths(db, [source], TEST_KEY))
    assert mode(db) == "0o600"
    usual_umask()
    build(db, full_refresh=True)
    assert mode(db) == "0o600"
    assert mode(log) == "0o600"
    usual_umask()
    publish(db, tmp_path / "serving")
    served = current_serving_file(tmp_path / "serving")
    assert served is not None and mode(served) == "0o600"
    usual_umask()
    report = write_report("C01", "2026-11", tmp_path / "reports" / "audit.html", database=served)
    assert mode(report) == "0o600"
    assert stat.S_IMODE((tmp_path / "reports").stat().st_mode) & 0o077 == 0
