"""Pages draw aggregates computed in DuckDB, not the rows behind them (issue 14): box plots from quartiles and
whiskers, histograms from bins, detail lists cut to what they show. Expected figures are worked out by hand from
tests/fixtures/handmade (README there), never read from the code under test."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.testing import open_page, signed_in_app, write_test_users
from tests.conftest import APP
from tests.test_dashboards_new_pages import sign_in, sim  # noqa: F401  (fixtures: the simulated network)


@pytest.fixture
def signed_in(handmade, use_warehouse, tmp_path, monkeypatch):
    use_warehouse(handmade)
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path)))
    return lambda username, lang="en": signed_in_app(APP, username, lang)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def values(arr) -> list:
    """A plotly trace's array as a list: a list, or plotly 6's base64 typed array."""
    if isinstance(arr, dict):
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=arr["dtype"]).tolist()
    return list(arr)


def test_lab_box_plot_from_sql_quartiles(signed_in):
    """Both clinics, per test (README): strep L1 12, L2 35 -> q1 = 12 + 0.25 x 23 = 17.75, median 23.5,
    q3 = 12 + 0.75 x 23 = 29.25; IQR 11.5, so the whiskers reach 12 and 35 (within 29.25 + 17.25 and 17.75 - 17.25).
    One specimen each: flu A 18, SARS-CoV-2 25, hCG 20 (box and whiskers at that value). No specimen values shipped."""
    at = open_page(signed_in("manager"), "lab_turnaround")
    chart = next(c for c in charts(at) if "per test" in c["layout"]["title"]["text"])
    box = next(tr for tr in chart["data"] if tr["type"] == "box")
    assert "x" not in box  # quartiles, not the specimens
    got = {name: tuple(values(box[k])[i] for k in ("lowerfence", "q1", "median", "q3", "upperfence"))
           for i, name in enumerate(values(box["y"]))}
    assert got == {"Strep A rapid antigen": (12.0, 17.75, 23.5, 29.25, 35.0),
                   "Influenza A rapid antigen": (18.0, 18.0, 18.0, 18.0, 18.0),
                   "SARS-CoV-2 rapid antigen": (25.0, 25.0, 25.0, 25.0, 25.0),
                   "Urine hCG (pregnancy)": (20.0, 20.0, 20.0, 20.0, 20.0)}
    # Targets per test (seeds/lab_test_catalog.csv): strep routine 30; flu A stat 20.
    marks = {tr["name"]: dict(zip(values(tr["y"]), values(tr["x"]), strict=True))
             for tr in chart["data"] if tr["type"] == "scatter"}
    assert marks["Target · routine"]["Strep A rapid antigen"] == 30
    assert marks["Target · stat"] == {"Influenza A rapid antigen": 20}


def test_lab_box_plot_german_names(signed_in):
    at = open_page(signed_in("manager_c01", "de"), "lab_turnaround")
    chart = next(c for c in charts(at) if c["data"] and c["data"][0]["type"] == "box")
    assert "Strep-A-Schnelltest" in values(chart["data"][0]["y"])


def test_turnaround_median_and_p90_written_once():
    """The median / p90 of collection -> result: one definition in the dashboards (dashboards/queries/lab.py),
    which the lab page and the overview both call; the pages hold no copy of it."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "dashboards"
    holders = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                     if "quantile_cont(collection_to_result_min" in p.read_text())
    assert holders == ["queries/lab.py"]


def test_room_turnover_histogram_from_sql_bins(signed_in):
    """Turnovers (README): C01 R1 P1 -> P2 10 min, P2 -> P3 20 min, none prolonged (R1's 28-day mean is 15, and
    neither exceeds 15 + 15). Bins of whole minutes from 10: width ceil((20 - 10) / 40) = 1, so two bars of one
    turnover each, centred at 10.5 and 20.5; no prolonged bar."""
    at = open_page(signed_in("manager"), "room_usage")
    chart = next(c for c in charts(at) if c["layout"]["title"]["text"].startswith("Turnover"))
    bars = [tr for tr in chart["data"] if tr["type"] == "bar"]
    assert [tr["name"] for tr in bars] == ["Usual"]
    assert (values(bars[0]["x"]), values(bars[0]["y"]), values(bars[0]["width"])) == ([10.5, 20.5], [1, 1], [1, 1])


def test_detail_list_pulls_only_the_rows_it_shows(signed_in, monkeypatch):
    """Slowest specimens cut to 2 (both clinics, README): L2 35 and L4 25 of 5 countable; the caption says so."""
    monkeypatch.setattr("dashboards.queries.lab.SLOWEST_ROWS", 2)
    at = open_page(signed_in("manager"), "lab_turnaround")
    slowest = at.dataframe[0].value
    assert list(slowest["Specimen"]) == ["L2", "L4"]
    assert any(c.value.startswith("Showing 2 of 5 rows, slowest first") for c in at.caption)


def test_room_timeline_one_clinic_at_a_time(signed_in):
    """A user of both clinics: the timeline opens on the first clinic, C01, on its latest day with a case (Monday
    2026-11-23, P1-P4, README) and shows C01's rooms R1 and R2 only; choosing C02 moves to its only day in the room
    marts (Tuesday 2026-11-24: R1 open 08:00-10:00, P5 09:00-09:30) and shows C02's R1 only."""
    at = open_page(signed_in("manager"), "room_usage")
    assert at.selectbox(key="rooms_timeline_clinic").value == "C01"
    assert at.selectbox(key="rooms_day.en").value == "2026-11-23"
    timeline = next(df.value for df in at.dataframe if "Segment" in df.value.columns)
    assert set(timeline["Room"]) == {"C01 · R1", "C01 · R2"}
    at.selectbox(key="rooms_timeline_clinic").set_value("C02").run()
    assert at.selectbox(key="rooms_day.en").value == "2026-11-24"
    timeline = next(df.value for df in at.dataframe if "Segment" in df.value.columns)
    got = [(r.Room, r.Segment, pd.Timestamp(r.Start).strftime("%H:%M"), pd.Timestamp(r.End).strftime("%H:%M"))
           for r in timeline.itertuples()]
    assert got == [("C02 · R1", "idle (staffed)", "08:00", "09:00"), ("C02 · R1", "patient in room", "09:00", "09:30"),
                   ("C02 · R1", "idle (staffed)", "09:30", "10:00")]


def test_sterilizer_calendar_one_clinic_at_a_time(request):
    """The calendar of a quality user of C01 and C02 shows the chosen clinic's sterilizer lines only (its payload
    grows with one clinic's sterilizers, not the network's); every line of sterilizer_cycles.csv's BD cycles of
    that clinic is there."""
    network, open_as = request.getfixturevalue("sim"), request.getfixturevalue("sign_in")
    cycles = pd.read_csv(network.source / "sterilizer_cycles.csv")
    at = open_page(open_as("quality"), "sterility")
    for clinic in ("C01", "C02"):
        at.selectbox(key="sterility_calendar_clinic").set_value(clinic).run()
        calendar = next(c for c in charts(at) if "Bowie" in c["layout"]["title"]["text"])
        lines = set(values(calendar["data"][0]["y"]))
        bd = cycles[(cycles["clinic_id"] == clinic) & (cycles["cycle_type"] == "bowie_dick")]
        assert {f"{clinic} · {s} · BD" for s in bd["sterilizer_id"].unique()} <= lines
        assert all(line.startswith(f"{clinic} · ") for line in lines)
