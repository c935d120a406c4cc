"""Every page for every role (AppTest, signed in through the real form) on the hand-made warehouse, whose figures
are worked out by hand in tests/fixtures/handmade/README.md."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from backoffice.users import ROLES
from dashboards.registry import PAGES, pages_for
from dashboards.testing import metrics, open_page, signed_in_app, write_test_users
from tests.conftest import APP

TITLES = {"overview": "Overview", "lab_turnaround": "Rapid-test turnaround", "room_usage": "Room usage",
          "send_outs": "Send-outs", "throughput": "Throughput", "staff_competency": "Staff competency",
          "sterility": "Sterility compliance",
          "data_quality": "Data quality"}
# README, C01 only: 4 countable tests 12, 18, 25, 35 -> median 21.5, p90 32.0, 3/4 within target, 2/4 before leaving.
C01_LAB = {"Tests": "4", "Median (min)": "21.5", "90th percentile (min)": "32.0", "Within target": "75.0 %",
           "Resulted before patient left": "50.0 %"}


@pytest.fixture
def signed_in(handmade, use_warehouse, tmp_path, monkeypatch):
    use_warehouse(handmade)
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path)))

    def _sign_in(username: str) -> AppTest:
        return signed_in_app(APP, username)

    return _sign_in


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def plotly_array(values) -> list:
    """A plotly trace's values as (nested) lists, NaN as None: a list, or plotly 6's typed array."""
    if isinstance(values, dict):
        arr = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        if "shape" in values:
            arr = arr.reshape([int(n) for n in str(values["shape"]).split(",")])
        values = arr.tolist()
    return [plotly_array(v) if isinstance(v, list | dict) else (None if v != v else v) for v in values]


def table(at: AppTest, index: int = 0):
    return at.dataframe[index].value


def test_registry_pages_exist_and_cover_every_role():
    for spec in PAGES:
        assert spec.path.exists(), spec.path
        assert spec.roles <= set(ROLES)
    assert all(pages_for(role) and pages_for(role)[0].key == "overview" for role in ROLES)
    assert [p.key for p in pages_for("supervisor")] == ["overview", "staff_competency"]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(signed_in, role):
    at = signed_in(role)
    assert at.title[0].value == "Overview"
    allowed = {p.key for p in pages_for(role)}
    for spec in PAGES:
        if spec.key not in allowed:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(f"app_pages/{spec.key}.py")
            continue
        open_page(at, spec.key)
        assert at.title[0].value == TITLES[spec.key]
        assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
        assert any(c.value.startswith("Data as of: last ingest 20") for c in at.caption)
        # Every table can be downloaded as CSV (other downloads, e.g. the audit report, come on top); every chart
        # has a title with its unit in brackets.
        assert len([b for b in at.get("download_button") if b.key.startswith("csv_")]) == len(at.dataframe)
        for spec_json in charts(at):
            title = spec_json["layout"]["title"]["text"]
            assert "(" in title and ")" in title, title
        if spec.key in ("lab_turnaround", "room_usage") or (spec.key == "overview" and role in ("manager", "admin")):
            assert metrics(at) and at.dataframe and charts(at)
            # At least one target drawn: a shape (line or band) or a trace called "Target".
            assert any(c["layout"].get("shapes") or any(tr.get("name") == "Target" for tr in c["data"])
                       for c in charts(at))


def test_supervisor_overview_shows_only_competency(signed_in):
    """A supervisor's landing page: the staff-competency section only (no lab, room or data-quality figures)."""
    at = signed_in("supervisor")
    assert at.title[0].value == "Overview"
    assert list(metrics(at)) == ["Staff with an overdue competency", "Staff with a certification expiring or expired",
                                 "Competency exceptions · week"]
    headline = table(at)
    assert set(headline["Clinic"]) == {"C01"}
    assert set(headline["Measure"]) == {"Staff with an overdue competency",
                                        "Staff with a certification expiring or expired", "Competency exceptions"}
    assert [link.proto.label for link in at.get("page_link")] == ["Open Staff competency"]


