"""Staff-competency lists for the staff-competency page (domain-standards: CLIA 42 CFR 493.1413(b)(8) /
493.1451(b)(8)), cut to their first rows in the order that matters, with their totals.

Status, due dates and exceptions are the marts' (fct_competency_status_daily, fct_certification_status_daily,
fct_competency_exceptions); nothing is recomputed here.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from dashboards.data import query
from dashboards.queries.selection import first_rows

STATUS = "marts.fct_competency_status_daily"
CERTS = "marts.fct_certification_status_daily"
EXCEPTIONS = "marts.fct_competency_exceptions"


def due_items(clinics: list[str], as_of: date, kinds: list[str], window_days: int) -> tuple[pd.DataFrame, int]:
    """Competencies due within `window_days` of `as_of` (or overdue) and required certifications expired, missing
    or ending within the window: most urgent first (no date first, then the earliest), then by name."""
    until = as_of + timedelta(days=window_days)
    return first_rows(
        f"""(SELECT clinic_id, staff_id, display_name, 'competency' AS item_type, competency_code AS item_code,
                    competency_name AS item, status, due_on AS due_date, days_until_due AS days_left
             FROM {STATUS}
             WHERE list_contains(?, clinic_id) AND status_date = ? AND list_contains(?, competency_kind)
               AND due_on IS NOT NULL AND due_on <= ?
             UNION ALL
             SELECT clinic_id, staff_id, display_name, 'certification', certification_code, certification_name,
                    status, valid_through, valid_through - status_date
             FROM {CERTS} WHERE list_contains(?, clinic_id) AND status_date = ? AND is_required
                   AND (status IN ('expired', 'missing') OR valid_through <= ?))""",
        "due_date NULLS FIRST, display_name, staff_id, item_code", "*",
        [clinics, as_of, kinds, until, clinics, as_of, until])


def recent_exceptions(clinics: list[str], as_of: date, days: int) -> tuple[pd.DataFrame, int]:
    """Competency exceptions of the `days` days ending `as_of`, most recent first."""
    return first_rows(
        f"{EXCEPTIONS} WHERE list_contains(?, clinic_id) AND exception_date BETWEEN ? AND ?",
        "exception_date DESC, display_name, record_id",
        """clinic_id, exception_date, staff_id, display_name, rule_code, reason, performance_type, performed_code,
           record_id, supervised_by, supervisor_id, detail""",
        [clinics, as_of - timedelta(days=days - 1), as_of])


def staff_overdue(clinics: list[str], day: date) -> pd.DataFrame:
    """Per clinic: staff with an overdue competency as of `day` (each clinic's latest status on or before it)."""
    return query(
        f"""WITH as_of AS (SELECT clinic_id, max(status_date) AS d FROM {STATUS}
                           WHERE list_contains(?, clinic_id) AND status_date <= ? GROUP BY 1)
            SELECT s.clinic_id, count(DISTINCT s.staff_id) FILTER (WHERE s.status = 'overdue') AS staff_overdue
            FROM {STATUS} s JOIN as_of ON as_of.clinic_id = s.clinic_id AND as_of.d = s.status_date
            GROUP BY 1""",
        [clinics, day])


def staff_certifications_expiring(clinics: list[str], day: date, warning_days: int) -> pd.DataFrame:
    """Per clinic: staff with a required certification expired, missing or ending within `warning_days` of the
    clinic's latest status on or before `day`."""
    return query(
        f"""WITH as_of AS (SELECT clinic_id, max(status_date) AS d FROM {CERTS}
                           WHERE list_contains(?, clinic_id) AND status_date <= ? GROUP BY 1)
            SELECT c.clinic_id, count(DISTINCT c.staff_id) AS staff_certs
            FROM {CERTS} c JOIN as_of ON as_of.clinic_id = c.clinic_id AND as_of.d = c.status_date
            WHERE c.is_required AND (c.status IN ('expired', 'missing') OR c.valid_through <= c.status_date + ?)
            GROUP BY 1""",
        [clinics, day, warning_days])


def exceptions_per_clinic(clinics: list[str], start: date, end: date) -> pd.DataFrame:
    """Per clinic: competency exceptions dated start..end."""
    return query(f"""SELECT clinic_id, count(*) AS exceptions FROM {EXCEPTIONS}
                     WHERE list_contains(?, clinic_id) AND exception_date BETWEEN ? AND ? GROUP BY 1""",
                 [clinics, start, end])


def status_span() -> pd.DataFrame:
    """Per clinic: the first and last day with a competency status."""
    return query(f"SELECT clinic_id, min(status_date) AS first, max(status_date) AS last FROM {STATUS} GROUP BY 1")


def status_matrix(clinics: list[str], as_of: date, kinds: list[str]) -> pd.DataFrame:
    """Every staff member x competency of `kinds` on `as_of`: status, dates and supervised performances."""
    return query(
        f"""SELECT clinic_id, staff_id, display_name, role, competency_code, competency_name, competency_kind, status,
                   last_assessed_on, due_on, days_until_due, due_for, signed_off_on, supervised_performances_logged,
                   supervised_performances_needed
            FROM {STATUS}
            WHERE list_contains(?, clinic_id) AND status_date = ? AND list_contains(?, competency_kind)
            ORDER BY clinic_id, display_name, competency_name""",
        [clinics, as_of, kinds])


def status_history(clinics: list[str], staff_id: str, as_of: date, kinds: list[str]) -> pd.DataFrame:
    """One staff member's status per competency of `kinds` and day, up to `as_of`."""
    return query(
        f"""SELECT status_date, competency_code, competency_name, status, due_on, days_until_due, last_assessed_on
            FROM {STATUS}
            WHERE list_contains(?, clinic_id) AND staff_id = ? AND status_date <= ?
              AND list_contains(?, competency_kind)
            ORDER BY competency_name, status_date""",
        [clinics, staff_id, as_of, kinds])
