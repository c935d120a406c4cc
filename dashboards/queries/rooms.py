"""Procedure-room figures, each defined once: the room usage page and the overview read them from here.

Raw utilization after the AACD glossary (domain-standards 2.1): in-room minutes within staffed hours / staffed
minutes, a ratio of sums over the selection (not a mean of ratios). Turnover, prolonged turnover (Dexter 2005) and
first case on time (FCOTS) as fct_room_occupancy defines them, over occupancies without a timeline error. The
turnover distribution is binned here, so the page draws bars, not 1.5 M turnovers.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboards.data import query
from dashboards.queries.selection import Selection, first_rows

HOURLY = "marts.agg_room_utilization_hourly"
DAILY = "marts.agg_room_utilization_daily"
OCCUPANCY = "marts.fct_room_occupancy"
TURNOVER_BINS = 40

UTILIZATION = "100.0 * sum(occupied_min) / nullif(sum(staffed_min), 0)"
OCCUPANCY_STATS = """count(*) AS occupancies, quantile_cont(turnover_to_next_min, 0.5) AS median_turnover,
       100.0 * avg(is_first_case_on_time::INTEGER) AS first_case_pct"""
ROOM = "clinic_id || ' · ' || room_id"


def room_selection(clinics: list[str], start: date, end: date, room_types: list[str]) -> Selection:
    """Rooms of `room_types` on days start..end (date column `day`; `.on('occupancy_date')` for occupancies)."""
    return Selection(tuple(clinics), start, end, "day").with_codes(room_type=room_types)


def _valid_occupancies(sel: Selection) -> tuple[str, list]:
    where, params = sel.on("occupancy_date").where()
    return f"NOT has_timeline_error AND {where}", params


def room_utilization(sel: Selection, by: str | None = None) -> pd.DataFrame:
    """Staffed and occupied minutes and raw utilization (%): one row, or one per clinic (`by="clinic_id"`)."""
    where, params = sel.where()
    group = f"{by}, " if by else ""
    tail = f" GROUP BY {by} ORDER BY {by}" if by else ""
    return query(f"""SELECT {group}sum(staffed_min) AS staffed, sum(occupied_min) AS occupied,
                            {UTILIZATION} AS utilization_pct
                     FROM {DAILY} WHERE {where}{tail}""", params)


def occupancy_kpis(sel: Selection, by: str | None = None) -> pd.DataFrame:
    """Occupancies, median turnover, % first cases on time: one row, or one per clinic (`by="clinic_id"`)."""
    where, params = _valid_occupancies(sel)
    group = f"{by}, " if by else ""
    tail = f" GROUP BY {by} ORDER BY {by}" if by else ""
    return query(f"SELECT {group}{OCCUPANCY_STATS} FROM {OCCUPANCY} WHERE {where}{tail}", params)


def utilization_by_room_hour(sel: Selection) -> pd.DataFrame:
    """Raw utilization (%, 1 decimal) per room ("clinic · room") x clock hour."""
    where, params = sel.where()
    return query(f"""SELECT {ROOM} AS room, slot_hour, round({UTILIZATION}, 1) AS utilization_pct
                     FROM {HOURLY} WHERE {where} GROUP BY ALL ORDER BY room, slot_hour""", params)


def turnover_histogram(sel: Selection, bins: int = TURNOVER_BINS) -> pd.DataFrame:
    """Turnovers counted per bin and prolonged / not: bin_start, bin_width (whole minutes, at least 1, about
    `bins` bins from the shortest to the longest turnover), is_prolonged, turnovers."""
    where, params = _valid_occupancies(sel)
    return query(
        f"""WITH t AS (SELECT turnover_to_next_min AS m, coalesce(is_prolonged_turnover, false) AS is_prolonged
                       FROM {OCCUPANCY} WHERE {where} AND turnover_to_next_min IS NOT NULL),
                 w AS (SELECT floor(min(m)) AS lo, greatest(1, ceil((max(m) - floor(min(m))) / ?)) AS width FROM t)
            SELECT w.lo + floor((t.m - w.lo) / w.width) * w.width AS bin_start, any_value(w.width) AS bin_width,
                   t.is_prolonged, count(*) AS turnovers
            FROM t, w GROUP BY ALL ORDER BY 1, 3""",
        [*params, bins],
    )


def prolonged_turnovers(sel: Selection, limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """Turnovers above the room's usual (Dexter 2005), longest first; and how many there are."""
    where, params = _valid_occupancies(sel)
    return first_rows(f"{OCCUPANCY} WHERE {where} AND is_prolonged_turnover",
                      "turnover_to_next_min DESC, occupancy_date DESC, clinic_id, room_id",
                      """clinic_id, room_id, occupancy_date, procedure_id, next_procedure_id, patient_out_at_local,
                         turnover_to_next_min, baseline_mean_turnover_min""", params, limit)


def first_cases(sel: Selection, limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """First cases of the day, late ones first (most delayed, then most recent); and how many there are."""
    where, params = _valid_occupancies(sel)
    return first_rows(f"{OCCUPANCY} WHERE {where} AND is_first_case_of_day AND is_first_case_on_time IS NOT NULL",
                      "is_first_case_on_time, first_case_delay_min DESC, occupancy_date DESC, clinic_id, room_id",
                      """clinic_id, room_id, occupancy_date, procedure_id, scheduled_start_at_local,
                         patient_in_at_local, first_case_delay_min, is_first_case_on_time""", params, limit)


def daily_utilization(sel: Selection, limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """Per room and day, most recent first; and how many rows there are."""
    where, params = sel.where()
    return first_rows(f"{DAILY} WHERE {where}", "day DESC, clinic_id, room_id",
                      "clinic_id, room_id, day, staffed_min, occupied_min, raw_utilization_pct", params, limit)


def staffed_days(sel: Selection) -> list[date]:
    """Days with staffed rooms in the selection, oldest first."""
    where, params = sel.where()
    days = query(f"SELECT DISTINCT day FROM {HOURLY} WHERE {where} ORDER BY day", params)["day"]
    return [d.date() if hasattr(d, "date") else d for d in days]


def latest_busy_day(sel: Selection) -> date | None:
    """The latest day with a valid occupancy in the selection."""
    where, params = _valid_occupancies(sel)
    busy = query(f"SELECT max(occupancy_date) AS d FROM {OCCUPANCY} WHERE {where}", params)["d"]
    return None if busy.empty or pd.isna(busy.iloc[0]) else pd.Timestamp(busy.iloc[0]).date()


def day_staffed_slots(sel: Selection, day: date) -> pd.DataFrame:
    """One day's staffed minutes per room and clock hour."""
    where, params = sel.where()
    return query(f"""SELECT {ROOM} AS room, slot_hour, staffed_min FROM {HOURLY} WHERE {where} AND day = ?
                     ORDER BY room, slot_hour""", [*params, day])


def day_cases(sel: Selection, day: date) -> pd.DataFrame:
    """One day's valid occupancies with their cleaning, per room, on the clinic's wall clock."""
    where, params = _valid_occupancies(sel)
    return query(f"""SELECT {ROOM} AS room, procedure_id, procedure_code, patient_in_at_local, patient_out_at_local,
                            cleaning_start_at_local, cleaning_end_at_local
                     FROM {OCCUPANCY} WHERE {where} AND occupancy_date = ? ORDER BY room, patient_in_at_local""",
                 [*params, day])
