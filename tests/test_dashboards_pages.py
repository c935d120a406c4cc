"""Every page for every role (AppTest, signed in through the real form) on the hand-made warehouse, whose figures
are worked out by hand in tests/fixtures/handmade/README.md."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from backoffice.users import ROLES
from dashboards.registry import PAGES, pages_for
from dashboards.testing import login, write_test_users
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
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.run()
        login(at, username)
        assert not at.exception, at.exception
        return at

    return _sign_in


def open_page(at: AppTest, key: str) -> AppTest:
    at.switch_page(f"app_pages/{key}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


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


def test_supervisor_overview_shows_no_manager_numbers(signed_in):
    at = signed_in("supervisor")
    assert at.title[0].value == "Overview"
    assert not at.metric and not at.dataframe
    assert "competency" in at.info[0].value


def test_quality_overview_shows_only_data_quality(signed_in):
    at = signed_in("quality")
    assert list(metrics(at)) == ["Flagged timelines"]
    assert set(table(at)["Measure"]) == {"Flagged timelines"}


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
    ("data_quality", "dq_types"),
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
