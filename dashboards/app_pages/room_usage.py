"""Room usage: are procedure rooms used, and where do turnovers drag? (clinic managers)

Raw utilization after the AACD glossary (domain-standards 2.1): patient-in-room minutes within staffed
hours / staffed minutes, summed over the selection before dividing (a ratio of sums, not a mean of ratios).
Turnover and prolonged turnover (Dexter 2005), first case on time (FCOTS) as fct_room_occupancy defines them; the day
timeline shows, for one day, each room's occupancies, cleanings and the idle staffed time between them.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import targets, ui
from dashboards.auth import require_page
from dashboards.data import procedure_names, query
from dashboards.filters import clinic_and_dates, coded_multiselect, localized_key
from dashboards.i18n import fmt_date, language, t

require_page("room_usage")
HOURLY = "marts.agg_room_utilization_hourly"
OCCUPANCY = "marts.fct_room_occupancy"
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

# Turnovers above the room's usual (Dexter 2005: > the 28-day mean + 10 minutes) and first cases of the day.
prolonged = query(
    f"""SELECT clinic_id, room_id, occupancy_date, procedure_id, next_procedure_id,
               patient_out_at_local, turnover_to_next_min, baseline_mean_turnover_min
        FROM {OCCUPANCY} WHERE {occ_where} AND is_prolonged_turnover
        ORDER BY turnover_to_next_min DESC, occupancy_date DESC""",
    occ_params,
)
first_cases = query(
    f"""SELECT clinic_id, room_id, occupancy_date, procedure_id, scheduled_start_at_local, patient_in_at_local,
               first_case_delay_min, is_first_case_on_time
        FROM {OCCUPANCY} WHERE {occ_where} AND is_first_case_of_day AND is_first_case_on_time IS NOT NULL
        ORDER BY is_first_case_on_time, first_case_delay_min DESC, occupancy_date DESC""",
    occ_params,
)
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
with right:
    st.subheader(t("first_cases"))
    if first_cases.empty:
        st.caption(t("no_data"))
    else:
        ui.table(first_cases, {"clinic_id": "clinic", "room_id": "room", "occupancy_date": "day",
                               "procedure_id": "procedure", "scheduled_start_at_local": "scheduled_start",
                               "patient_in_at_local": "patient_in", "first_case_delay_min": "first_case_delay",
                               "is_first_case_on_time": "on_time"},
                 "first_cases.csv", key="rooms_first_cases", plain=("procedure_id",))

# One day, every room: occupied (patient in -> out), cleaning after a case, and staffed time with neither (idle).
st.subheader(t("day_timeline"))
days = query(f"SELECT DISTINCT day FROM {HOURLY} WHERE {where} ORDER BY day", params)["day"]
days = [d.date() if hasattr(d, "date") else d for d in days]
busy = query(f"SELECT max(occupancy_date) AS d FROM {OCCUPANCY} WHERE {occ_where}", occ_params)["d"]
default_day = busy.iloc[0].date() if not busy.empty and not pd.isna(busy.iloc[0]) else days[-1]
options = sorted(set(days) | {default_day}, reverse=True)
# Options are the dates as the user reads them (AppTest re-runs a selectbox by its labels, not via format_func).
labels = {fmt_date(d): d for d in options}
day_key = localized_key("rooms_day")
if st.session_state.get(day_key) not in labels:  # first visit, or the filters moved: the latest busy day
    st.session_state[day_key] = fmt_date(default_day)
day = labels[st.selectbox(t("day"), list(labels), key=day_key, width=220)]
segments = timeline_segments(
    query(f"""SELECT clinic_id || ' · ' || room_id AS room, slot_hour, staffed_min
              FROM {HOURLY} WHERE {where} AND day = ? ORDER BY room, slot_hour""", [*params, day]),
    query(f"""SELECT clinic_id || ' · ' || room_id AS room, procedure_id, procedure_code,
                     patient_in_at_local, patient_out_at_local, cleaning_start_at_local, cleaning_end_at_local
              FROM {OCCUPANCY} WHERE {occ_where} AND occupancy_date = ? ORDER BY room, patient_in_at_local""",
          [*occ_params, day]),
    day,
    procedure_names(language()),
)
with st.container(border=True):
    if segments.empty:
        ui.no_data()
    else:
        segments["kind_label"] = segments["kind"].map(lambda k: t(f"segment_{k}"))
        fig = px.timeline(segments, x_start="start", x_end="end", y="room", color="kind_label",
                          hover_data={"detail": True, "minutes": ":.0f", "kind_label": False},
                          title=t("chart_day_timeline", day=fmt_date(day)),
                          labels={"room": "", "kind_label": "", "detail": t("detail"), "minutes": t("minutes"),
                                  "start": t("start"), "end": t("end")},
                          color_discrete_map={t(f"segment_{k}"): c for k, c in SEGMENT_COLORS.items()},
                          category_orders={"kind_label": [t(f"segment_{k}") for k in SEGMENT_COLORS],
                                           "room": sorted(segments["room"].unique())})
        fig.update_xaxes(tickformat="%H:%M", hoverformat="%H:%M", dtick=3600 * 1000, title_text=t("clock_time"))
        ui.chart(fig, height=max(260, 140 + 48 * segments["room"].nunique()))
        ui.table(segments, {"room": "room", "kind_label": "segment", "start": "start", "end": "end",
                            "minutes": "minutes", "detail": "detail"},
                 f"room_timeline_{day.isoformat()}.csv", key="rooms_timeline", decimals=0)

st.subheader(t("daily_utilization"))
daily = query(
    f"""SELECT clinic_id, room_id, day, staffed_min, occupied_min, raw_utilization_pct
        FROM marts.agg_room_utilization_daily WHERE {where} ORDER BY day DESC, clinic_id, room_id""",
    params,
)
ui.table(daily, {"clinic_id": "clinic", "room_id": "room", "day": "day", "staffed_min": "staffed_min",
                 "occupied_min": "occupied_min", "raw_utilization_pct": "utilization_pct"},
         "room_utilization_daily.csv", key="rooms_daily")
