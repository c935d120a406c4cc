"""Overview: one screen with the week's and the latest day's headline numbers per clinic against their targets
(everyone's landing page).

Each section belongs to a detail page and is shown only to roles that may open that page, with a link to it:
rapid tests (lab_turnaround) and procedure rooms (room_usage) for managers, staff competency (staff_competency) for
supervisors, sterility and hygiene (sterility) for the quality team, data quality (data_quality) for both. The figures
use the same definitions as the detail pages (ratios of sums, medians over rows), for the ISO week chosen in the
sidebar (the latest week with data by default) and for the latest day with data in that week ("today" while the
week runs). Status figures (overdue competencies, expiring certifications) are counted as of that day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import targets, ui
from dashboards.auth import require_page
from dashboards.data import has_table
from dashboards.filters import clinic_select, localized_key
from dashboards.i18n import fmt_date, fmt_number, fmt_percent, t
from dashboards.queries.competency import exceptions_per_clinic, staff_certifications_expiring, staff_overdue
from dashboards.queries.lab import lab_selection, lab_turnaround_kpis
from dashboards.queries.overview import flagged_timelines, latest_day, weeks_with_data
from dashboards.queries.rooms import occupancy_kpis, room_selection, room_utilization
from dashboards.queries.sterility import check_kpis, exception_counts, load_kpis, sterility_selection
from dashboards.registry import BY_KEY, can_open

user = require_page("overview")
LAB = "marts.fct_lab_turnaround"
DAILY = "marts.agg_room_utilization_daily"
OCCUPANCY = "marts.fct_room_occupancy"
STATUS = "marts.fct_competency_status_daily"
CERTS = "marts.fct_certification_status_daily"
COMPETENCY_EXCEPTIONS = "marts.fct_competency_exceptions"
CHECKS = "marts.fct_sterility_checks"
LOADS = "marts.fct_sterilizer_loads"
STERILITY_EXCEPTIONS = "marts.fct_sterility_exceptions"
CERT_WARNING_DAYS = 30  # a required certification ending within this many days counts as expiring

st.title(t("page_overview"))
ui.data_as_of()
ui.require_data()

show_lab = can_open(user.role, "lab_turnaround") and has_table(LAB)
show_rooms = can_open(user.role, "room_usage") and has_table(DAILY) and has_table(OCCUPANCY)
show_competency = (can_open(user.role, "staff_competency") and has_table(STATUS) and has_table(CERTS)
                   and has_table(COMPETENCY_EXCEPTIONS))
show_sterility = (can_open(user.role, "sterility") and has_table(CHECKS) and has_table(LOADS)
                  and has_table(STERILITY_EXCEPTIONS))
show_quality = can_open(user.role, "data_quality") and has_table(LAB) and has_table(OCCUPANCY)
if not (show_lab or show_rooms or show_competency or show_sterility or show_quality):
    ui.no_data()
    st.stop()

sections = [name for name, shown in (("lab", show_lab), ("rooms", show_rooms), ("competency", show_competency),
                                     ("sterility", show_sterility), ("quality", show_quality)) if shown]
spans = weeks_with_data(sections)
if spans.empty:
    ui.no_data()
    st.stop()

weeks = sorted({w.date() if hasattr(w, "date") else w for w in spans["week"]}, reverse=True)
with st.sidebar:
    st.subheader(t("filters"))
    clinics = clinic_select(sorted(spans["clinic_id"].unique()), "overview_clinics")
    week_labels = {w: t("week_label", week=w.isocalendar().week, start=fmt_date(w)) for w in weeks}
    week = st.selectbox(t("overview_week"), weeks, key=localized_key("overview_week"), format_func=week_labels.get)
start, end = week, week + timedelta(days=6)
latest = latest_day(sections, clinics, start, end) if clinics else None
if latest is None:
    ui.no_data()
    st.stop()
day: date = latest
st.caption(t("overview_day_note", day=fmt_date(day)))
PERIODS = {"week": (start, end), "day": (day, day)}

# clinic, measure -> one row of the headline table, with the day's and the week's value
headline: dict[tuple[str, str], dict] = {}


def add_rows(frame: pd.DataFrame, column: str, measure: str, period: str, unit: str = "", target_text: str = "",
             met: Callable[[float], bool] | None = None, count: bool = False) -> None:
    for _, r in frame.iterrows():
        value = None if pd.isna(r[column]) else (int(r[column]) if count else round(float(r[column]), 1))
        row = headline.setdefault((r["clinic_id"], measure), {
            "clinic_id": r["clinic_id"], "measure": t(measure), "unit": unit, "target": target_text,
            "day": None, "week": None, "met_day": None, "met_week": None})
        row[period] = value
        row[f"met_{period}"] = None if value is None or met is None else bool(met(value))


def per_clinic(frame: pd.DataFrame, fill: dict | None = None) -> pd.DataFrame:
    """One row per chosen clinic (a clinic without rows gets `fill`, e.g. a zero count)."""
    out = pd.DataFrame({"clinic_id": clinics}).merge(frame, on="clinic_id", how="left")
    return out.fillna(fill) if fill else out


def section_header(label_key: str, page_key: str) -> None:
    spec = BY_KEY[page_key]
    with st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="bottom"):
        st.subheader(t(label_key), width="content")
        st.page_link(spec.path, label=t("open_page", page=t(spec.title_key)), icon=spec.icon)


def at_least(target: float) -> tuple[str, Callable[[float], bool]]:
    return "≥ " + fmt_percent(target, 0), lambda v: v >= target


def at_most(target: float, unit_text: str = "") -> tuple[str, Callable[[float], bool]]:
    return "≤ " + fmt_number(target, 0) + unit_text, lambda v: v <= target


if show_lab:
    # The lab page's figures (dashboards/queries/lab.py) for in-house rapid tests, per clinic and period.
    total = lab_turnaround_kpis(lab_selection(clinics, start, end, site="in_house")).iloc[0]
    section_header("overview_lab", "lab_turnaround")
    if int(total["tests"]) == 0:
        ui.no_data()
    else:
        row = ui.KpiRow(4)
        row.kpi(t("kpi_tests"), total["tests"], decimals=0)
        row.kpi(t("kpi_median"), total["median_min"])
        row.kpi(t("kpi_within"), total["within_pct"], percent=True, target=targets.WITHIN_TARGET_PCT)
        row.kpi(t("kpi_before_left"), total["before_left_pct"], percent=True, target=targets.BEFORE_LEFT_PCT)
        for period, (p_start, p_end) in PERIODS.items():
            lab = per_clinic(lab_turnaround_kpis(lab_selection(clinics, p_start, p_end, site="in_house"),
                                                 by="clinic_id"), {"tests": 0})
            if period == "week":
                long = lab.melt(id_vars="clinic_id", value_vars=["within_pct", "before_left_pct"])
                long["variable"] = long["variable"].map({"within_pct": t("kpi_within"),
                                                         "before_left_pct": t("kpi_before_left")})
                with st.container(border=True):
                    fig = px.bar(long, x="clinic_id", y="value", color="variable", barmode="group",
                                 title=t("chart_overview_lab"),
                                 labels={"clinic_id": t("clinic"), "value": "%", "variable": ""}, range_y=[0, 105])
                    ui.target_line(fig, targets.WITHIN_TARGET_PCT, percent=True)
                    ui.chart(fig, height=320)
            add_rows(lab, "tests", "kpi_tests", period, count=True)
            add_rows(lab, "median_min", "kpi_median", period, t("min_unit"))
            add_rows(lab, "within_pct", "kpi_within", period, "%", *at_least(targets.WITHIN_TARGET_PCT))
            add_rows(lab, "before_left_pct", "kpi_before_left", period, "%", *at_least(targets.BEFORE_LEFT_PCT))

if show_rooms:
    # The room page's figures (dashboards/queries/rooms.py) for procedure rooms, per clinic and period.
    def procedure_rooms(p_start: date, p_end: date):
        return room_selection(clinics, p_start, p_end, ["procedure"])

    util_total = room_utilization(procedure_rooms(start, end)).iloc[0]
    occ_total = occupancy_kpis(procedure_rooms(start, end)).iloc[0]
    section_header("overview_rooms", "room_usage")
    if pd.isna(util_total["utilization_pct"]):
        ui.no_data()
    else:
        row = ui.KpiRow(3)
        row.kpi(t("kpi_utilization"), util_total["utilization_pct"], percent=True,
                band=targets.UTILIZATION_BAND_PCT)
        row.kpi(t("kpi_turnover"), occ_total["median_turnover"], target=targets.TURNOVER_MAX_MIN,
                lower_is_better=True)
        row.kpi(t("kpi_first_case"), occ_total["first_case_pct"], percent=True,
                target=targets.FIRST_CASE_ON_TIME_PCT)
        low, high = targets.UTILIZATION_BAND_PCT
        for period, (p_start, p_end) in PERIODS.items():
            util = per_clinic(room_utilization(procedure_rooms(p_start, p_end), by="clinic_id"))
            occ = per_clinic(occupancy_kpis(procedure_rooms(p_start, p_end), by="clinic_id"))
            if period == "week":
                with st.container(border=True):
                    fig = px.bar(util, x="clinic_id", y="utilization_pct", title=t("chart_overview_rooms"),
                                 labels={"clinic_id": t("clinic"), "utilization_pct": "%"}, range_y=[0, 105])
                    ui.target_band(fig, *targets.UTILIZATION_BAND_PCT)
                    ui.chart(fig, height=320)
            add_rows(util, "utilization_pct", "kpi_utilization", period, "%",
                     f"{fmt_number(low, 0)}–{fmt_percent(high, 0)}", lambda v: low <= v <= high)
            add_rows(occ, "median_turnover", "kpi_turnover", period, t("min_unit"),
                     *at_most(targets.TURNOVER_MAX_MIN))
            add_rows(occ, "first_case_pct", "kpi_first_case", period, "%", *at_least(targets.FIRST_CASE_ON_TIME_PCT))

if show_competency:
    # Status as of the day (each clinic's latest status on or before it), exceptions per period.
    status = per_clinic(staff_overdue(clinics, day), {"staff_overdue": 0})
    certs = per_clinic(staff_certifications_expiring(clinics, day, CERT_WARNING_DAYS), {"staff_certs": 0})
    exceptions = {p: per_clinic(exceptions_per_clinic(clinics, *span), {"exceptions": 0})
                  for p, span in PERIODS.items()}
    section_header("overview_competency", "staff_competency")
    row = ui.KpiRow(3)
    row.kpi(t("kpi_staff_overdue"), status["staff_overdue"].sum(), decimals=0, target=0, lower_is_better=True,
            unit="", help=t("help_staff_overdue"))
    row.kpi(t("kpi_staff_cert_expiring"), certs["staff_certs"].sum(), decimals=0, target=0, lower_is_better=True,
            unit="", help=t("help_staff_cert_expiring"))
    row.kpi(t("kpi_week", label=t("kpi_competency_exceptions")), exceptions["week"]["exceptions"].sum(), decimals=0,
            target=0, lower_is_better=True, unit="")
    add_rows(status, "staff_overdue", "kpi_staff_overdue", "day", "", "0", lambda v: v == 0, count=True)
    add_rows(certs, "staff_certs", "kpi_staff_cert_expiring", "day", "", "0", lambda v: v == 0, count=True)
    for period, frame in exceptions.items():
        add_rows(frame, "exceptions", "kpi_competency_exceptions", period, "", "0", lambda v: v == 0, count=True)

if show_sterility:
    # The sterility page's figures (dashboards/queries/sterility.py), per clinic and period.
    def sterility_figures(p_start: date, p_end: date) -> pd.DataFrame:
        sel = sterility_selection(clinics, p_start, p_end)
        return (per_clinic(check_kpis(sel, by="clinic_id")[["clinic_id", "compliance_pct"]])
                .merge(per_clinic(load_kpis(sel, by="clinic_id")[["clinic_id", "positive_bi"]], {"positive_bi": 0}),
                       on="clinic_id")
                .merge(per_clinic(exception_counts(sel, by="clinic_id"), {"exceptions": 0}), on="clinic_id"))

    figures = {p: sterility_figures(*span) for p, span in PERIODS.items()}
    week_total = check_kpis(sterility_selection(clinics, start, end)).iloc[0]
    section_header("overview_sterility", "sterility")
    row = ui.KpiRow(3)
    row.kpi(t("kpi_week", label=t("kpi_compliance")), week_total["compliance_pct"], percent=True, target=100.0)
    row.kpi(t("kpi_week", label=t("kpi_positive_bi_recalls")), figures["week"]["positive_bi"].sum(), decimals=0,
            target=0, lower_is_better=True, unit="", help=t("help_positive_bi_recalls"))
    row.kpi(t("kpi_week", label=t("kpi_sterility_exceptions")), figures["week"]["exceptions"].sum(), decimals=0,
            target=0, lower_is_better=True, unit="")
    with st.container(border=True):
        fig = px.bar(figures["week"], x="clinic_id", y="compliance_pct", title=t("chart_overview_sterility"),
                     labels={"clinic_id": t("clinic"), "compliance_pct": "%"}, range_y=[0, 105])
        ui.target_line(fig, 100.0, percent=True)
        ui.chart(fig, height=320)
    for period, frame in figures.items():
        add_rows(frame, "compliance_pct", "kpi_compliance", period, "%", *at_least(100.0))
        add_rows(frame, "positive_bi", "kpi_positive_bi_recalls", period, "", "0", lambda v: v == 0, count=True)
        add_rows(frame, "exceptions", "kpi_sterility_exceptions", period, "", "0", lambda v: v == 0, count=True)

if show_quality:
    flagged = {p: per_clinic(flagged_timelines(clinics, *span), {"flagged": 0}) for p, span in PERIODS.items()}
    section_header("overview_quality", "data_quality")
    row = ui.KpiRow(4)
    row.kpi(t("kpi_flagged"), flagged["week"]["flagged"].sum(), decimals=0, target=0, lower_is_better=True, unit="",
            help=t("help_flagged"))
    for period, frame in flagged.items():
        add_rows(frame, "flagged", "kpi_flagged", period, "", "0", lambda v: v == 0, count=True)

if headline:
    st.subheader(t("headline_table"))
    rows = sorted(headline.values(), key=lambda h: h["clinic_id"])  # stable: measures keep their order
    frame = pd.DataFrame(rows)
    for column in ("day", "week"):  # counts stay whole numbers
        frame[column] = pd.Series([h[column] for h in rows], dtype=object)
    ui.table(frame, {"clinic_id": "clinic", "measure": "measure", "day": "period_day", "week": "period_week",
                     "unit": "unit", "target": "target", "met_day": "met_day", "met_week": "met_week"},
             f"overview_{start.isoformat()}.csv", key="overview_headline")
