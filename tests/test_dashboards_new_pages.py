"""The send-out, throughput, staff-competency and sterility pages (AppTest, signed in through the real form).

The hand-made fixture has no send-outs, competency or sterilizer records, so these pages read a small simulated
warehouse (2 clinics x 21 days, no planted errors), built once per session. Their figures are checked against
numbers worked out in plain pandas from the simulator's CSV files, not from the marts.
"""

from __future__ import annotations

import base64
import csv as csv_module
import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from backoffice.publish import current_serving_file
from backoffice.users import ROLES
from dashboards.registry import BY_KEY, pages_for
from dashboards.testing import metrics, open_page, signed_in_app, write_test_users
from simulator.generate import SimulationConfig, simulate
from tests.conftest import APP, build_warehouse

CONFIG = SimulationConfig(clinics=2, days=21, seed=11, start_date=date(2026, 10, 26), error_rate=0.0,
                          missing_rate=0.0)
NEW_PAGES = {"send_outs": ("Send-outs", "Fremdlabor-Proben"), "throughput": ("Throughput", "Durchsatz"),
             "staff_competency": ("Staff competency", "Kompetenzen"),
             "sterility": ("Sterility compliance", "Sterilgut-Compliance")}
ROLES_OF = {"send_outs": {"manager", "admin"}, "throughput": {"manager", "admin"},
            "staff_competency": {"supervisor", "admin"}, "sterility": {"quality", "admin"}}


@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("sim_pages")
    source = root / "source"
    simulate(source, CONFIG, workers=1, planted_path=root / "planted.json")
    return build_warehouse(root, source)


@pytest.fixture
def sign_in(sim, use_warehouse, tmp_path, monkeypatch):
    use_warehouse(sim)
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path)))

    def _sign_in(username: str, lang: str = "en") -> AppTest:
        return signed_in_app(APP, username, lang, timeout=90)

    return _sign_in


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


def csv(sim, name: str) -> pd.DataFrame:
    return pd.read_csv(sim.source / f"{name}.csv")


def csv_seed(name: str) -> list[dict]:
    with (Path(__file__).resolve().parent.parent / "seeds" / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv_module.DictReader(f))


