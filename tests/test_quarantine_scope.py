"""The ingest log and quarantine a user sees hold only the files and rows of their clinics (data.py's scoped views):
a row by its own clinic_id, else by the clinic its file was ingested for; rows and files of no clinic go to
administrators only.

The warehouse: the hand-made exports (each file has rows of C01 and C02, no quarantined row) plus two exports
written below, ingested by the real pipeline and published (no dbt build: these views read only `raw`). Which row
belongs to whom is worked out by hand from the lines written here.
"""

from __future__ import annotations

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from backoffice.publish import current_serving_file, publish
from dashboards.data import scoped_connection
from dashboards.testing import open_page, signed_in_app, write_test_users
from ingest.run import ingest_paths
from tests.conftest import APP, FIXTURES, TEST_KEY, Warehouse

LAB_C02 = "lab_specimens_c02-2026-11.csv"  # C02's own export
LAB_HEADER = ("specimen_id,clinic_id,patient_id,test_code,priority,encounter_id,order_id,ordered_at,ordered_by,"
              "collected_at,collected_by,received_at,resulted_at,verified_at,reviewed_at,performing_site,"
              "reference_lab,shipped_at,performed_by,result_value,result_unit,abnormal_flag,critical_notified_at,"
              "status,rejection_reason")
LAB_C02_LINES = [
    LAB_HEADER,
    # line 2: loaded (C02)
    "L20,C02,PAT-0020,2106-3,routine,,,,,2026-11-24 10:00,S2,,2026-11-24 10:20,,,in_house,,,S2,negative,,,,final,",
    # line 3: C02, priority not a code -> quarantined, its own clinic C02
    "L21,C02,PAT-0021,2106-3,urgent,,,,,2026-11-24 10:05,S2,,2026-11-24 10:25,,,in_house,,,S2,negative,,,,final,",
    # line 4: no clinic -> quarantined; the file's only clinic is C02
    "L22,,PAT-0022,2106-3,routine,,,,,2026-11-24 10:10,S2,,2026-11-24 10:30,,,in_house,,,S2,negative,,,,final,",
    # line 5: cut off -> malformed; the file's only clinic is C02
    "L23,C02,PAT-0023,2106-3",
]
PROC_NET = "procedures_network-2026-11.csv"  # a network export: rows of C01 and C02
PROC_HEADER = ("procedure_id,clinic_id,encounter_id,patient_id,procedure_code,room_id,performed_by,supervised_by,"
               "scheduled_start_at,patient_in_at,procedure_start_at,procedure_end_at,patient_out_at,status,"
               "chaperone_present,interpreter_present,sterilizer_load_id,device_id")
PROC_NET_LINES = [
    PROC_HEADER,
    # line 2: loaded (C01)
    "P20,C01,,PAT-0030,WOUND_CHECK,R1,S1,,2026-11-25 08:00,2026-11-25 08:00,2026-11-25 08:05,2026-11-25 08:25,"
    "2026-11-25 08:30,completed,,,,",
    # line 3: loaded (C02)
    "P21,C02,,PAT-0031,VENIPUNCTURE,R1,S2,,2026-11-25 09:00,2026-11-25 09:00,2026-11-25 09:05,2026-11-25 09:25,"
    "2026-11-25 09:30,completed,,,,",
    # line 4: C01, a month 13 -> quarantined, its own clinic C01
    "P22,C01,,PAT-0032,WOUND_CHECK,R1,S1,,2026-11-25 10:00,2026-13-25 10:00,2026-11-25 10:05,2026-11-25 10:25,"
    "2026-11-25 10:30,completed,,,,",
    # line 5: no clinic in a file of two clinics -> quarantined, network-wide (admins only)
    "P23,,,PAT-0033,WOUND_CHECK,R1,S1,,2026-11-25 11:00,2026-11-25 11:00,2026-11-25 11:05,2026-11-25 11:25,"
    "2026-11-25 11:30,completed,,,,",
]
# (file, line, clinic) of every quarantined row, by hand from the comments above
C01_ROWS = {(PROC_NET, 4, "C01")}
C02_ROWS = {(LAB_C02, 3, "C02"), (LAB_C02, 4, "C02"), (LAB_C02, 5, "C02")}
NETWORK_ROWS = {(PROC_NET, 5, None)}


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("quarantine_scope")
    source = root / "source"
    shutil.copytree(FIXTURES / "handmade", source, ignore=shutil.ignore_patterns("*.md"))
    (source / LAB_C02).write_text("\n".join(LAB_C02_LINES) + "\n")
    (source / PROC_NET).write_text("\n".join(PROC_NET_LINES) + "\n")
    db = root / "warehouse.duckdb"
    results = ingest_paths(db, [source], TEST_KEY)
    assert sum(r.rows_quarantined for r in results) == 5, [(r.source_file, r.top_reasons) for r in results]
    publish(db, root / "serving")
    return Warehouse(db, root / "serving", source)