def test_quality_overview_shows_sterility_and_data_quality(signed_in):
    at = signed_in("quality")
    assert list(metrics(at)) == ["Checks compliant · week", "Positive-BI recalls · week", "Exceptions · week",
                                 "Flagged timelines"]
    assert set(table(at)["Measure"]) == {"Checks compliant", "Positive-BI recalls", "Exceptions",
                                         "Flagged timelines"}
    assert [link.proto.label for link in at.get("page_link")] == ["Open Sterility compliance", "Open Data quality"]
    assert not any("Rapid tests" in s.value or "Procedure rooms" in s.value for s in at.subheader)


def test_overview_day_and_week_per_clinic(signed_in):
    """README: the week of Monday 2026-11-23 has C01's L1-L4 on Monday and C02's L6 on Tuesday, so the latest day
    with data is Tuesday 2026-11-24: C01 had no test that day, C02 one (L6, 20 min, target 30: within)."""
    at = signed_in("admin")
    assert any(c.value.startswith("Latest day with data in the week: 2026-11-24") for c in at.caption)
    rows = table(at).set_index(["Clinic", "Measure"])
    assert (rows.loc[("C01", "Tests"), "Week"], rows.loc[("C01", "Tests"), "Latest day"]) == (4, 0)
    assert (rows.loc[("C02", "Tests"), "Week"], rows.loc[("C02", "Tests"), "Latest day"]) == (1, 1)
    assert rows.loc[("C01", "Within target"), "Week"] == 75.0  # 3 of 4
    assert rows.loc[("C02", "Within target"), "Latest day"] == 100.0
    # Rooms: C01 R1 + R2 on Monday 150 of 480 min = 31.25 %; Tuesday is C02's only (30 of 120 min).
    assert rows.loc[("C01", "Raw utilization"), "Week"] == 31.2
    assert rows.loc[("C02", "Raw utilization"), "Latest day"] == 25.0
    # Flagged: L5 (C01, Monday) in the week, none on Tuesday.
    assert (rows.loc[("C01", "Flagged timelines"), "Week"], rows.loc[("C01", "Flagged timelines"), "Latest day"]) \
        == (1, 0)


def test_user_of_c01_sees_no_c02_row(signed_in):
    at = signed_in("manager_c01")
    # Overview: C01 only; its figures are the README's C01 figures.
    assert set(table(at)["Clinic"]) == {"C01"}
    assert at.sidebar.multiselect(key="overview_clinics").options == ["C01 · Praxis Müllheim"]
    m = metrics(at)
    assert (m["Tests"], m["Within target"], m["Resulted before patient left"]) == ("4", "75.0 %", "50.0 %")
    assert m["Raw utilization"] == f"{100 * (90 + 60) / (240 + 240):.1f} %"  # C01 R1 + R2 only

    open_page(at, "lab_turnaround")
    assert metrics(at) == C01_LAB
    assert at.sidebar.multiselect(key="lab_clinics").value == ["C01"]
    assert at.sidebar.multiselect(key="lab_clinics").options == ["C01 · Praxis Müllheim"]
    slowest = table(at)
    assert set(slowest["Clinic"]) == {"C01"} and sorted(slowest["Specimen"]) == ["L1", "L2", "L3", "L4"]

    open_page(at, "room_usage")
    assert set(table(at)["Clinic"]) == {"C01"}
    assert metrics(at)["Room occupancies"] == "4"  # P1-P4; P5 is C02's

    open_page(at, "data_quality")
    flagged = next(df.value for df in at.dataframe if "Record" in df.value.columns)
    assert list(flagged["Clinic"]) == ["C01"] and flagged["Record"].iloc[0].startswith("L5")


