"""CSV downloads (dashboards/ui.py, the one place they are built): formulas neutralised (OWASP CSV injection), built
only when the user clicks, and holding exactly the rows of the table above them."""

from __future__ import annotations

import io
import shutil

import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from backoffice.publish import publish
from dashboards import ui
from dashboards.testing import open_page, signed_in_app, write_test_users
from ingest.run import ingest_paths
from tests.conftest import APP, FIXTURES, TEST_KEY, Warehouse, build_warehouse

FORMULA_FILE = "=1+2_procedures.csv"  # a file name a spreadsheet would run as a formula


def test_formulas_are_neutralised_in_text_cells_only():
    """OWASP: a text cell starting with =, +, -, @, tab or CR gets a leading single quote; numbers stay numbers."""
    df = pd.DataFrame({"lab": ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\ry", "ok", None],
                       "n": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0]})
    text = ui.csv_bytes(df, "en").decode("utf-8")
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(back["lab"]) == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\ry", "ok", ""]
    assert list(back["n"]) == [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    german = ui.csv_bytes(df.iloc[[0, 2]], "de").decode("utf-8-sig").splitlines()
    assert german == ["lab;n", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\";-1,5", "'-2;-3,0"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Warehouse:
    """The hand-made exports plus a procedures export whose file name starts with '=' (one row loaded, one
    quarantined), ingested and published; the Data quality page needs no dbt build."""
    root = tmp_path_factory.mktemp("csv_downloads")
    source = root / "source"
    shutil.copytree(FIXTURES / "handmade", source, ignore=shutil.ignore_patterns("*.md"))
    db = root / "warehouse.duckdb"
    assert all(r.status == "loaded" for r in ingest_paths(db, [source], TEST_KEY))
    formula = root / FORMULA_FILE
    lines = (FIXTURES / "handmade" / "procedures.csv").read_text().splitlines()
    formula.write_text("\n".join([lines[0], lines[1].replace("P1,", "P30,", 1),
                                  lines[1].replace("P1,", "P31,", 1).replace("completed", "finished")]) + "\n")
    [result] = ingest_paths(db, [formula], TEST_KEY, record_type="procedures")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    publish(db, root / "serving")
    return Warehouse(db, root / "serving", source)


@pytest.fixture
def downloads(monkeypatch) -> tuple[dict, dict]:
    """Streamlit's media manager, watched: deferred downloads and files serialised at render, by file name."""
    deferred: dict[str, object] = {}
    eager: dict[str, object] = {}
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def watch_add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        eager[file_name or mimetype] = path_or_data
        return add(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)

    def watch_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        deferred[file_name] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add", watch_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", watch_deferred)
    return deferred, eager


@pytest.mark.parametrize("lang, sep", [("en", ","), ("de", ";")])
def test_download_is_built_on_click_with_the_rows_shown(exports, use_warehouse, tmp_path, monkeypatch, downloads,
                                                        lang, sep):
    use_warehouse(exports)
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path)))
    monkeypatch.setattr(ui, "MAX_TABLE_ROWS", 3)  # the ingest log has 8 files: the table shows 3 of them
    deferred, eager = downloads
    at = open_page(signed_in_app(APP, "admin", lang), "data_quality")
    assert not [name for name in eager if str(name).endswith(".csv")]  # nothing serialised by the render
    assert {"ingest_log.csv", "quarantine.csv"} <= set(deferred)
    log_table = next(df.value for df in at.dataframe if len(df.value.columns) == 12)
    assert len(log_table) == 3
    assert any(" 3 " in c.value and " 8 " in c.value for c in at.caption)  # showing 3 of 8
    encoding = "utf-8-sig" if lang == "de" else "utf-8"
    csv = pd.read_csv(io.BytesIO(deferred["ingest_log.csv"]()), sep=sep, encoding=encoding, keep_default_na=False)
    assert list(csv.columns) == list(log_table.columns)
    shown_files = [f"'{f}" if f.startswith("=") else f for f in log_table.iloc[:, 0]]
    assert list(csv.iloc[:, 0]) == shown_files  # the same rows, in the same order
    assert shown_files[0] == f"'{FORMULA_FILE}"  # most recent first: the file ingested last, neutralised
    quarantine = pd.read_csv(io.BytesIO(deferred["quarantine.csv"]()), sep=sep, encoding=encoding)
    assert list(quarantine.iloc[:, 1]) == [f"'{FORMULA_FILE}"]


FORMULA_LAB = '=HYPERLINK("http://evil.example","Labor")'


@pytest.fixture(scope="module")
def formula_lab(tmp_path_factory) -> Warehouse:
    """The hand-made exports plus one pending send-out to a reference lab named like a formula (the case reported:
    it reached the Send-outs download as a live formula), ingested and built."""
    root = tmp_path_factory.mktemp("formula_lab")
    source = root / "source"
    shutil.copytree(FIXTURES / "handmade", source, ignore=shutil.ignore_patterns("*.md"))
    quoted = '"' + FORMULA_LAB.replace('"', '""') + '"'
    header = (FIXTURES / "handmade" / "lab_specimens.csv").read_text().splitlines()[0]
    (source / "lab_specimens_sendout.csv").write_text(
        f"{header}\nL30,C01,PAT-0030,2106-3,routine,,,,,2026-11-23 10:00,S1,,,,,send_out,{quoted},"
        "2026-11-23 12:00,,,,,,pending,\n")
    return build_warehouse(root, source)


def test_send_outs_download_neutralises_a_formula_lab(formula_lab, use_warehouse, tmp_path, monkeypatch, downloads):
    """Whatever tables the Send-outs page shows: every download cell holding the lab's name starts with a quote."""
    use_warehouse(formula_lab)
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path)))
    deferred, eager = downloads
    at = open_page(signed_in_app(APP, "manager"), "send_outs")
    assert any(df.value.isin([FORMULA_LAB]).any().any() for df in at.dataframe)  # shown on the page as text
    files = [make() for name, make in deferred.items() if str(name).endswith(".csv")]
    files += [data for name, data in eager.items() if str(name).endswith(".csv")]  # (none: see the test above)
    cells = [cell for data in files for cell in pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False).stack()
             if "HYPERLINK" in cell]
    assert cells and all(cell == "'" + FORMULA_LAB for cell in cells), cells
