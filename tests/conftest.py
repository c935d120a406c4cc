"""Shared fixtures: a fixed pseudonymisation key, and warehouses built by the real pipeline in temp dirs."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from backoffice.build import build
from backoffice.publish import publish
from ingest.run import ingest_paths

TEST_KEY = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
TEST_DASHBOARD_KEY = bytes.fromhex("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100")
FIXTURES = Path(__file__).parent / "fixtures"
APP = Path(__file__).resolve().parent.parent / "dashboards" / "streamlit_app.py"


@pytest.fixture(autouse=True, scope="session")
def _isolated_env(tmp_path_factory):
    """No test may touch the user's warehouse or secrets."""
    home = tmp_path_factory.mktemp("env")
    os.environ["BACKOFFICE_SECRET"] = TEST_KEY.hex()
    os.environ["BACKOFFICE_DASHBOARD_SECRET"] = TEST_DASHBOARD_KEY.hex()
    os.environ["BACKOFFICE_DB"] = str(home / "default.duckdb")
    os.environ.pop("BACKOFFICE_SERVING_DIR", None)
    yield


@dataclass
class Warehouse:
    db: Path
    serving: Path
    source: Path


def build_warehouse(root: Path, source: Path) -> Warehouse:
    """ingest -> dbt build -> publish, exactly as `backoffice demo` does, into `root`."""
    db = root / "warehouse.duckdb"
    results = ingest_paths(db, [source], TEST_KEY)
    assert all(r.status == "loaded" for r in results), [r.message for r in results]
    build(db, full_refresh=True)
    publish(db, root / "serving")
    return Warehouse(db, root / "serving", source)


@pytest.fixture(scope="session")
def handmade(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("handmade")
    source = root / "source"
    shutil.copytree(FIXTURES / "handmade", source)
    return build_warehouse(root, source)


@pytest.fixture
def use_warehouse(monkeypatch):
    """Point the dashboards at a built warehouse's serving copy."""

    def _use(wh: Warehouse) -> None:
        monkeypatch.setenv("BACKOFFICE_DB", str(wh.db))
        monkeypatch.setenv("BACKOFFICE_SERVING_DIR", str(wh.serving))

    return _use
