"""Throughput: how many procedures and tests per day, hour, staff member, room and procedure type, and per staffed
hour? (clinic managers)

What counts (int_throughput_events): completed procedures at patient-in, resulted in-house and send-out tests at
collection, on the clinic's wall clock. Per staffed hour = procedures / staffed room hours from the room schedule,
summed over the selection before dividing (a ratio of sums, not a mean of daily ratios).
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import ui
from dashboards.auth import require_page
from dashboards.data import procedure_names, query
from dashboards.filters import clinic_and_dates, coded_multiselect
from dashboards.i18n import language, t

require_page("throughput")
HOURLY = "marts.agg_throughput_hourly"
ROOM_DAILY = "marts.agg_throughput_room_daily"
ROOM_HOURLY = "marts.agg_throughput_room_hourly"
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

where, params = filters.where("day")
act_where, act_params = where + " AND list_contains(?, activity_type)", [*params, activities]
# Staffed hours and procedures per staffed hour: rooms of the chosen types only.
room_where, room_params = where + " AND list_contains(?, room_type)", [*params, room_types]

totals = query(
    f"""SELECT activity_type, sum(activity_count) AS n, count(DISTINCT clinic_id || day) AS clinic_days
        FROM {HOURLY} WHERE {act_where} GROUP BY 1""",
    act_params,
)
rooms = query(
    f"""SELECT sum(procedures) AS procedures, sum(staffed_hours) AS staffed_hours,
               count(DISTINCT clinic_id || day) FILTER (WHERE staffed_hours > 0) AS staffed_days
        FROM {ROOM_DAILY} WHERE {room_where}""",
    room_params,
)
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
    return frame.assign(activity=frame["activity_type"].map(lambda a: t(f"activity_{a}")))


color_map = {t(f"activity_{a}"): c for a, c in COLORS.items()}
activity_order = {"activity": [t(f"activity_{a}") for a in ACTIVITIES]}
per_day = activity_label(query(
    f"SELECT day, activity_type, sum(activity_count) AS n FROM {HOURLY} WHERE {act_where} GROUP BY ALL ORDER BY 1",
    act_params,
))
per_hour = activity_label(query(
    f"""SELECT hour_of_day, activity_type, sum(activity_count) AS n FROM {HOURLY} WHERE {act_where}
        GROUP BY ALL ORDER BY 1""",
    act_params,
))
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

per_room = query(
    f"""SELECT clinic_id || ' · ' || room_id AS room, sum(procedures)::BIGINT AS procedures,
               sum(staffed_hours) AS staffed_hours,
               round(sum(procedures) / nullif(sum(staffed_hours), 0), 2) AS per_staffed_hour
        FROM {ROOM_DAILY} WHERE {room_where} GROUP BY 1 ORDER BY 1""",
    room_params,
)
heat = query(
    f"""SELECT clinic_id || ' · ' || room_id AS room, slot_hour,
               round(sum(procedures) / nullif(sum(staffed_hours), 0), 2) AS per_staffed_hour
        FROM {ROOM_HOURLY} WHERE {room_where} GROUP BY ALL ORDER BY room, slot_hour""",
    room_params,
)
names = procedure_names(language())
per_type = query(
    f"""SELECT activity_code, sum(activity_count) AS n FROM {HOURLY}
        WHERE {where} AND activity_type = 'procedure' AND list_contains(?, 'procedure') GROUP BY 1 ORDER BY 2""",
    [*params, activities],
)
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
ui.table(per_room, {"room": "room", "procedures": "procedures", "staffed_hours": "staffed_hours",
                    "per_staffed_hour": "per_staffed_hour"}, "throughput_per_room.csv", key="throughput_rooms",
         decimals=2)

st.subheader(t("per_staff_member"))
per_staff = query(
    f"""SELECT clinic_id, coalesce(staff_id, '—') AS staff_id,
               sum(activity_count) FILTER (WHERE activity_type = 'procedure') AS procedures,
               sum(activity_count) FILTER (WHERE activity_type = 'in_house_test') AS in_house_tests,
               sum(activity_count) FILTER (WHERE activity_type = 'send_out_test') AS send_out_tests,
               sum(activity_count)::BIGINT AS total,
               count(DISTINCT day) AS days
        FROM {HOURLY} WHERE {act_where} GROUP BY ALL ORDER BY total DESC, staff_id""",
    act_params,
)
for col in ("procedures", "in_house_tests", "send_out_tests"):
    per_staff[col] = per_staff[col].fillna(0).astype(int)
ui.table(per_staff, {"clinic_id": "clinic", "staff_id": "staff_member", "procedures": "procedures",
                     "in_house_tests": "kpi_in_house_tests", "send_out_tests": "kpi_send_out_tests", "total": "total",
                     "days": "days_active"}, "throughput_per_staff.csv", key="throughput_staff", plain=("staff_id",))

st.subheader(t("per_room_and_day"))
daily = query(
    f"""SELECT clinic_id, room_id, day, staffed_hours, procedures, procedures_outside_staffed_hours,
               procedures_per_staffed_hour, performers
        FROM {ROOM_DAILY} WHERE {room_where} ORDER BY day DESC, clinic_id, room_id""",
    room_params,
)
ui.table(daily, {"clinic_id": "clinic", "room_id": "room", "day": "day", "staffed_hours": "staffed_hours",
                 "procedures": "procedures", "procedures_outside_staffed_hours": "outside_staffed_hours",
                 "procedures_per_staffed_hour": "per_staffed_hour", "performers": "performers"},
         "throughput_room_daily.csv", key="throughput_daily", decimals=2)
