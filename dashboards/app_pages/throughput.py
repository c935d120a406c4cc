"""Throughput: how many procedures and tests per day, hour, staff member, room and procedure type, and per staffed
hour? (clinic managers)

Figures defined in dashboards/queries/throughput.py: completed procedures at patient-in, resulted in-house and
send-out tests at collection, on the clinic's wall clock; per staffed hour = procedures / staffed room hours, a ratio
of sums over the selection. Lists show their first rows (busiest, most recent) with how many there are.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import ui
from dashboards.auth import require_page
from dashboards.data import procedure_names
from dashboards.filters import clinic_and_dates, coded_multiselect
from dashboards.i18n import language, t
from dashboards.queries.throughput import (
    HOURLY,
    activities_by,
    activity_selection,
    activity_totals,
    per_room,
    per_room_and_day,
    per_room_hour,
    per_staff_member,
    procedures_per_type,
    room_hour_totals,
    room_hours_selection,
)
from dashboards.row_limit import caption_rows
from dashboards.translate import code_column

require_page("throughput")
ACTIVITIES = ["procedure", "in_house_test", "send_out_test"]
ROOM_TYPES = ["procedure", "lab", "imaging", "exam", "sterile_processing"]
COLORS = {"procedure": "#2e86c1", "in_house_test": "#27ae60", "send_out_test": "#8e44ad"}

st.title(t("page_throughput"))
ui.data_as_of()
ui.require_data()
filters = clinic_and_dates(HOURLY, "day", "throughput")
if filters is None:
    ui.no_data()
    st.stop()
with st.sidebar:
    activities = coded_multiselect("activity_type", ACTIVITIES, ACTIVITIES, "throughput_activities", "activity_")
    room_types = coded_multiselect("room_type", ROOM_TYPES, ["procedure"], "throughput_room_types", "room_type_")

acts = activity_selection(filters.clinics, filters.start, filters.end, activities)
# Staffed hours and procedures per staffed hour: rooms of the chosen types only.
room_hours = room_hours_selection(filters.clinics, filters.start, filters.end, room_types)
totals = activity_totals(acts)
rooms = room_hour_totals(room_hours)
if totals.empty or not totals["n"].sum():
    ui.no_data()
    st.stop()

counts = dict(zip(totals["activity_type"], totals["n"].astype(int), strict=True))
r = rooms.iloc[0]
staffed = float(r["staffed_hours"]) if not pd.isna(r["staffed_hours"]) else 0.0
total = sum(counts.values())
row = ui.KpiRow(6)
row.kpi(t("kpi_procedures"), counts.get("procedure", 0), decimals=0)
row.kpi(t("kpi_in_house_tests"), counts.get("in_house_test", 0), decimals=0)
row.kpi(t("kpi_send_out_tests"), counts.get("send_out_test", 0), decimals=0)
row.kpi(t("kpi_staffed_hours"), staffed, decimals=1, help=t("help_staffed_hours"))
row.kpi(t("kpi_procedures_per_staffed_hour"), r["procedures"] / staffed if staffed else None, decimals=2,
        help=t("help_per_staffed_hour"))
row.kpi(t("kpi_activities_per_staffed_hour"), total / staffed if staffed else None, decimals=2,
        help=t("help_activities_per_staffed_hour"))


def activity_label(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(activity=code_column(frame["activity_type"], "activity_"))


color_map = {t(f"activity_{a}"): c for a, c in COLORS.items()}
activity_order = {"activity": [t(f"activity_{a}") for a in ACTIVITIES]}
per_day = activity_label(activities_by(acts, "day"))
per_hour = activity_label(activities_by(acts, "hour_of_day"))
left, right = st.columns(2)
with left, st.container(border=True):
    fig = px.bar(per_day, x="day", y="n", color="activity", title=t("chart_per_day"), color_discrete_map=color_map,
                 category_orders=activity_order,
                 labels={"day": t("day"), "n": t("activities"), "activity": ""})
    ui.chart(fig, date_x=True)
with right, st.container(border=True):
    fig = px.bar(per_hour, x="hour_of_day", y="n", color="activity", title=t("chart_per_hour"),
                 color_discrete_map=color_map, category_orders=activity_order,
                 labels={"hour_of_day": t("hour"), "n": t("activities"), "activity": ""})
    fig.update_xaxes(dtick=1)
    ui.chart(fig)

rooms_table = per_room(room_hours)
heat = per_room_hour(room_hours)
names = procedure_names(language())
per_type = procedures_per_type(acts)
per_type["procedure_type"] = per_type["activity_code"].map(names).fillna(per_type["activity_code"])
left, right = st.columns(2)
with left, st.container(border=True):
    if heat.empty or heat["per_staffed_hour"].isna().all():
        ui.no_data()
    else:
        grid = heat.pivot(index="room", columns="slot_hour", values="per_staffed_hour")
        fig = px.imshow(grid, aspect="auto", color_continuous_scale="Blues", text_auto=".1f",
                        title=t("chart_room_hour"),
                        labels={"x": t("hour"), "y": t("room"), "color": t("per_staffed_hour_unit")})
        fig.update_xaxes(dtick=1)
        ui.chart(fig, height=max(380, 140 + 26 * len(grid)))
with right, st.container(border=True):
    if per_type.empty:
        ui.no_data()
    else:
        fig = px.bar(per_type, y="procedure_type", x="n", orientation="h", title=t("chart_per_procedure_type"),
                     labels={"procedure_type": "", "n": t("procedures")})
        fig.update_xaxes(tickformat=",d", dtick=1 if per_type["n"].max() < 8 else None)
        ui.chart(fig, height=max(380, 140 + 30 * len(per_type)))

st.subheader(t("per_room"))
ui.table(rooms_table, {"room": "room", "procedures": "procedures", "staffed_hours": "staffed_hours",
                    "per_staffed_hour": "per_staffed_hour"}, "throughput_per_room.csv", key="throughput_rooms",
         decimals=2)

st.subheader(t("per_staff_member"))
per_staff, staff_total = per_staff_member(acts)
ui.table(per_staff, {"clinic_id": "clinic", "staff_id": "staff_member", "procedures": "procedures",
                     "in_house_tests": "kpi_in_house_tests", "send_out_tests": "kpi_send_out_tests", "total": "total",
                     "days": "days_active"}, "throughput_per_staff.csv", key="throughput_staff", plain=("staff_id",))
caption_rows(len(per_staff), staff_total, "order_busiest_first")

st.subheader(t("per_room_and_day"))
daily, daily_total = per_room_and_day(room_hours)
ui.table(daily, {"clinic_id": "clinic", "room_id": "room", "day": "day", "staffed_hours": "staffed_hours",
                 "procedures": "procedures", "procedures_outside_staffed_hours": "outside_staffed_hours",
                 "procedures_per_staffed_hour": "per_staffed_hour", "performers": "performers"},
         "throughput_room_daily.csv", key="throughput_daily", decimals=2)
caption_rows(len(daily), daily_total, "order_latest_first")
