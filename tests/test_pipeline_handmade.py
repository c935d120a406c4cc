"""The whole path on a data set small enough to work out by hand (tests/fixtures/handmade/README.md).

Every expected number below was computed on paper from the fixture CSVs, not read from the pipeline.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.testing import login, metrics, write_test_users
from tests.conftest import APP


def chart_traces(at: AppTest) -> list[int]:
    return [sum(len(tr.get("x") or tr.get("z") or []) for tr in json.loads(c.proto.spec)["data"])
            for c in at.get("plotly_chart")]


@pytest.fixture
def app(handmade, use_warehouse, monkeypatch, tmp_path):
    use_warehouse(handmade)
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path)))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    login(at, "manager")  # bound to both hand-made clinics
    at.switch_page("app_pages/lab_turnaround.py").run()  # the landing page is now the overview
    assert not at.exception
    return at


def test_turnaround_mart_matches_hand_computation(handmade):
    with duckdb.connect(str(handmade.db), read_only=True) as con:
        rows = dict(con.execute(
            "SELECT specimen_id, collection_to_result_min FROM marts.fct_lab_turnaround WHERE is_countable"
        ).fetchall())
        excluded = con.execute(
            "SELECT specimen_id, has_timeline_error FROM marts.fct_lab_turnaround WHERE NOT is_countable"
        ).fetchall()
    assert rows == {"L1": 12.0, "L2": 35.0, "L3": 18.0, "L4": 25.0, "L6": 20.0}
    assert excluded == [("L5", True)]


def test_room_marts_match_hand_computation(handmade):
    with duckdb.connect(str(handmade.db), read_only=True) as con:
        daily = {(c, r): (s, o, u) for c, r, s, o, u in con.execute(
            "SELECT clinic_id, room_id, staffed_min, occupied_min, raw_utilization_pct "
            "FROM marts.agg_room_utilization_daily WHERE room_type = 'procedure'").fetchall()}
        hourly = dict(con.execute(
            "SELECT slot_hour, raw_utilization_pct FROM marts.agg_room_utilization_hourly "
            "WHERE clinic_id = 'C01' AND room_id = 'R1' AND occupied_min > 0").fetchall())
        turnovers = con.execute(
            "SELECT procedure_id, turnover_to_next_min FROM marts.fct_room_occupancy "
            "WHERE turnover_to_next_min IS NOT NULL ORDER BY 1").fetchall()
    assert daily == {("C01", "R1"): (240, 90, 37.5), ("C01", "R2"): (240, 60, 25.0), ("C02", "R1"): (120, 30, 25.0)}
    assert hourly == {8: 83.33, 9: 66.67}
    assert turnovers == [("P1", 10.0), ("P2", 20.0)]


def test_lab_page_kpis_all_clinics(app):
    assert metrics(app) == {
        "Tests": "5",
        "Median (min)": "20.0",
        "90th percentile (min)": "31.0",
        "Within target": "80.0 %",
        "Resulted before patient left": "60.0 %",
    }
    # Distribution per test, weekly trend, hour x weekday heatmap: each with data.
    assert len(chart_traces(app)) == 3 and all(n > 0 for n in chart_traces(app))


def test_lab_page_clinic_filter_changes_numbers(app):
    app.sidebar.multiselect(key="lab_clinics").set_value(["C01"]).run()
    assert not app.exception
    assert metrics(app) == {
        "Tests": "4",
        "Median (min)": "21.5",
        "90th percentile (min)": "32.0",
        "Within target": "75.0 %",
        "Resulted before patient left": "50.0 %",
    }


def test_lab_page_german_number_format(app):
    app.sidebar.selectbox(key="lang").set_value("de").run()
    app.sidebar.multiselect(key="lab_clinics").set_value(["C01"]).run()
    m = metrics(app)
    assert m["Median (Min.)"] == "21,5"
    assert m["Im Zielwert"] == "75,0 %"


def test_room_page_kpis(app):
    app.switch_page("app_pages/room_usage.py").run()
    assert not app.exception
    # Procedure rooms: (90 + 60 + 30) occupied of (240 + 240 + 120) staffed minutes = 30 %.
    assert metrics(app) == {
        "Raw utilization": "30.0 %",
        "Room occupancies": "5",
        "Median turnover (min)": "15.0",
        "First case on time": "100.0 %",
    }
    # Utilization heatmap room x hour, turnover distribution, one day's timeline per room: each with data.
    assert len(chart_traces(app)) == 3 and all(n > 0 for n in chart_traces(app))


def test_empty_selection_says_so(app):
    app.sidebar.multiselect(key="lab_clinics").set_value([]).run()
    assert not app.exception
    assert any("No data for this selection" in i.value for i in app.info)
