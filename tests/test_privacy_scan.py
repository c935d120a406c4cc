"""Privacy scan after a run over malformed exports (issue 13, "Done when"): no patient identifier, unpseudonymised,
in the warehouse, the serving copy, the logs or the console.

The run is the real one: `backoffice ingest` and `backoffice build` (dbt build, publish) as subprocesses over
tests/fixtures/malformed_csv (see its README) plus a generated file with a 2.5 MB line, a 100,000-character patient
id, a NUL byte in a patient id and a row with 10,000 extra fields. Then every column of every
table and view of the warehouse and of the serving copy (each row cast to text), dbt's log files and the captured
console output are searched, case-insensitively, for each identifier value. Each value is first checked to be in
the source files, so the scan looks for something that was really there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from backoffice.publish import current_serving_file
from backoffice.settings import REPO_ROOT
from tests.conftest import FIXTURES, TEST_KEY

IDENTIFIERS = [
    "PAT-SECRET",  # patient ids
    "Jürgen", "Müßig", "Mustermann", "Hans Meier", "Öztürk",  # names
    "A123456789", "B987654321", "C111222333", "D444555666",  # insurance numbers (kvnr)
    "01.02.1960", "03.04.1955", "05.06.1970", "07.08.1980",  # birth dates
    "5550123", "5550456", "5550789", "5550999",  # phone numbers
    "LONGPATIENT",  # the over-long line's patient id
]
# Forms the pipeline could derive: a patient id read as a header name (procedures_noheader.csv) is normalised.
DERIVED = ["pat_secret"]


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backoffice.cli", *args], env=env, capture_output=True, text=True,
                          cwd=REPO_ROOT)


def table_texts(db: Path) -> list[tuple[str, str]]:
    """(table, the row as text) for every row of every table and view of a DuckDB file."""
    out = []
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_catalog = current_database()").fetchall()
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            out += [(name, text) for (text,) in con.execute(f"SELECT CAST(t AS VARCHAR) FROM {name} t").fetchall()]
    return out


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    source = root / "source"
    shutil.copytree(FIXTURES / "malformed_csv", source, ignore=shutil.ignore_patterns("README.md"))
    long_id = "LONGPATIENT-" + "8" * 2_500_000
    (source / "lab_specimens_long.csv").write_text(
        "specimen_id,clinic_id,patient_id,test_code,priority,collected_at,resulted_at,performing_site,status\n"
        "L7,C01,PAT-SECRET-0020,78012-2,routine,2026-11-23 08:00,2026-11-23 08:20,in_house,final\n"
        f"L8,C01,{long_id},78012-2,routine,2026-11-23 08:00,2026-11-23 08:20,in_house,final\n"
        "L9,C01,PAT-SECRET-0021,78012-2,routine,2026-11-23 09:00,2026-11-23 09:20,in_house,final\n"
        f"L10,C01,LONGPATIENT-{'6' * 100_000},78012-2,routine,2026-11-23 09:00,2026-11-23 09:20,in_house,final\n"
        "L11,C01,PAT-SECRET-0022\x00Jürgen,78012-2,routine,2026-11-23 09:00,2026-11-23 09:20,in_house,final\n"
        f"L12,C01,PAT-SECRET-0023,78012-2,routine,2026-11-23 09:00,2026-11-23 09:20,in_house,final{',x' * 10_000}\n")
    env = os.environ | {"BACKOFFICE_DB": str(root / "warehouse.duckdb"), "BACKOFFICE_SECRET": TEST_KEY.hex(),
                        "BACKOFFICE_SERVING_DIR": str(root / "serving")}
    ingest = run(["ingest", str(source)], env)
    build = run(["build"], env)
    return root, source, ingest, build


def test_the_identifiers_are_in_the_sources(scanned):
    _, source, _, _ = scanned
    text = "\n".join(f.read_bytes().decode("utf-8", errors="replace").lower() for f in source.iterdir())
    assert [v for v in IDENTIFIERS if v.lower() not in text] == []


def test_ingest_loaded_the_good_rows_and_failed_only_the_headerless_file(scanned):
    root, _, ingest, build = scanned
    assert ingest.returncode == 1 and "procedures_noheader.csv" in ingest.stdout, ingest.stdout + ingest.stderr
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        loaded = con.execute("SELECT list(procedure_id ORDER BY procedure_id) FROM raw.procedures").fetchone()[0]
        specimens = con.execute("SELECT list(specimen_id ORDER BY specimen_id) FROM raw.lab_specimens").fetchone()[0]
    assert loaded == ["P1", "P4", "P5", "P7"]
    assert specimens == ["L4", "L5", "L7", "L9"]


def test_no_identifier_in_warehouse_serving_copy_logs_or_console(scanned):
    root, _, ingest, build = scanned
    served = current_serving_file(root / "serving")
    assert served is not None
    places = {"console": ingest.stdout + ingest.stderr + build.stdout + build.stderr}
    places |= {str(f): f.read_text(errors="replace") for f in (REPO_ROOT / "logs").glob("*.log")}
    for db in (root / "warehouse.duckdb", served):
        for table, text in table_texts(db):
            places[f"{db.name} {table}"] = places.get(f"{db.name} {table}", "") + "\n" + text
    found = {(where, v) for where, text in places.items() for v in IDENTIFIERS + DERIVED if v.lower() in text.lower()}
    assert found == set()