def test_user_of_c02_sees_no_c01_row(signed_in):
    at = signed_in("quality_c02")
    open_page(at, "data_quality")
    assert metrics(at)["Flagged timelines"] == "0"  # L5 is C01's
    assert len(at.dataframe) == 1  # the ingest log (per file) only; no flagged C01 row
    assert any("No flagged timelines" in c.value for c in at.caption)


def test_filters_change_the_numbers_as_the_marts_say(signed_in):
    at = signed_in("manager")
    open_page(at, "lab_turnaround")
    assert metrics(at)["Tests"] == "5"
    at.sidebar.multiselect(key="lab_priority.en").set_value(["stat"]).run()
    assert metrics(at) == {"Tests": "1", "Median (min)": "18.0", "90th percentile (min)": "18.0",
                           "Within target": "100.0 %", "Resulted before patient left": "100.0 %"}  # L3
    at.sidebar.multiselect(key="lab_priority.en").set_value(["stat", "routine"]).run()
    at.sidebar.multiselect(key="lab_tests.en").set_value(["78012-2"]).run()  # strep: L1 12, L2 35
    assert (metrics(at)["Tests"], metrics(at)["Median (min)"]) == ("2", "23.5")

    open_page(at, "room_usage")
    at.sidebar.multiselect(key="rooms_clinics").set_value(["C02"]).run()
    assert metrics(at)["Raw utilization"] == "25.0 %"  # C02 R1: 30 of 120 minutes
    assert set(table(at)["Clinic"]) == {"C02"}


@pytest.mark.parametrize("page, widget", [
    ("overview", "overview_clinics"),
    ("lab_turnaround", "lab_clinics"),
    ("room_usage", "rooms_types.en"),
    ("data_quality", "dq_types.en"),
])
def test_empty_selection_says_so(signed_in, page, widget):
    at = open_page(signed_in("admin"), page)
    at.sidebar.multiselect(key=widget).set_value([]).run()
    assert not at.exception and not at.error
    assert any(i.value == "No data for this selection." for i in at.info)


def test_german(signed_in):
    at = signed_in("manager_c01")
    at.sidebar.selectbox(key="lang").set_value("de").run()
    assert at.title[0].value == "Übersicht"
    assert at.sidebar.selectbox(key="overview_week.de").value.isoformat() == "2026-11-23"
    assert "KW 48 · 23.11.2026" in at.sidebar.selectbox(key="overview_week.de").options
    m = metrics(at)
    assert (m["Im Zielwert"], m["Ergebnis vor Abreise"], m["Median (Min.)"]) == ("75,0 %", "50,0 %", "21,5")
    assert set(table(at)["Praxis"]) == {"C01"}

    open_page(at, "lab_turnaround")
    assert at.title[0].value == "Schnelltest-Bearbeitungszeit"
    assert metrics(at)["90. Perzentil (Min.)"] == "32,0"
    slowest = table(at)
    assert "Strep-A-Schnelltest" in set(slowest["Test"])  # the catalog's German name
    assert set(slowest["Priorität"]) == {"Routine", "Notfall"}
    # Language switch keeps the filters: back to English, still C01 figures and the same priorities.
    at.sidebar.selectbox(key="lang").set_value("en").run()
    assert metrics(at) == C01_LAB


def test_lab_slowest_specimens_show_every_timestamp(signed_in):
    """tests/fixtures/handmade/lab_specimens.csv, L2 (C01, Berlin wall clock): ordered 08:58, collected 09:00,
    received 09:00, resulted 09:35, verified 09:36, no review; the patient left 09:30 (encounters.csv E2)."""
    at = open_page(signed_in("manager"), "lab_turnaround")
    slowest = table(at)
    assert list(slowest["Specimen"]) == ["L2", "L4", "L6", "L3", "L1"]  # 35, 25, 20, 18, 12 minutes
    l2 = slowest.iloc[0]
    stamps = {c: pd.Timestamp(l2[c]).strftime("%H:%M") if not pd.isna(l2[c]) else None
              for c in ("Ordered", "Collected", "Received", "Result", "Verified", "Reviewed", "Patient left")}
    assert stamps == {"Ordered": "08:58", "Collected": "09:00", "Received": "09:00", "Result": "09:35",
                      "Verified": "09:36", "Reviewed": None, "Patient left": "09:30"}
    assert not {"Patient", "Patient (pseudonym)", "patient_id"} & set(slowest.columns)