def seen(wh: Warehouse, clinics: tuple[str, ...], network: bool) -> tuple[set, set]:
    """(quarantine rows as (file, line, clinic), ingest-log file names) through the scoped views."""
    with scoped_connection(str(current_serving_file(wh.serving)), clinics, network) as con:
        rows = {(f, line, c) for f, line, c in con.execute(
            "SELECT file_name, source_line, clinic_id FROM raw.quarantine").fetchall()}
        files = {r[0] for r in con.execute("SELECT file_name FROM raw.ingest_log").fetchall()}
    return rows, files


ALL_FILES = {p.name for p in (FIXTURES / "handmade").glob("*.csv")} | {LAB_C02, PROC_NET}


@pytest.mark.parametrize("clinics, network, rows, hidden_files", [
    (("C01",), False, C01_ROWS, {LAB_C02}),
    (("C02",), False, C02_ROWS, set()),  # the network file has a C02 row
    (("C01", "C02"), False, C01_ROWS | C02_ROWS, set()),
    (("C01",), True, C01_ROWS | NETWORK_ROWS, {LAB_C02}),  # an administrator of C01
    (("C01", "C02"), True, C01_ROWS | C02_ROWS | NETWORK_ROWS, set()),
    ((), False, set(), ALL_FILES),
])
def test_quarantine_and_ingest_log_are_scoped(exports, clinics, network, rows, hidden_files):
    quarantine, files = seen(exports, clinics, network)
    assert quarantine == rows
    assert files == ALL_FILES - hidden_files


@pytest.fixture
def sign_in(exports, use_warehouse, tmp_path, monkeypatch):
    use_warehouse(exports)
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path)))
    return lambda username: signed_in_app(APP, username)


def shown_text(at: AppTest) -> str:
    """Everything in the page's tables, captions and chart data, as one string."""
    parts = [df.value.to_csv() for df in at.dataframe] + [c.value for c in at.caption]
    parts += [c.proto.spec for c in at.get("plotly_chart")]
    return "\n".join(parts)


def quarantine_table(at: AppTest) -> set:
    frame = next(df.value for df in at.dataframe if "Line" in df.value.columns)
    return {(f, int(line), None if c is None or c != c else c)
            for f, line, c in zip(frame["File"], frame["Line"], frame["Clinic"], strict=True)}


def test_a_one_clinic_manager_sees_no_other_clinics_file(sign_in):
    at = open_page(sign_in("manager_c01"), "data_quality")
    assert quarantine_table(at) == C01_ROWS
    assert "lab_specimens_c02" not in shown_text(at)


def test_a_one_clinic_quality_user_sees_their_clinics_rows(sign_in):
    at = open_page(sign_in("quality_c02"), "data_quality")
    assert quarantine_table(at) == C02_ROWS


def test_an_administrator_also_sees_rows_of_no_clinic(sign_in):
    at = open_page(sign_in("admin"), "data_quality")
    assert quarantine_table(at) == C01_ROWS | C02_ROWS | NETWORK_ROWS



def test_the_clinic_filter_narrows_the_quarantine(sign_in):
    """An administrator of C01 and C02 choosing C02: C02's rows, and still the rows of no clinic."""
    at = open_page(sign_in("admin"), "data_quality")
    at.sidebar.multiselect(key="dq_clinics").set_value(["C02"]).run()
    assert quarantine_table(at) == C02_ROWS | NETWORK_ROWS


def test_the_file_chart_shows_the_files_with_most_quarantined_rows(sign_in, monkeypatch):
    """Only CHART_FILES files are charted: with 2, the two files with quarantined rows (LAB_C02: 3, PROC_NET: 2;
    the hand-made files have none), and the title says so."""
    from dashboards.queries import data_quality as data_quality_queries

    monkeypatch.setattr(data_quality_queries, "CHART_FILES", 2)
    at = open_page(sign_in("admin"), "data_quality")
    chart = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if "Rows per file" in json.loads(c.proto.spec)["layout"]["title"]["text"])
    assert "the 2 files with the most quarantined" in chart["layout"]["title"]["text"]
    quarantined = next(trace for trace in chart["data"] if trace["name"] == "Quarantined")
    assert set(quarantined["y"]) == {LAB_C02, PROC_NET}
