"""Ingest under hostile conditions: random corruption of a valid export, and a kill in the middle of a file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.run import ingest_paths
from tests.conftest import TEST_KEY

HEADER = ("specimen_id,clinic_id,patient_id,test_code,priority,collected_at,resulted_at,performing_site,status,"
          "result_value\n")
CLINICS = "clinic_id,name,timezone\nC01,Praxis,Europe/Berlin\n"


def valid_lab_csv(n: int) -> str:
    rows = [f"S{i},C01,PAT-{i:05d},78012-2,routine,2026-11-23 09:{i % 60:02d},2026-11-23 10:{i % 60:02d},"
            f"in_house,final,{'positive' if i % 7 == 0 else 'negative'}\n" for i in range(n)]
    return HEADER + "".join(rows)


corruption = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace", "truncate"]),
        st.integers(min_value=0, max_value=10_000),
        st.sampled_from([",", '"', "\n", "\r\n", ";", "\x00", "ä", "\ufeff", "x", "2026-99-99", ""]),
    ),
    min_size=1,
    max_size=6,
)


def corrupt(text: str, ops) -> str:
    for op, pos, s in ops:
        pos = pos % (len(text) + 1)
        if op == "insert":
            text = text[:pos] + s + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + 1:]
        elif op == "replace":
            text = text[:pos] + s + text[pos + len(s):]
        else:
            text = text[: max(pos, len(HEADER))]
    return text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=corruption)
def test_random_corruption_never_crashes_and_never_loses_a_row(tmp_path_factory, ops):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "clinics.csv").write_text(CLINICS)
    text = corrupt(valid_lab_csv(20), ops)
    (root / "lab_specimens.csv").write_bytes(text.encode("utf-8", errors="surrogatepass"))
    db = root / "w.duckdb"
    results = ingest_paths(db, [root], TEST_KEY)
    lab = [r for r in results if r.record_type == "lab_specimens"][0]
    if lab.status == "failed":
        assert "lab_specimens.csv" in lab.message  # reported by name, never silently dropped
        return
    assert lab.rows_read == lab.rows_loaded + lab.rows_quarantined
    with duckdb.connect(str(db), read_only=True) as con:
        loaded = con.execute("SELECT _source_line FROM raw.lab_specimens").fetchall()
        quarantined = con.execute(
            "SELECT source_line FROM raw.quarantine WHERE record_type = 'lab_specimens'").fetchall()
        ids = con.execute("SELECT count(*) FROM raw.lab_specimens WHERE patient_id LIKE 'PAT%'").fetchone()[0]
    lines = [x for (x,) in loaded + quarantined]
    assert len(lines) == lab.rows_read and len(set(lines)) == len(lines)  # one place per row, none twice
    assert all(2 <= x <= text.count("\n") + 2 for x in lines)
    assert ids == 0


def table_contents(db: Path) -> dict[str, list]:
    """Every raw table's rows without the per-run lineage (batch id, ingest time)."""
    with duckdb.connect(str(db), read_only=True) as con:
        out = {}
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' "
                                    "AND table_name NOT IN ('ingest_log', 'quarantine')").fetchall():
            out[table] = sorted(con.execute(
                f"SELECT * EXCLUDE (_batch_id, _ingested_at) FROM raw.{table}").fetchall(), key=repr)
        out["quarantine"] = sorted(con.execute(
            "SELECT source_file, source_line, reason_code, raw_text FROM raw.quarantine").fetchall(), key=repr)
        out["ingest_log"] = sorted(con.execute(
            "SELECT source_file, rows_read, rows_loaded, rows_quarantined FROM raw.ingest_log "
            "WHERE status = 'loaded'").fetchall(), key=repr)
    return out


def test_kill_in_the_middle_then_rerun_equals_a_clean_run(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "clinics.csv").write_text(CLINICS)
    big = valid_lab_csv(200_000)
    (source / "lab_specimens_a.csv").write_text(big)
    (source / "lab_specimens_b.csv").write_text(big.replace(",C01,PAT-", ",C01,PBT-").replace("\nS", "\nB"))

    clean = tmp_path / "clean.duckdb"
    ingest_paths(clean, [source], TEST_KEY)
    expected = table_contents(clean)

    crashed = tmp_path / "crashed.duckdb"
    env = os.environ | {"BACKOFFICE_DB": str(crashed), "BACKOFFICE_SECRET": TEST_KEY.hex()}
    killed_mid_file = False
    for delay in (1.5, 3.0, 4.5):
        proc = subprocess.Popen([sys.executable, "-m", "backoffice.cli", "ingest", str(source)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            with duckdb.connect(str(crashed), read_only=True) as con:
                done = con.execute("SELECT count(*) FROM raw.ingest_log WHERE status = 'loaded'").fetchone()[0]
                partial = con.execute("SELECT count(DISTINCT _source_file) FROM raw.lab_specimens").fetchone()[0]
            killed_mid_file |= done < 3
            # Atomic per file: only files with an ingest_log row have rows in the raw table.
            assert partial <= max(done - 1, 0)
    rerun = subprocess.run([sys.executable, "-m", "backoffice.cli", "ingest", str(source)], env=env,
                           capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert killed_mid_file, "no kill landed before the last file finished; raise the row count"
    assert table_contents(crashed) == expected
