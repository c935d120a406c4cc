"""Shared fixtures: a fixed pseudonymisation key, and warehouses built by the real pipeline in temp dirs (each built
once per test session: the hand-made data set, the `make demo` network, and that network with every optional
value blank)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from backoffice.build import build
from backoffice.publish import publish
from ingest.contract import RECORD_TYPES, record_type_for_filename
from ingest.run import ingest_paths
from simulator.generate import SimulationConfig, simulate

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


# What `make demo` builds: `backoffice demo`'s defaults (3 clinics x 90 days, seed 42, planted errors and gaps).
DEMO = SimulationConfig()


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory) -> Path:
    """The demo network's CSV exports, simulated once per session."""
    source = tmp_path_factory.mktemp("demo_source")
    simulate(source, DEMO, workers=1, planted_path=source.parent / "demo_planted.json")
    return source


@pytest.fixture(scope="session")
def demo(tmp_path_factory, demo_source) -> Warehouse:
    """The `make demo` network: simulated, ingested, dbt-built and published once per session."""
    return build_warehouse(tmp_path_factory.mktemp("demo"), demo_source)


def optional_columns(record_type: str) -> list[str]:
    """The contract's nullable columns of a record type: the ones an export may leave blank."""
    return [c.name for c in RECORD_TYPES[record_type].columns if not c.required]


def blank_optional_values(source: Path, target: Path) -> None:
    """Copy the CSV exports in `source` to `target` with every optional contract column blank."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        blank = [c for c in optional_columns(record_type_for_filename(path.name)) if c in frame.columns]
        frame[blank] = ""
        frame.to_csv(target / path.name, index=False)


@pytest.fixture(scope="session")
def demo_all_null(tmp_path_factory, demo_source) -> Warehouse:
    """The demo network's exports with every optional value missing, built once per session."""
    root = tmp_path_factory.mktemp("demo_all_null")
    blank_optional_values(demo_source, root / "source")
    return build_warehouse(root, root / "source")


@pytest.fixture
def use_warehouse(monkeypatch):
    """Point the dashboards at a built warehouse's serving copy."""

    def _use(wh: Warehouse) -> None:
        monkeypatch.setenv("BACKOFFICE_DB", str(wh.db))
        monkeypatch.setenv("BACKOFFICE_SERVING_DIR", str(wh.serving))

    return _use
