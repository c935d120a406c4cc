"""Room usage: are procedure rooms used, and where do turnovers drag? (clinic managers)

Raw utilization after the AACD glossary (domain-standards 2.1): patient-in-room minutes within staffed
hours / staffed minutes, summed over the selection before dividing (a ratio of sums, not a mean of ratios).
"""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards.data import query
from dashboards.filters import clinic_and_dates
from dashboards.i18n import fmt_number, fmt_percent, t

HOURLY = "marts.agg_room_utilization_hourly"
OCCUPANCY = "marts.fct_room_occupancy"

st.title(t("page_rooms"))
filters = clinic_and_dates(HOURLY, "day", "rooms")
if filters is None:
    st.info(t("no_warehouse"))
    st.stop()
with st.sidebar:
    room_types = st.multiselect(t("room_type"), ["procedure", "lab", "imaging", "exam", "sterile_processing"],
                                default=["procedure"], key="rooms_types")

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
if util.empty or not util["staffed"].iloc[0]:
    st.info(t("no_data"))
    st.stop()

u, o = util.iloc[0], occ.iloc[0]
with st.container(horizontal=True):
    st.metric(t("kpi_utilization"), fmt_percent(100.0 * u["occupied"] / u["staffed"]), border=True)
    st.metric(t("kpi_occupancies"), fmt_number(o["occupancies"], 0), border=True)
    st.metric(t("kpi_turnover"), fmt_number(o["median_turnover"]), border=True)
    st.metric(t("kpi_first_case"), fmt_percent(o["first_case_pct"]), border=True)

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
    fig = px.imshow(grid, aspect="auto", color_continuous_scale="Blues", zmin=0, zmax=100, title=t("chart_heatmap"),
                    labels={"x": t("hour"), "y": t("room"), "color": "%"})
    st.plotly_chart(fig, width="stretch")
with right, st.container(border=True):
    fig = px.histogram(turnovers, x="turnover_to_next_min", color="is_prolonged_turnover", nbins=40,
                       title=t("chart_turnover"), labels={"turnover_to_next_min": t("minutes")})
    st.plotly_chart(fig, width="stretch")

st.subheader(t("daily_utilization"))
daily = query(
    f"""SELECT clinic_id, room_id, day, staffed_min, occupied_min, raw_utilization_pct
        FROM marts.agg_room_utilization_daily WHERE {where} ORDER BY day DESC, clinic_id, room_id""",
    params,
)
st.dataframe(daily, hide_index=True, width="stretch")
st.download_button(t("download_csv"), daily.to_csv(index=False), "room_utilization_daily.csv", "text/csv")
