"""Room usage: are procedure rooms used, and where do turnovers drag? (clinic managers)

The figures are defined in dashboards/queries/rooms.py: raw utilization after the AACD glossary (domain-standards
2.1, a ratio of sums), turnover and prolonged turnover (Dexter 2005), first case on time (FCOTS), and the turnover
distribution binned in DuckDB. The day timeline shows, for one day, each room's occupancies, cleanings and the idle
staffed time between them. Lists show their first rows in the order that matters, with how many there are.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards import targets, ui
from dashboards.auth import require_page
from dashboards.data import clinic_names, procedure_names
from dashboards.filters import clinic_and_dates, coded_multiselect, localized_key
from dashboards.i18n import fmt_date, language, t
from dashboards.queries.rooms import (
    HOURLY,
    daily_utilization,
    day_cases,
    day_staffed_slots,
    first_cases,
    latest_busy_day,
    occupancy_kpis,
    prolonged_turnovers,
    room_selection,
    room_utilization,
    staffed_days,
    turnover_histogram,
    utilization_by_room_hour,
)
from dashboards.row_limit import caption_rows

require_page("room_usage")
ROOM_TYPES = ["procedure", "lab", "imaging", "exam", "sterile_processing"]
SEGMENT_COLORS = {"occupied": "#2e86c1", "cleaning": "#f39c12", "idle": "#d5d8dc"}


def timeline_segments(staffed: pd.DataFrame, cases: pd.DataFrame, day: date,
                      names: dict[str, str] | None = None) -> pd.DataFrame:
    """Occupied, cleaning and idle segments per room for one day (wall clock).

    Staffed windows come from the hourly slots' staffed minutes: consecutive slots form one window, a partly staffed
    first slot is staffed at its end and a partly staffed last slot at its start (rooms open and close once per
    window). Idle = staffed time with no patient in the room and no cleaning.
    """
    rows: list[dict] = []
    midnight = pd.Timestamp(day)
    windows: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    for room, slots in staffed.groupby("room", sort=True):
        runs: list[list[tuple[int, float]]] = []
        for hour, minutes in zip(slots["slot_hour"], slots["staffed_min"], strict=True):
            if runs and runs[-1][-1][0] == hour - 1 and runs[-1][-1][1] >= 60:
                runs[-1].append((int(hour), float(minutes)))
            else:
                runs.append([(int(hour), float(minutes))])
        windows[room] = []
        for run in runs:
            (first, first_min), (last, last_min) = run[0], run[-1]
            start = midnight + pd.Timedelta(minutes=first * 60 + 60 - min(first_min, 60))
            end = midnight + pd.Timedelta(minutes=last * 60 + min(last_min, 60)) if len(run) > 1 \
                else start + pd.Timedelta(minutes=min(first_min, 60))
            windows[room].append((start, end))
    busy: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    names = names or {}
    for c in cases.itertuples():
        if pd.notna(c.patient_in_at_local) and pd.notna(c.patient_out_at_local):
            name = names.get(c.procedure_code, c.procedure_code)
            rows.append({"room": c.room, "kind": "occupied", "start": c.patient_in_at_local,
                         "end": c.patient_out_at_local, "detail": f"{c.procedure_id} · {name}"})
            busy.setdefault(c.room, []).append((c.patient_in_at_local, c.patient_out_at_local))
        if pd.notna(c.cleaning_start_at_local) and pd.notna(c.cleaning_end_at_local):
            rows.append({"room": c.room, "kind": "cleaning", "start": c.cleaning_start_at_local,
                         "end": c.cleaning_end_at_local, "detail": c.procedure_id})
            busy.setdefault(c.room, []).append((c.cleaning_start_at_local, c.cleaning_end_at_local))
    for room, spans in windows.items():
        taken = sorted(busy.get(room, []))
        for start, end in spans:
            cursor = start
            for b_start, b_end in taken:
                if b_start > cursor and cursor < end:
                    rows.append({"room": room, "kind": "idle", "start": cursor, "end": min(b_start, end),
                                 "detail": ""})
                cursor = max(cursor, b_end)
            if cursor < end:
                rows.append({"room": room, "kind": "idle", "start": cursor, "end": end, "detail": ""})
    frame = pd.DataFrame(rows, columns=["room", "kind", "start", "end", "detail"])
    frame = frame[frame["end"] > frame["start"]].copy()
    frame["minutes"] = (frame["end"] - frame["start"]).dt.total_seconds() / 60
    return frame.sort_values(["room", "start", "kind"]).reset_index(drop=True)


st.title(t("page_room_usage"))
ui.data_as_of()
ui.require_data()
filters = clinic_and_dates(HOURLY, "day", "rooms")
if filters is None:
    ui.no_data()
    st.stop()
with st.sidebar:
    room_types = coded_multiselect("room_type", ROOM_TYPES, ["procedure"], "rooms_types", "room_type_")

selection = room_selection(filters.clinics, filters.start, filters.end, room_types)

util = room_utilization(selection)
if util.empty or pd.isna(util["staffed"].iloc[0]) or not util["staffed"].iloc[0]:
    ui.no_data()
    st.stop()

u, o = util.iloc[0], occupancy_kpis(selection).iloc[0]
row = ui.KpiRow(4)
row.kpi(t("kpi_utilization"), u["utilization_pct"], percent=True, band=targets.UTILIZATION_BAND_PCT)
row.kpi(t("kpi_occupancies"), o["occupancies"], decimals=0)
row.kpi(t("kpi_turnover"), o["median_turnover"], target=targets.TURNOVER_MAX_MIN, lower_is_better=True)
row.kpi(t("kpi_first_case"), o["first_case_pct"], percent=True, target=targets.FIRST_CASE_ON_TIME_PCT)

heat = utilization_by_room_hour(selection)
bins = turnover_histogram(selection)
left, right = st.columns(2)
with left, st.container(border=True):
    grid = heat.pivot(index="room", columns="slot_hour", values="utilization_pct")
    fig = px.imshow(grid, aspect="auto", color_continuous_scale="Blues", zmin=0, zmax=100, text_auto=".0f",
                    title=t("chart_heatmap"), labels={"x": t("hour"), "y": t("room"), "color": "%"})
    fig.update_xaxes(dtick=1)
    ui.chart(fig, height=max(380, 140 + 26 * len(grid)))
with right, st.container(border=True):
    fig = go.Figure()
    for prolonged, color in ((False, "#2e86c1"), (True, ui.TARGET_COLOR)):
        part = bins[bins["is_prolonged"] == prolonged]
        if not part.empty:
            fig.add_bar(x=(part["bin_start"] + part["bin_width"] / 2).tolist(), y=part["turnovers"].tolist(),
                        width=part["bin_width"].tolist(), marker_color=color,
                        name=t("prolonged") if prolonged else t("not_prolonged"))
    fig.update_layout(barmode="stack", bargap=0, title=t("chart_turnover"))
    fig.update_xaxes(title_text=t("minutes"))
    fig.update_yaxes(title_text=t("count"))
    ui.target_vline(fig, targets.TURNOVER_MAX_MIN)
    ui.chart(fig)

# Turnovers above the room's usual (Dexter 2005: > the 28-day mean + 10 minutes) and first cases of the day.
prolonged, prolonged_total = prolonged_turnovers(selection)
first, first_total = first_cases(selection)
left, right = st.columns(2)
with left:
    st.subheader(t("prolonged_turnovers"))
    if prolonged.empty:
        st.caption(t("no_prolonged"))
    else:
        ui.table(prolonged, {"clinic_id": "clinic", "room_id": "room", "occupancy_date": "day",
                             "procedure_id": "procedure", "next_procedure_id": "next_procedure",
                             "patient_out_at_local": "patient_out", "turnover_to_next_min": "turnover_min",
                             "baseline_mean_turnover_min": "baseline_turnover_min"},
                 "prolonged_turnovers.csv", key="rooms_prolonged", plain=("procedure_id", "next_procedure_id"))
        caption_rows(len(prolonged), prolonged_total, "order_longest_first")
with right:
    st.subheader(t("first_cases"))
    if first.empty:
        st.caption(t("no_data"))
    else:
        ui.table(first, {"clinic_id": "clinic", "room_id": "room", "occupancy_date": "day",
                         "procedure_id": "procedure", "scheduled_start_at_local": "scheduled_start",
                         "patient_in_at_local": "patient_in", "first_case_delay_min": "first_case_delay",
                         "is_first_case_on_time": "on_time"},
                 "first_cases.csv", key="rooms_first_cases", plain=("procedure_id",))
        caption_rows(len(first), first_total, "order_late_first")

# One day, every room of one clinic (the first chosen, by default, on its latest day with a case): occupied (patient
# in -> out), cleaning after a case, and staffed time with neither (idle). One clinic at a time keeps the chart
# readable and its payload small for a user of many clinics.
st.subheader(t("day_timeline"))
timeline_clinics = selection.clinics
if len(selection.clinics) > 1:
    names = clinic_names()
    chosen = st.selectbox(t("clinic"), list(selection.clinics), key="rooms_timeline_clinic", width=320,
                          format_func=lambda c: f"{c} · {names[c]}" if c in names else c)
    timeline_clinics = (chosen,)
one_clinic = room_selection(list(timeline_clinics), filters.start, filters.end, room_types)
days = staffed_days(one_clinic) or staffed_days(selection)
default_day = latest_busy_day(one_clinic) or days[-1]
options = sorted(set(days) | {default_day}, reverse=True)
# Options are the dates as the user reads them (AppTest re-runs a selectbox by its labels, not via format_func).
labels = {fmt_date(d): d for d in options}
day_key = localized_key("rooms_day")
if st.session_state.get(day_key) not in labels:  # first visit, or the filters moved: the latest busy day
    st.session_state[day_key] = fmt_date(default_day)
day = labels[st.selectbox(t("day"), list(labels), key=day_key, width=220)]
segments = timeline_segments(day_staffed_slots(one_clinic, day), day_cases(one_clinic, day), day,
                             procedure_names(language()))
with st.container(border=True):
    if segments.empty:
        ui.no_data()
    else:
        kinds = {k: t(f"segment_{k}") for k in SEGMENT_COLORS}
        segments["kind_label"] = segments["kind"].map(kinds)
        fig = px.timeline(segments, x_start="start", x_end="end", y="room", color="kind_label",
                          hover_data={"detail": True, "minutes": ":.0f", "kind_label": False},
                          title=t("chart_day_timeline", day=fmt_date(day)),
                          labels={"room": "", "kind_label": "", "detail": t("detail"), "minutes": t("minutes"),
                                  "start": t("start"), "end": t("end")},
                          color_discrete_map={kinds[k]: c for k, c in SEGMENT_COLORS.items()},
                          category_orders={"kind_label": list(kinds.values()),
                                           "room": sorted(segments["room"].unique())})
        fig.update_xaxes(tickformat="%H:%M", hoverformat="%H:%M", dtick=3600 * 1000, title_text=t("clock_time"))
        ui.chart(fig, height=max(260, 140 + 48 * segments["room"].nunique()))
        ui.table(segments, {"room": "room", "kind_label": "segment", "start": "start", "end": "end",
                            "minutes": "minutes", "detail": "detail"},
                 f"room_timeline_{day.isoformat()}.csv", key="rooms_timeline", decimals=0)

st.subheader(t("daily_utilization"))
daily, daily_total = daily_utilization(selection)
ui.table(daily, {"clinic_id": "clinic", "room_id": "room", "day": "day", "staffed_min": "staffed_min",
                 "occupied_min": "occupied_min", "raw_utilization_pct": "utilization_pct"},
         "room_utilization_daily.csv", key="rooms_daily")
caption_rows(len(daily), daily_total, "order_latest_first")
