"""Throughput figures for the throughput page, aggregated in DuckDB.

What counts (int_throughput_events): completed procedures at patient-in, resulted in-house and send-out tests at
collection, on the clinic's wall clock. Per staffed hour = procedures / staffed room hours from the room schedule,
summed over the selection before dividing (a ratio of sums, not a mean of daily ratios).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboards.data import query
from dashboards.queries.selection import Selection, first_rows

HOURLY = "marts.agg_throughput_hourly"
ROOM_DAILY = "marts.agg_throughput_room_daily"
ROOM_HOURLY = "marts.agg_throughput_room_hourly"
PER_STAFFED_HOUR = "round(sum(procedures) / nullif(sum(staffed_hours), 0), 2)"
ROOM = "clinic_id || ' · ' || room_id"


def activity_selection(clinics: list[str], start: date, end: date, activities: list[str]) -> Selection:
    """Activities (procedure, in-house test, send-out test) counted on days start..end."""
    return Selection(tuple(clinics), start, end, "day").with_codes(activity_type=activities)


def room_hours_selection(clinics: list[str], start: date, end: date, room_types: list[str]) -> Selection:
    """Rooms of `room_types` (staffed hours and procedures per staffed hour) on days start..end."""
    return Selection(tuple(clinics), start, end, "day").with_codes(room_type=room_types)


def activity_totals(sel: Selection) -> pd.DataFrame:
    """Per activity type: count and clinic-days with activity."""
    where, params = sel.where()
    return query(f"""SELECT activity_type, sum(activity_count) AS n, count(DISTINCT clinic_id || day) AS clinic_days
                     FROM {HOURLY} WHERE {where} GROUP BY 1""", params)


def room_hour_totals(sel: Selection) -> pd.DataFrame:
    """Procedures in the rooms, their staffed hours, and staffed clinic-days."""
    where, params = sel.where()
    return query(f"""SELECT sum(procedures) AS procedures, sum(staffed_hours) AS staffed_hours,
                            count(DISTINCT clinic_id || day) FILTER (WHERE staffed_hours > 0) AS staffed_days
                     FROM {ROOM_DAILY} WHERE {where}""", params)


def activities_by(sel: Selection, column: str) -> pd.DataFrame:
    """Activity counts per `column` ("day" or "hour_of_day") and activity type."""
    where, params = sel.where()
    assert column in ("day", "hour_of_day"), column
    return query(f"""SELECT {column}, activity_type, sum(activity_count) AS n FROM {HOURLY} WHERE {where}
                     GROUP BY ALL ORDER BY 1""", params)


def procedures_per_type(sel: Selection) -> pd.DataFrame:
    """Procedures per procedure code (nothing when procedures are not among the chosen activities)."""
    where, params = sel.where()
    return query(f"""SELECT activity_code, sum(activity_count) AS n FROM {HOURLY}
                     WHERE {where} AND activity_type = 'procedure' GROUP BY 1 ORDER BY 2""", params)


def per_room(sel: Selection) -> pd.DataFrame:
    """Per room: procedures, staffed hours, procedures per staffed hour."""
    where, params = sel.where()
    return query(f"""SELECT {ROOM} AS room, sum(procedures)::BIGINT AS procedures, sum(staffed_hours) AS staffed_hours,
                            {PER_STAFFED_HOUR} AS per_staffed_hour
                     FROM {ROOM_DAILY} WHERE {where} GROUP BY 1 ORDER BY 1""", params)


def per_room_hour(sel: Selection) -> pd.DataFrame:
    """Procedures per staffed hour per room x clock hour."""
    where, params = sel.where()
    return query(f"""SELECT {ROOM} AS room, slot_hour, {PER_STAFFED_HOUR} AS per_staffed_hour
                     FROM {ROOM_HOURLY} WHERE {where} GROUP BY ALL ORDER BY room, slot_hour""", params)


def per_staff_member(sel: Selection) -> tuple[pd.DataFrame, int]:
    """Per staff member: procedures, in-house and send-out tests, total, active days; busiest first."""
    where, params = sel.where()
    return first_rows(
        f"""(SELECT clinic_id, coalesce(staff_id, '—') AS staff_id,
                    coalesce(sum(activity_count) FILTER (WHERE activity_type = 'procedure'), 0)::BIGINT AS procedures,
                    coalesce(sum(activity_count) FILTER (WHERE activity_type = 'in_house_test'), 0)::BIGINT
                        AS in_house_tests,
                    coalesce(sum(activity_count) FILTER (WHERE activity_type = 'send_out_test'), 0)::BIGINT
                        AS send_out_tests,
                    sum(activity_count)::BIGINT AS total, count(DISTINCT day) AS days
             FROM {HOURLY} WHERE {where} GROUP BY ALL)""",
        "total DESC, staff_id, clinic_id", "*", params)


def per_room_and_day(sel: Selection) -> tuple[pd.DataFrame, int]:
    """Per room and day, most recent first."""
    where, params = sel.where()
    return first_rows(f"{ROOM_DAILY} WHERE {where}", "day DESC, clinic_id, room_id",
                      """clinic_id, room_id, day, staffed_hours, procedures, procedures_outside_staffed_hours,
                         procedures_per_staffed_hour, performers""", params)