def test_lab_heatmap_hour_by_weekday(signed_in):
    """Within target per weekday x hour of collection (README): Monday 09:00 L1 12 min (in) and L2 35 (late) = 50 %;
    Monday 10:00 L3 18 of 20 and L4 25 of 30 = 100 %; Tuesday 09:00 L6 20 of 30 = 100 %."""
    at = open_page(signed_in("manager"), "lab_turnaround")
    heat = next(c for c in charts(at) if "hour of collection" in c["layout"]["title"]["text"])
    trace = heat["data"][0]
    cells = {(y, x): z for y, row in zip(plotly_array(trace["y"]), plotly_array(trace["z"]), strict=True)
             for x, z in zip(plotly_array(trace["x"]), row, strict=True) if z is not None}
    assert cells == {("Mon", 9): 50.0, ("Mon", 10): 100.0, ("Tue", 9): 100.0}
    assert "target ≥ 90 %" in heat["layout"]["title"]["text"]
    at.sidebar.multiselect(key="lab_clinics").set_value(["C02"]).run()
    heat = next(c for c in charts(at) if "hour of collection" in c["layout"]["title"]["text"])
    assert [v for row in plotly_array(heat["data"][0]["z"]) for v in row if v is not None] == [100.0]


def test_room_day_timeline(signed_in):
    """README, C01 on Monday 2026-11-23, both rooms staffed 08:00-12:00 (room_schedule.csv, no cleaning logged):
    R1 P1 08:00-08:30, P2 08:40-09:10, P3 09:30-10:00 -> idle 08:30-08:40, 09:10-09:30, 10:00-12:00;
    R2 idle 08:00-10:00, P4 10:00-11:00, idle 11:00-12:00."""
    at = open_page(signed_in("manager"), "room_usage")
    at.sidebar.multiselect(key="rooms_clinics").set_value(["C01"]).run()
    at.selectbox(key="rooms_day.en").set_value("2026-11-23").run()
    assert not at.exception
    timeline = next(df.value for df in at.dataframe if "Segment" in df.value.columns)
    got = [(r.Room, r.Segment, pd.Timestamp(r.Start).strftime("%H:%M"), pd.Timestamp(r.End).strftime("%H:%M"))
           for r in timeline.itertuples()]
    occ, idle = "patient in room", "idle (staffed)"
    assert got == [("C01 · R1", occ, "08:00", "08:30"), ("C01 · R1", idle, "08:30", "08:40"),
                   ("C01 · R1", occ, "08:40", "09:10"), ("C01 · R1", idle, "09:10", "09:30"),
                   ("C01 · R1", occ, "09:30", "10:00"), ("C01 · R1", idle, "10:00", "12:00"),
                   ("C01 · R2", idle, "08:00", "10:00"), ("C01 · R2", occ, "10:00", "11:00"),
                   ("C01 · R2", idle, "11:00", "12:00")]
    # Occupied minutes agree with the README's in-room minutes: R1 90, R2 60.
    by_room = timeline[timeline["Segment"] == occ].groupby("Room")["Minutes"].sum().to_dict()
    assert by_room == {"C01 · R1": 90.0, "C01 · R2": 60.0}
    chart = next(c for c in charts(at) if "per room on 2026-11-23" in c["layout"]["title"]["text"])
    assert {tr["name"] for tr in chart["data"]} == {occ, idle}
    # First case on time: P1 08:00 and P4 10:00 both went in at their scheduled start.
    first = next(df.value for df in at.dataframe if "On time" in df.value.columns)
    assert sorted(first["Procedure"]) == ["P1", "P4"] and set(first["On time"]) == {"yes"}