def plotly_values(values) -> list:
    """A plotly trace's values: a list, or plotly 6's typed array {"dtype", "bdata"}."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def test_roles_are_as_briefed():
    for key, roles in ROLES_OF.items():
        assert BY_KEY[key].roles == roles


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", ["en", "de"])
def test_new_pages_open_for_their_roles_only(sign_in, role, lang):
    at = sign_in(role, lang)
    for key, titles in NEW_PAGES.items():
        if role not in ROLES_OF[key]:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(f"app_pages/{key}.py")
            continue
        open_page(at, key)
        assert at.title[0].value == titles[lang == "de"]
        assert not at.error and not at.warning, [e.value for e in [*at.error, *at.warning]]
        assert metrics(at) and at.dataframe
        assert len([b for b in at.get("download_button") if b.key.startswith("csv_")]) == len(at.dataframe)


# --- Send-outs ---------------------------------------------------------------------------------------------------

def send_outs_by_hand(sim, clinics=("C01", "C02")) -> pd.DataFrame:
    lab = csv(sim, "lab_specimens")
    lab = lab[(lab["performing_site"] == "send_out") & lab["clinic_id"].isin(clinics)].copy()
    result = pd.to_datetime(lab["resulted_at"]).fillna(pd.to_datetime(lab["verified_at"]))
    lab["hours"] = (result - pd.to_datetime(lab["collected_at"])).dt.total_seconds() / 3600
    lab.loc[~lab["status"].isin(["final", "corrected"]), "hours"] = None
    return lab.groupby("reference_lab").agg(send_outs=("specimen_id", "size"),
                                            open=("status", lambda s: int((s == "pending").sum())),
                                            median_hours=("hours", "median"))


def test_send_outs_figures_match_the_source(sign_in, sim):
    expected = send_outs_by_hand(sim)
    assert expected["open"].sum() > 0 and len(expected) >= 2
    at = open_page(sign_in("manager"), "send_outs")
    m = metrics(at)
    assert m["Send-outs"] == f"{expected['send_outs'].sum():,}"
    assert m["Open"] == str(expected["open"].sum())
    per_lab = table_with(at, "Reference lab").set_index("Reference lab")
    assert list(per_lab.index) == sorted(expected.index)
    assert per_lab["Send-outs"].to_dict() == expected["send_outs"].to_dict()
    assert per_lab["Open"].to_dict() == expected["open"].to_dict()
    for name, hours in expected["median_hours"].items():
        assert per_lab.loc[name, "Median total (h)"] == pytest.approx(hours, abs=0.01)
    opened = table_with(at, "Picked up")
    assert len(opened) == expected["open"].sum()

    # A filter: one reference lab -> that lab's figures only.
    name = expected.index[0]
    at.sidebar.multiselect(key="sendouts_labs.en").set_value([name]).run()
    assert metrics(at)["Send-outs"] == f"{expected.loc[name, 'send_outs']:,}"
    assert set(table_with(at, "Reference lab")["Reference lab"]) == {name}


def test_send_outs_c01_user_sees_no_c02_row(sign_in, sim):
    expected = send_outs_by_hand(sim, ("C01",))
    at = open_page(sign_in("manager_c01"), "send_outs")
    assert metrics(at)["Send-outs"] == f"{expected['send_outs'].sum():,}"
    assert at.sidebar.multiselect(key="sendouts_clinics").options == ["C01 · " + at.sidebar.multiselect(
        key="sendouts_clinics").options[0].split(" · ", 1)[1]]
    assert set(table_with(at, "Reference lab")["Reference lab"]) == set(expected.index)
    opened = table_with(at, "Picked up")
    assert set(opened["Clinic"]) <= {"C01"} and len(opened) == expected["open"].sum()
    assert not opened["Specimen"].str.startswith("C02").any()


# --- Throughput --------------------------------------------------------------------------------------------------

def throughput_by_hand(sim, clinics=("C01", "C02")) -> dict:
    """Completed procedures, resulted tests, and staffed hours of procedure rooms from the schedule."""
    proc = csv(sim, "procedures")
    proc = proc[(proc["status"] == "completed") & proc["clinic_id"].isin(clinics)]
    lab = csv(sim, "lab_specimens")
    lab = lab[lab["status"].isin(["final", "corrected"]) & lab["clinic_id"].isin(clinics)]
    rooms = csv(sim, "rooms")
    rooms = rooms[(rooms["room_type"] == "procedure") & rooms["clinic_id"].isin(clinics)]
    schedule = csv(sim, "room_schedule")
    staffed = 0.0
    for day in pd.date_range(CONFIG.start_date, periods=CONFIG.days):
        for room in rooms.itertuples():
            rows = schedule[(schedule["clinic_id"] == room.clinic_id) & (schedule["weekday"] == day.isoweekday())
                            & schedule["room_id"].isin([room.room_id, "*"])]
            own = rows[rows["room_id"] == room.room_id]
            for r in (own if len(own) else rows).itertuples():
                staffed += (pd.Timestamp(f"{day.date()} {r.closes_at}")
                            - pd.Timestamp(f"{day.date()} {r.opens_at}")).total_seconds() / 3600
    return {"procedures": len(proc), "per_type": proc["procedure_code"].value_counts().to_dict(),
            "per_staff": proc.groupby("performed_by").size().to_dict(),
            "in_house": int((lab["performing_site"] == "in_house").sum()),
            "send_out": int((lab["performing_site"] == "send_out").sum()),
            "staffed_hours": staffed, "rooms": {f"{r.clinic_id} · {r.room_id}" for r in rooms.itertuples()}}


def test_throughput_figures_match_the_source(sign_in, sim):
    expected = throughput_by_hand(sim)
    at = open_page(sign_in("manager"), "throughput")
    m = metrics(at)
    assert m["Procedures"] == f"{expected['procedures']:,}"
    assert m["In-house tests"] == f"{expected['in_house']:,}"
    assert m["Send-out tests"] == f"{expected['send_out']:,}"
    assert m["Staffed room hours"] == f"{expected['staffed_hours']:,.1f}"
    assert m["Procedures per staffed hour"] == f"{expected['procedures'] / expected['staffed_hours']:.2f}"
    per_room = table_with(at, "Staffed (h)")
    assert set(per_room["Room"]) == expected["rooms"]
    staff = table_with(at, "Staff member").set_index("Staff member")
    assert {k: v for k, v in staff["Procedures"].items() if v} == expected["per_staff"]
    chart = next(c for c in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
                 if "procedure type" in c["layout"]["title"]["text"])
    names = {row["procedure_code"]: row["procedure_name"] for row in csv_seed("procedure_catalog")}
    assert dict(zip(chart["data"][0]["y"], plotly_values(chart["data"][0]["x"]), strict=True)) == {
        names[code]: n for code, n in expected["per_type"].items()}

    # A filter: procedures only -> no tests counted.
    at.sidebar.multiselect(key="throughput_activities.en").set_value(["procedure"]).run()
    m = metrics(at)
    assert (m["In-house tests"], m["Send-out tests"], m["Procedures"]) == ("0", "0", f"{expected['procedures']:,}")


def test_throughput_on_the_handmade_data(handmade, use_warehouse, tmp_path, monkeypatch):
    """tests/fixtures/handmade/README.md: completed P1-P5 (P6 cancelled); procedure rooms staffed C01 R1 and R2
    08:00-12:00 on Monday (4 h each), C02 R1 08:00-10:00 on Tuesday (2 h)."""
    use_warehouse(handmade)
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path)))
    at = signed_in_app(APP, "manager", timeout=90)
    open_page(at, "throughput")
    m = metrics(at)
    assert (m["Procedures"], m["Staffed room hours"], m["Procedures per staffed hour"]) == ("5", "10.0", "0.50")
    per_room = table_with(at, "Staffed (h)").set_index("Room")
    assert per_room["Procedures"].to_dict() == {"C01 · R1": 3, "C01 · R2": 1, "C02 · R1": 1}  # P1-P3, P4, P5
    assert per_room["Procedures per staffed hour"].to_dict() == {"C01 · R1": 0.75, "C01 · R2": 0.25, "C02 · R1": 0.5}
    at.sidebar.multiselect(key="throughput_clinics").set_value(["C02"]).run()
    m = metrics(at)
    assert (m["Procedures"], m["Staffed room hours"], m["Procedures per staffed hour"]) == ("1", "2.0", "0.50")


def test_throughput_c01_user_sees_no_c02_row(sign_in, sim):
    expected = throughput_by_hand(sim, ("C01",))
    at = open_page(sign_in("manager_c01"), "throughput")
    assert metrics(at)["Procedures"] == f"{expected['procedures']:,}"
    assert set(table_with(at, "Staffed (h)")["Room"]) == expected["rooms"]
    assert set(table_with(at, "Staff member")["Clinic"]) == {"C01"}
    assert set(table_with(at, "Performers")["Clinic"]) == {"C01"}


# --- Staff competency --------------------------------------------------------------------------------------------

def certifications_due_by_hand(sim, clinics, as_of: date, window: int) -> set[tuple[str, str, str]]:
    """(staff, certification, status) of required certifications expired, missing or ending within `window` days."""
    staff = csv(sim, "staff")
    staff = staff[staff["clinic_id"].isin(clinics) & (pd.to_datetime(staff["started_on"]) <= pd.Timestamp(as_of))
                  & (staff["ended_on"].isna() | (pd.to_datetime(staff["ended_on"]) >= pd.Timestamp(as_of)))]
    certs = csv(sim, "certifications")
    certs = certs[pd.to_datetime(certs["issued_on"]) <= pd.Timestamp(as_of)]
    due = set()
    for cat in csv_seed("certification_catalog"):
        for person in staff[staff["role"].isin(cat["required_for_roles"].split("|"))].itertuples():
            held = certs[(certs["staff_id"] == person.staff_id) & (certs["certification_code"]
                                                                   == cat["certification_code"])]
            if held.empty:
                due.add((person.staff_id, cat["certification_name"], "missing"))
                continue
            through = pd.to_datetime(held["expires_on"]).max().date()
            if through < as_of:
                due.add((person.staff_id, cat["certification_name"], "expired"))
            elif through <= as_of + pd.Timedelta(days=window):
                due.add((person.staff_id, cat["certification_name"], "due"))
    return due


def due_certifications(at: AppTest) -> set[tuple[str, str, str]]:
    due = table_with(at, "Days left")
    due = due[due["Type"] == "certification"]
    status = due["Status"].map(lambda s: s if s in ("missing", "expired") else "due")
    return set(zip(due["Staff id"], due["Competency or certification"], status, strict=True))


def test_competency_figures_match_the_source(sign_in, sim):
    at = open_page(sign_in("admin"), "staff_competency")
    as_of = at.sidebar.date_input(key="competency_as_of").value
    assert as_of == date(2026, 11, 13)  # C01's last day; C02 has one more
    expected = certifications_due_by_hand(sim, ("C01", "C02"), as_of, 30)
    assert expected and due_certifications(at) == expected
    at.sidebar.radio(key="competency_due_window.en").set_value(60).run()
    assert due_certifications(at) == certifications_due_by_hand(sim, ("C01", "C02"), as_of, 60)
    # The matrix: every staff member on it is employed that day (staff.csv), the KPI counts its rows.
    staff = csv(sim, "staff").set_index("staff_id")
    matrix = next(json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    names = {f"{r.clinic_id} · {r.display_name}" for r in staff.reset_index().itertuples()}
    assert set(matrix["data"][0]["y"]) <= names
    assert metrics(at)["Staff members"] == str(len(matrix["data"][0]["y"]))
    # Exceptions: dated within the 30 days up to the as-of day.
    exc = table_with(at, "Rule")
    assert exc["Date"].between(pd.Timestamp(as_of) - pd.Timedelta(days=29), pd.Timestamp(as_of)).all()
    # One staff member's history.
    at.selectbox(key="competency_person.en").set_value(exc["Staff id"].iloc[0]).run()
    assert not at.exception
    history = [json.loads(c.proto.spec) for c in at.get("plotly_chart")][1]
    assert exc["Staff member"].iloc[0] in history["layout"]["title"]["text"]


def test_competency_supervisor_of_c01_sees_no_c02_row(sign_in, sim):
    at = open_page(sign_in("supervisor"), "staff_competency")
    as_of = at.sidebar.date_input(key="competency_as_of").value
    assert due_certifications(at) == certifications_due_by_hand(sim, ("C01",), as_of, 30)
    for df in at.dataframe:
        if "Clinic" in df.value.columns:
            assert set(df.value["Clinic"]) == {"C01"}
    matrix = next(json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    assert all(y.startswith("C01 · ") for y in matrix["data"][0]["y"])
    assert all(o.startswith("C01 · ") for o in at.selectbox(key="competency_person.en").options)


# --- Sterility ---------------------------------------------------------------------------------------------------

def sterility_by_hand(sim, clinics=("C01", "C02")) -> dict:
    cycles = csv(sim, "sterilizer_cycles")
    cycles = cycles[cycles["clinic_id"].isin(clinics)]
    loads = cycles[cycles["cycle_type"].isin(["prevacuum", "gravity", "immediate_use"])]
    bd = cycles[cycles["cycle_type"] == "bowie_dick"]
    positive = loads[loads["bi_result"] == "positive"]
    return {"loads": len(loads), "positive": len(positive), "bd_days": len(bd), "bi_cycles": int(
        loads["bi_result"].isin(["negative", "positive", "pending"]).sum()),
        "positive_ids": set(zip(positive["clinic_id"], positive["load_id"], strict=True))}


def test_sterility_figures_match_the_source(sign_in, sim):
    expected = sterility_by_hand(sim)
    assert expected["positive"] >= 1
    at = open_page(sign_in("quality"), "sterility")
    m = metrics(at)
    assert m["Loads"] == str(expected["loads"]) and m["Positive BIs"] == str(expected["positive"])
    calendar = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Bowie" in c.proto.spec)
    cells = [v for row in calendar["data"][0]["text"] for v in row if v]
    assert len(cells) >= expected["bd_days"] // 2  # one cell per sterilizer line and day
    positives = table_with(at, "Positive-BI load")
    assert set(zip(positives["Clinic"], positives["Positive-BI load"], strict=True)) == expected["positive_ids"]
    # Patient-level: pseudonyms only (no PAT- source identifier), counts below the threshold suppressed.
    trace = table_with(at, "Patient (pseudonym)")
    pseudonyms = trace["Patient (pseudonym)"].dropna()
    assert len(pseudonyms) and not pseudonyms.str.startswith("PAT-").any()
    for value in positives["Patients"]:
        assert value.startswith("< ") or int(value.replace(",", "")) >= 5
    # The audit report for the chosen clinic and month.
    button = at.get("download_button")[-1]
    assert "audit" in button.proto.label.lower()


def test_sterility_c02_user_sees_no_c01_row(sign_in, sim):
    expected = sterility_by_hand(sim, ("C02",))
    at = open_page(sign_in("quality_c02"), "sterility")
    assert metrics(at)["Loads"] == str(expected["loads"])
    for df in at.dataframe:
        if "Clinic" in df.value.columns:
            assert set(df.value["Clinic"]) <= {"C02"}
    trace = table_with(at, "Patient (pseudonym)")
    assert not trace["Procedure"].dropna().str.startswith("C01").any()
    assert at.selectbox(key="sterility_report_clinic").options == ["C02"]


def test_audit_report_download_is_scoped_to_the_clinic(sign_in, sim, monkeypatch):
    """The page's audit-report download (AppTest, the real button): backoffice.report's HTML for the chosen clinic
    and month, read through data.py's views of that clinic only, equal to what the CLI writes for that clinic."""
    import duckdb
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from backoffice import report

    downloads: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def capture(self, path_or_data, mimetype, kind, filename=None):
        if filename:
            downloads[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", capture)
    at = open_page(sign_in("quality"), "sterility")
    at.selectbox(key="sterility_report_clinic").set_value("C01").run()
    at.selectbox(key="sterility_report_month").set_value("2026-11").run()
    assert not at.exception
    html = downloads["audit-C01-2026-11.html"].decode("utf-8")
    assert "C01" in html and "C02-P" not in html and "C02-L" not in html and "C02-E" not in html
    serving = current_serving_file(sim.serving)
    with duckdb.connect(str(serving), read_only=True) as con:
        expected = report.render(report.collect(con, "C01", "2026-11", source=serving.name))
    strip = lambda h: "\n".join(line for line in h.splitlines() if "UTC" not in line)  # noqa: E731
    assert strip(html) == strip(expected)


def test_clinic_cursor_refuses_another_clinic(sim, monkeypatch):
    """data.clinic_cursor (the report's connection) only opens one of the signed-in user's clinics."""
    from dashboards import data

    monkeypatch.setattr(data, "allowed_clinics", lambda: ("C02",))
    with pytest.raises(PermissionError), data.clinic_cursor("C01"):
        pass


# --- Overview for supervisors and the quality team ---------------------------------------------------------------

def test_overview_supervisor_section_matches_the_source(sign_in, sim):
    """The supervisor's overview: staff of C01 with a required certification missing, expired or ending within 30
    days as of C01's latest status day (2026-11-13), worked out from certifications.csv and the catalog."""
    at = sign_in("supervisor")
    as_of = date(2026, 11, 13)
    assert any(c.value.startswith(f"Latest day with data in the week: {as_of.isoformat()}") for c in at.caption)
    expected = {staff for staff, _, _ in certifications_due_by_hand(sim, ("C01",), as_of, 30)}
    assert expected
    m = metrics(at)
    assert m["Staff with a certification expiring or expired"] == str(len(expected))
    headline = table_with(at, "Measure")
    assert set(headline["Clinic"]) == {"C01"}
    # Exceptions: the week's count is the sum of the competency page's exceptions dated in that week.
    competency = open_page(at, "staff_competency")
    exc = table_with(competency, "Rule")
    week = exc[pd.to_datetime(exc["Date"]).between(pd.Timestamp(2026, 11, 9), pd.Timestamp(as_of))]
    assert m["Competency exceptions · week"] == str(len(week))


def test_overview_quality_section_matches_the_source(sign_in, sim):
    """The quality team's overview for the last week (2026-11-09 to 15): positive BIs counted in
    sterilizer_cycles.csv, and the sterility exceptions the sterility page lists for that week."""
    at = sign_in("quality")
    cycles = csv(sim, "sterilizer_cycles")
    day = pd.to_datetime(cycles["started_at"]).dt.date
    positive = cycles[(cycles["bi_result"] == "positive") & (day >= date(2026, 11, 9)) & (day <= date(2026, 11, 15))]
    assert len(positive) >= 1
    m = metrics(at)
    assert m["Positive-BI recalls · week"] == str(len(positive))
    assert float(m["Checks compliant · week"].rstrip(" %")) < 100
    per_clinic = table_with(at, "Measure").set_index(["Clinic", "Measure"])["Week"]
    for clinic in ("C01", "C02"):
        assert per_clinic[(clinic, "Positive-BI recalls")] == int((positive["clinic_id"] == clinic).sum())
    sterility = open_page(at, "sterility")
    exc = table_with(sterility, "Subject")
    week = exc[pd.to_datetime(exc["Date"]).between(pd.Timestamp(2026, 11, 9), pd.Timestamp(2026, 11, 15))]
    assert m["Exceptions · week"] == str(len(week))


# --- German: no English label or raw code on any page ------------------------------------------------------------

SNAKE_CODE = re.compile(r"^[a-z]+(?:_[a-z]+)+$")  # overdue_soon, in_house, room_turnover: an untranslated code


def english_only_labels() -> set[str]:
    """Every label's English text that is not also some label's German text (so it can only be a leak)."""
    from dashboards.i18n import LABELS

    german = {v["de"] for v in LABELS.values()}
    return {v["en"] for v in LABELS.values()
            if v["en"] != v["de"] and v["en"] not in german and "{" not in v["en"] and len(v["en"]) > 2}


def visible_strings(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) of everything a user reads on the page: headings, captions, metric labels, widget labels and
    options, buttons, table headers and text cells, chart titles, axes, legends and colour-bar ticks."""
    out: list[tuple[str, str]] = []
    for kind in ("title", "header", "subheader", "caption", "info", "success", "markdown"):
        out += [(kind, e.value) for e in getattr(at, kind)]
    out += [("metric", m.label) for m in at.metric]
    for kind in ("selectbox", "multiselect", "radio"):
        for w in getattr(at, kind):
            out.append((kind, w.label))
            out += [(f"{kind} option", o) for o in w.options]
    out += [("date_input", w.label) for w in at.date_input]
    out += [("button", b.proto.label) for kind in ("button", "download_button", "page_link") for b in at.get(kind)]
    for df in at.dataframe:
        frame = df.value
        out += [("column", str(c)) for c in frame.columns]
        for col in frame.columns:
            out += [(f"cell {col}", v) for v in frame[col] if isinstance(v, str)]
    for chart in (json.loads(c.proto.spec) for c in at.get("plotly_chart")):
        layout = chart["layout"]
        out.append(("chart title", layout.get("title", {}).get("text", "")))
        for axis in ("xaxis", "yaxis"):
            out.append(("axis", ((layout.get(axis) or {}).get("title") or {}).get("text") or ""))
        for trace in chart["data"]:
            out.append(("legend", trace.get("name") or ""))
            out += [("colorbar", str(v)) for v in (trace.get("colorbar") or {}).get("ticktext", [])]
            if trace.get("type") == "bar" and isinstance(trace.get("x"), list):
                out += [("bar category", v) for v in trace["x"] if isinstance(v, str)]
            if isinstance(trace.get("y"), list):
                out += [("category", v) for v in trace["y"] if isinstance(v, str)]
        for annotation in layout.get("annotations", []):
            out.append(("annotation", annotation.get("text", "")))
    return [(where, text) for where, text in out if text]


def english_catalog_names() -> set[str]:
    """Catalog names (tests, procedures, competencies, certifications) whose German name differs."""
    out = set()
    for seed, name in (("lab_test_catalog", "test_name"), ("procedure_catalog", "procedure_name"),
                       ("competency_catalog", "competency_name"), ("certification_catalog", "certification_name")):
        out |= {row[name] for row in csv_seed(seed) if row[f"{name}_de"] and row[f"{name}_de"] != row[name]}
    return out


def leaks(at: AppTest) -> list[tuple[str, str]]:
    english = english_only_labels() | english_catalog_names()
    procedure_codes = {row["procedure_code"] for row in csv_seed("procedure_catalog")}
    return [(where, text) for where, text in visible_strings(at)
            if text in english or SNAKE_CODE.match(text) or text in procedure_codes]


def test_german_pages_show_no_english_label_or_code(sign_in):
    """Every page in German as an admin: no English label text and no raw code (snake_case status, rule, reason,
    room type, record type; procedure codes) in any heading, widget, table header or cell, or chart text."""
    at = sign_in("admin", "de")
    found: dict[str, list] = {}
    for spec in pages_for("admin"):
        open_page(at, spec.key)
        if problems := leaks(at):
            found[spec.key] = problems
    assert not found, found


def test_the_leak_check_finds_english(sign_in):
    """The same check on the English pages finds English labels (so the German test can fail)."""
    at = sign_in("admin")
    for key in ("lab_turnaround", "sterility"):
        open_page(at, key)
        texts = {text for _, text in leaks(at)}
        assert {"Rapid-test turnaround", "Sterility compliance"} & texts, key
        assert len(texts) > 10, texts


@pytest.mark.parametrize("page, widget", [("send_outs", "sendouts_clinics"), ("throughput", "throughput_clinics"),
                                          ("throughput", "throughput_activities.en"),
                                          ("staff_competency", "competency_clinics"),
                                          ("staff_competency", "competency_kinds.en"),
                                          ("sterility", "sterility_clinics")])
def test_empty_selection_says_so(sign_in, page, widget):
    at = open_page(sign_in("admin"), page)
    at.sidebar.multiselect(key=widget).set_value([]).run()
    assert not at.exception and not at.error
    assert any(i.value == "No data for this selection." for i in at.info)
