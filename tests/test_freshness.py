"""dbt source freshness on `_ingested_at`: exports that stopped arriving are named, empty ones count as never loaded."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import duckdb

from backoffice import freshness
from ingest.run import ingest_paths
from tests.conftest import FIXTURES, TEST_KEY


def test_stale_and_never_loaded_sources_are_named(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(FIXTURES / "handmade", source)
    db = tmp_path / "w.duckdb"
    ingest_paths(db, [source], TEST_KEY)

    fresh = {f.source: f for f in freshness.check(db)}
    # The hand-made set has encounters, procedures and lab specimens; the other event exports are empty.
    assert {s for s, f in fresh.items() if not f.stale} == {"encounters", "procedures", "lab_specimens"}
    assert {s for s, f in fresh.items() if f.stale} == {"room_events", "sterilizer_cycles", "disinfection_cycles"}
    assert all(fresh[s].last_loaded is None for s in ("room_events", "sterilizer_cycles", "disinfection_cycles"))
    # Master data (clinics, rooms, staff, ...) has no freshness rule: it changes rarely.
    assert "clinics" not in fresh and "staff" not in fresh

    with duckdb.connect(str(db)) as con:  # the lab export last arrived three days ago (warn_after: 2 days)
        con.execute("UPDATE raw.lab_specimens SET _ingested_at = _ingested_at - INTERVAL 3 DAY")
    after = {f.source: f for f in freshness.check(db)}
    assert after["lab_specimens"].stale and not after["procedures"].stale
    ago = datetime.now(UTC) - after["lab_specimens"].last_loaded.astimezone(UTC)
    assert timedelta(days=3) <= ago < timedelta(days=3, hours=1)
