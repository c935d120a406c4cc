"""What the overview needs beyond the detail pages' loaders: the weeks and days with data in the sections a role
sees, and the flagged timelines per clinic (lab specimens and room occupancies the marts leave out of the
statistics for an impossible timeline)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboards.data import query

LAB = "marts.fct_lab_turnaround"
OCCUPANCY = "marts.fct_room_occupancy"
# Each section's tables with data days: (table, date column).
SECTION_DAYS = {
    "lab": [(LAB, "collected_date")],
    "rooms": [(OCCUPANCY, "occupancy_date"), ("marts.agg_room_utilization_daily", "day")],
    "competency": [("marts.fct_competency_status_daily", "status_date")],
    "sterility": [("marts.fct_sterility_checks", "check_date")],
    "quality": [(LAB, "collected_date"), (OCCUPANCY, "occupancy_date")],
}


def _days(sections: list[str]) -> str:
    tables = dict.fromkeys(pair for s in sections for pair in SECTION_DAYS[s])  # each table once, in order
    return " UNION ALL ".join(f"SELECT clinic_id, {column} AS d FROM {table}" for table, column in tables)


def weeks_with_data(sections: list[str]) -> pd.DataFrame:
    """clinic_id, week (Monday) for every ISO week a clinic has data in one of `sections`."""
    return query(f"SELECT DISTINCT clinic_id, CAST(date_trunc('week', d) AS DATE) AS week FROM ({_days(sections)}) "
                 "WHERE d IS NOT NULL")


def latest_day(sections: list[str], clinics: list[str], start: date, end: date) -> date | None:
    """The latest day start..end on which one of `clinics` has data in one of `sections`."""
    latest = query(f"SELECT max(d) AS d FROM ({_days(sections)}) WHERE list_contains(?, clinic_id) "
                   "AND d BETWEEN ? AND ?", [clinics, start, end])["d"]
    return None if latest.empty or pd.isna(latest.iloc[0]) else pd.Timestamp(latest.iloc[0]).date()


def flagged_timelines(clinics: list[str], start: date, end: date) -> pd.DataFrame:
    """Per clinic: lab specimens and room occupancies start..end flagged with an impossible timeline."""
    return query(f"""SELECT clinic_id, count(*) AS flagged FROM (
                         SELECT clinic_id FROM {LAB} WHERE has_timeline_error AND collected_date BETWEEN ? AND ?
                         UNION ALL
                         SELECT clinic_id FROM {OCCUPANCY}
                         WHERE has_timeline_error AND occupancy_date BETWEEN ? AND ?)
                     WHERE list_contains(?, clinic_id) GROUP BY ALL""", [start, end, start, end, clinics])
