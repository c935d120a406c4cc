"""The dashboards keep serving while ingest + dbt build + publish run: no error, no lock, no half-built database,
and the new numbers appear once the new copy is published (the query cache follows the serving file).

A separate process (as in real use: `backoffice ingest` / `backoffice build` beside `backoffice serve`) ingests a new
export, runs `dbt build` and publishes, while this process renders pages with AppTest in a bounded loop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import datetime

from streamlit.testing.v1 import AppTest

from backoffice.publish import current_serving_file
from dashboards.testing import login, write_test_users
from tests.conftest import APP, TEST_KEY

BUILDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from backoffice.build import build
    from backoffice.publish import publish
    from ingest.run import ingest_paths
    db, serving, source, new_export = map(Path, sys.argv[1:5])
    key = bytes.fromhex(sys.argv[5])
    # A new day's export: one more C02 rapid test (L7, 15 minutes); the other files are already ingested.
    (source / new_export.name).write_text(new_export.read_text())
    results = ingest_paths(db, [source], key)
    assert all(r.status in ("loaded", "already_ingested") for r in results), [r.message for r in results]
    build(db)
    print("published", publish(db, serving), flush=True)
""")
NEW_EXPORT = (
    "specimen_id,clinic_id,patient_id,test_code,priority,encounter_id,order_id,ordered_at,ordered_by,collected_at,"
    "collected_by,received_at,resulted_at,verified_at,reviewed_at,performing_site,reference_lab,shipped_at,"
    "performed_by,result_value,result_unit,abnormal_flag,critical_notified_at,status,rejection_reason\n"
    "L7,C02,PAT-0006,2106-3,routine,E6,O7,2026-11-24 09:05,S2,2026-11-24 09:10,S2,2026-11-24 09:10,"
    "2026-11-24 09:25,2026-11-24 09:26,,in_house,,,S2,negative,,,,final,\n"
)


def test_pages_render_while_the_warehouse_is_rebuilt(handmade, tmp_path, monkeypatch):
    # Our own copy of the hand-made warehouse and its serving folder (other tests keep reading theirs).
    db, serving, source = tmp_path / "warehouse.duckdb", tmp_path / "serving", tmp_path / "source"
    shutil.copyfile(handmade.db, db)
    shutil.copytree(handmade.serving, serving)
    shutil.copytree(handmade.source, source)
    new_export = tmp_path / "lab_specimens_2026-11-25.csv"
    new_export.write_text(NEW_EXPORT)
    monkeypatch.setenv("BACKOFFICE_DB", str(db))
    monkeypatch.setenv("BACKOFFICE_SERVING_DIR", str(serving))
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path)))
    first_copy = current_serving_file(serving)

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    login(at, "manager")
    at.switch_page("app_pages/lab_turnaround.py").run()
    assert {m.label: m.value for m in at.metric}["Tests"] == "5"

    log = (tmp_path / "builder.log").open("w")
    builder = subprocess.Popen([sys.executable, "-c", BUILDER, str(db), str(serving), str(source), str(new_export),
                                TEST_KEY.hex()], env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
    pages = ["app_pages/lab_turnaround.py", "app_pages/overview.py", "app_pages/room_usage.py",
             "app_pages/data_quality.py"]
    renders, copies_seen, tests_seen = 0, set(), set()
    deadline = time.monotonic() + 300
    try:
        while builder.poll() is None:
            assert time.monotonic() < deadline, "the builder took more than 5 minutes"
            at.switch_page(pages[renders % len(pages)]).run()
            assert not at.exception, [e.message for e in at.exception]
            assert not at.error, [e.value for e in at.error]
            copies_seen.add(current_serving_file(serving))
            if renders % len(pages) == 0:
                tests_seen.add({m.label: m.value for m in at.metric}["Tests"])
            renders += 1
    finally:
        if builder.poll() is None:
            builder.kill()
        log.close()
    assert builder.returncode == 0, (tmp_path / "builder.log").read_text()[-3000:]
    assert renders >= 4, renders
    assert tests_seen <= {"5", "6"}  # the old copy or the new one, nothing in between

    # After the last publication the app reads the new copy at once: one more test, a new publish time.
    at.switch_page("app_pages/lab_turnaround.py").run()
    assert not at.exception and not at.error
    assert current_serving_file(serving) != first_copy and len(copies_seen) >= 2
    assert {m.label: m.value for m in at.metric}["Tests"] == "6"
    stamp = datetime.strptime(current_serving_file(serving).stem[len("warehouse-"):], "%Y%m%dT%H%M%S%f")
    assert any(f"published {stamp:%Y-%m-%d %H:%M} UTC" in c.value for c in at.caption)
