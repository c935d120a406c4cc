"""Overview: one screen with the week's headline numbers per clinic against their targets (everyone's landing page).

Each section belongs to a detail page and is shown only to roles that may open that page, with a link to it:
rapid tests (lab_turnaround), procedure rooms (room_usage), data quality (data_quality). The figures use the same
definitions as the detail pages (ratios of sums, medians over rows), for the ISO week chosen in the sidebar
(the latest week with data by default).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import targets, ui
from dashboards.auth import require_page
from dashboards.data import has_table, query
from dashboards.filters import clinic_select, localized_key
from dashboards.i18n import fmt_date, fmt_number, fmt_percent, t
from dashboards.registry import BY_KEY, can_open

user = require_page("overview")
LAB = "marts.fct_lab_turnaround"
DAILY = "marts.agg_room_utilization_daily"
OCCUPANCY = "marts.fct_room_occupancy"

st.title(t("page_overview"))
ui.data_as_of()
ui.require_data()

show_lab = can_open(user.role, "lab_turnaround") and has_table(LAB)
show_rooms = can_open(user.role, "room_usage") and has_table(DAILY) and has_table(OCCUPANCY)
show_quality = can_open(user.role, "data_quality") and has_table(LAB) and has_table(OCCUPANCY)
if not (show_lab or show_rooms or show_quality):
    st.info(t("overview_nothing"))
    st.stop()

sources = []
if show_lab or show_quality:
    sources.append(f"SELECT clinic_id, collected_date AS d FROM {LAB}")
if show_rooms or show_quality:
    sources.append(f"SELECT clinic_id, occupancy_date AS d FROM {OCCUPANCY}")
if show_rooms:
    sources.append(f"SELECT clinic_id, day AS d FROM {DAILY}")
spans = query("SELECT DISTINCT clinic_id, CAST(date_trunc('week', d) AS DATE) AS week "
              f"FROM ({' UNION ALL '.join(sources)}) WHERE d IS NOT NULL")
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
if not clinics:
    ui.no_data()
    st.stop()
period = [clinics, start, end]

headline: list[dict] = []  # long format: clinic, measure, value, target, met


def add_rows(frame: pd.DataFrame, column: str, measure: str, unit: str = "", target_text: str = "",
             met: Callable[[float], bool] | None = None, count: bool = False) -> None:
    for _, r in frame.iterrows():
        value = None if pd.isna(r[column]) else (int(r[column]) if count else round(float(r[column]), 1))
        headline.append({"clinic_id": r["clinic_id"], "measure": t(measure), "value": value, "unit": unit,
                         "target": target_text, "met": None if value is None or met is None else bool(met(value))})


def section_header(label_key: str, page_key: str) -> None:
    spec = BY_KEY[page_key]
    with st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="bottom"):
        st.subheader(t(label_key), width="content")
        st.page_link(spec.path, label=t("open_page", page=t(spec.title_key)), icon=spec.icon)


if show_lab:
    lab_sql = f"""SELECT {{group}} count(*) AS tests,
                         quantile_cont(collection_to_result_min, 0.5) AS median_min,
                         quantile_cont(collection_to_result_min, 0.9) AS p90_min,
                         100.0 * avg(is_within_target::INTEGER) AS within_pct,
                         100.0 * avg(resulted_before_departure::INTEGER) AS before_left_pct
                  FROM {LAB}
                  WHERE is_countable AND performing_site = 'in_house' AND list_contains(?, clinic_id)
                    AND collected_date BETWEEN ? AND ? {{by}}"""
    total = query(lab_sql.format(group="", by=""), period).iloc[0]
    per_clinic = query(lab_sql.format(group="clinic_id,", by="GROUP BY clinic_id ORDER BY clinic_id"), period)
    section_header("overview_lab", "lab_turnaround")
    if int(total["tests"]) == 0:
        ui.no_data()
    else:
        row = ui.KpiRow(4)
        row.kpi(t("kpi_tests"), total["tests"], decimals=0)
        row.kpi(t("kpi_median"), total["median_min"])
        row.kpi(t("kpi_within"), total["within_pct"], percent=True, target=targets.WITHIN_TARGET_PCT)
        row.kpi(t("kpi_before_left"), total["before_left_pct"], percent=True, target=targets.BEFORE_LEFT_PCT)
        long = per_clinic.melt(id_vars="clinic_id", value_vars=["within_pct", "before_left_pct"])
        long["variable"] = long["variable"].map({"within_pct": t("kpi_within"),
                                                 "before_left_pct": t("kpi_before_left")})
        with st.container(border=True):
            fig = px.bar(long, x="clinic_id", y="value", color="variable", barmode="group",
                         title=t("chart_overview_lab"), labels={"clinic_id": t("clinic"), "value": "%", "variable": ""},
                         range_y=[0, 105])
            ui.target_line(fig, targets.WITHIN_TARGET_PCT, percent=True)
            ui.chart(fig, height=320)
        add_rows(per_clinic, "tests", "kpi_tests", count=True)
        add_rows(per_clinic, "median_min", "kpi_median", t("min_unit"))
        add_rows(per_clinic, "within_pct", "kpi_within", "%", "≥ " + fmt_percent(targets.WITHIN_TARGET_PCT, 0),
                 lambda v: v >= targets.WITHIN_TARGET_PCT)
        add_rows(per_clinic, "before_left_pct", "kpi_before_left", "%", "≥ " + fmt_percent(targets.BEFORE_LEFT_PCT, 0),
                 lambda v: v >= targets.BEFORE_LEFT_PCT)

if show_rooms:
    util = query(
        f"""SELECT clinic_id, 100.0 * sum(occupied_min) / nullif(sum(staffed_min), 0) AS utilization_pct
            FROM {DAILY} WHERE room_type = 'procedure' AND list_contains(?, clinic_id) AND day BETWEEN ? AND ?
            GROUP BY ALL ORDER BY clinic_id""", period)
    util_total = query(
        f"""SELECT 100.0 * sum(occupied_min) / nullif(sum(staffed_min), 0) AS utilization_pct
            FROM {DAILY} WHERE room_type = 'procedure' AND list_contains(?, clinic_id) AND day BETWEEN ? AND ?""",
        period).iloc[0]
    occ_sql = f"""SELECT {{group}} quantile_cont(turnover_to_next_min, 0.5) AS median_turnover,
                         100.0 * avg(is_first_case_on_time::INTEGER) AS first_case_pct
                  FROM {OCCUPANCY}
                  WHERE room_type = 'procedure' AND NOT has_timeline_error AND list_contains(?, clinic_id)
                    AND occupancy_date BETWEEN ? AND ? {{by}}"""
    occ_total = query(occ_sql.format(group="", by=""), period).iloc[0]
    occ = query(occ_sql.format(group="clinic_id,", by="GROUP BY clinic_id ORDER BY clinic_id"), period)
    section_header("overview_rooms", "room_usage")
    if util.empty or pd.isna(util_total["utilization_pct"]):
        ui.no_data()
    else:
        row = ui.KpiRow(3)
        row.kpi(t("kpi_utilization"), util_total["utilization_pct"], percent=True,
                band=targets.UTILIZATION_BAND_PCT)
        row.kpi(t("kpi_turnover"), occ_total["median_turnover"], target=targets.TURNOVER_MAX_MIN,
                lower_is_better=True)
        row.kpi(t("kpi_first_case"), occ_total["first_case_pct"], percent=True,
                target=targets.FIRST_CASE_ON_TIME_PCT)
        with st.container(border=True):
            fig = px.bar(util, x="clinic_id", y="utilization_pct", title=t("chart_overview_rooms"),
                         labels={"clinic_id": t("clinic"), "utilization_pct": "%"}, range_y=[0, 105])
            ui.target_band(fig, *targets.UTILIZATION_BAND_PCT)
            ui.chart(fig, height=320)
        low, high = targets.UTILIZATION_BAND_PCT
        add_rows(util, "utilization_pct", "kpi_utilization", "%", f"{fmt_number(low, 0)}–{fmt_percent(high, 0)}",
                 lambda v: low <= v <= high)
        add_rows(occ, "median_turnover", "kpi_turnover", t("min_unit"),
                 "≤ " + fmt_number(targets.TURNOVER_MAX_MIN, 0), lambda v: v <= targets.TURNOVER_MAX_MIN)
        add_rows(occ, "first_case_pct", "kpi_first_case", "%", "≥ " + fmt_percent(targets.FIRST_CASE_ON_TIME_PCT, 0),
                 lambda v: v >= targets.FIRST_CASE_ON_TIME_PCT)

if show_quality:
    flagged = query(
        f"""SELECT clinic_id, count(*) AS flagged FROM (
                SELECT clinic_id FROM {LAB} WHERE has_timeline_error AND collected_date BETWEEN ? AND ?
                UNION ALL
                SELECT clinic_id FROM {OCCUPANCY} WHERE has_timeline_error AND occupancy_date BETWEEN ? AND ?)
            WHERE list_contains(?, clinic_id) GROUP BY ALL ORDER BY clinic_id""",
        [start, end, start, end, clinics])
    flagged = pd.DataFrame({"clinic_id": clinics}).merge(flagged, how="left").fillna({"flagged": 0})
    section_header("overview_quality", "data_quality")
    row = ui.KpiRow(4)
    row.kpi(t("kpi_flagged"), flagged["flagged"].sum(), decimals=0, target=0, lower_is_better=True, unit="",
            help=t("help_flagged"))
    add_rows(flagged, "flagged", "kpi_flagged", "", "0", lambda v: v == 0, count=True)

if headline:
    st.subheader(t("headline_table"))
    frame = pd.DataFrame(headline)
    frame["value"] = pd.Series([h["value"] for h in headline], dtype=object)  # counts stay whole numbers
    ui.table(frame, {"clinic_id": "clinic", "measure": "measure", "value": "value", "unit": "unit",
                     "target": "target", "met": "met"},
             f"overview_{start.isoformat()}.csv", key="overview_headline")
