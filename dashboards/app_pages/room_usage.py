"""Room usage: are procedure rooms used, and where do turnovers drag? (clinic managers)

Raw utilization after the AACD glossary (domain-standards 2.1): patient-in-room minutes within staffed
hours / staffed minutes, summed over the selection before dividing (a ratio of sums, not a mean of ratios).
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import targets, ui
from dashboards.auth import require_page
from dashboards.data import query
from dashboards.filters import clinic_and_dates, coded_multiselect
from dashboards.i18n import t

require_page("room_usage")
HOURLY = "marts.agg_room_utilization_hourly"
OCCUPANCY = "marts.fct_room_occupancy"
ROOM_TYPES = ["procedure", "lab", "imaging", "exam", "sterile_processing"]

st.title(t("page_room_usage"))
ui.data_as_of()
ui.require_data()
filters = clinic_and_dates(HOURLY, "day", "rooms")
if filters is None:
    ui.no_data()
    st.stop()
with st.sidebar:
    room_types = coded_multiselect("room_type", ROOM_TYPES, ["procedure"], "rooms_types", "room_type_")

where, params = filters.where("day")
where += " AND list_contains(?, room_type)"
params += [room_types]
occ_where, occ_params = filters.where("occupancy_date")
occ_where += " AND list_contains(?, room_type) AND NOT has_timeline_error"
occ_params += [room_types]

util = query(f"SELECT sum(occupied_min) AS occupied, sum(staffed_min) AS staffed FROM {HOURLY} WHERE {where}", params)
occ = query(
    f"""SELECT count(*) AS occupancies, quantile_cont(turnover_to_next_min, 0.5) AS median_turnover,
               100.0 * avg(is_first_case_on_time::INTEGER) AS first_case_pct
        FROM {OCCUPANCY} WHERE {occ_where}""",
    occ_params,
)
if util.empty or pd.isna(util["staffed"].iloc[0]) or not util["staffed"].iloc[0]:
    ui.no_data()
    st.stop()

u, o = util.iloc[0], occ.iloc[0]
row = ui.KpiRow(4)
row.kpi(t("kpi_utilization"), 100.0 * u["occupied"] / u["staffed"], percent=True,
        band=targets.UTILIZATION_BAND_PCT)
row.kpi(t("kpi_occupancies"), o["occupancies"], decimals=0)
row.kpi(t("kpi_turnover"), o["median_turnover"], target=targets.TURNOVER_MAX_MIN, lower_is_better=True)
row.kpi(t("kpi_first_case"), o["first_case_pct"], percent=True, target=targets.FIRST_CASE_ON_TIME_PCT)

heat = query(
    f"""SELECT clinic_id || ' · ' || room_id AS room, slot_hour,
               round(100.0 * sum(occupied_min) / sum(staffed_min), 1) AS utilization_pct
        FROM {HOURLY} WHERE {where} GROUP BY ALL ORDER BY room, slot_hour""",
    params,
)
turnovers = query(
    f"""SELECT clinic_id || ' · ' || room_id AS room, turnover_to_next_min, is_prolonged_turnover
        FROM {OCCUPANCY} WHERE {occ_where} AND turnover_to_next_min IS NOT NULL""",
    occ_params,
)
left, right = st.columns(2)
with left, st.container(border=True):
    grid = heat.pivot(index="room", columns="slot_hour", values="utilization_pct")
    fig = px.imshow(grid, aspect="auto", color_continuous_scale="Blues", zmin=0, zmax=100, text_auto=".0f",
                    title=t("chart_heatmap"), labels={"x": t("hour"), "y": t("room"), "color": "%"})
    fig.update_xaxes(dtick=1)
    ui.chart(fig, height=max(380, 140 + 26 * len(grid)))
with right, st.container(border=True):
    turnovers["kind"] = turnovers["is_prolonged_turnover"].map(
        lambda p: t("prolonged") if p else t("not_prolonged"))
    fig = px.histogram(turnovers, x="turnover_to_next_min", color="kind", nbins=40, title=t("chart_turnover"),
                       labels={"turnover_to_next_min": t("minutes"), "kind": ""},
                       color_discrete_map={t("prolonged"): ui.TARGET_COLOR, t("not_prolonged"): "#2e86c1"})
    fig.update_yaxes(title_text=t("count"))
    ui.target_vline(fig, targets.TURNOVER_MAX_MIN)
    ui.chart(fig)

st.subheader(t("daily_utilization"))
daily = query(
    f"""SELECT clinic_id, room_id, day, staffed_min, occupied_min, raw_utilization_pct
        FROM marts.agg_room_utilization_daily WHERE {where} ORDER BY day DESC, clinic_id, room_id""",
    params,
)
ui.table(daily, {"clinic_id": "clinic", "room_id": "room", "day": "day", "staffed_min": "staffed_min",
                 "occupied_min": "occupied_min", "raw_utilization_pct": "utilization_pct"},
         "room_utilization_daily.csv", key="rooms_daily")
