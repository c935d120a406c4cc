"""Sterility compliance figures for the sterility page (domain-standards 3.1-3.4), aggregated in DuckDB.

Rates are ratios of counts over the marts' checks (a check is compliant when it has no reason); the calendar holds
one cell per sterilizer line and day, the worst result of that day (fail > missing > pending > pass), so a failed
Bowie-Dick outranks a pass the same day. Lists hold their first rows in the order that matters, with their totals.
"""

from __future__ import annotations

import pandas as pd

from dashboards.data import query
from dashboards.queries.selection import Selection, first_rows

LOADS = "marts.fct_sterilizer_loads"
CHECKS = "marts.fct_sterility_checks"
RECALL = "marts.fct_recall_trace"
EXCEPTIONS = "marts.fct_sterility_exceptions"
WEEKLY = "marts.agg_compliance_weekly"
RESULT_RANK = {"pass": 0, "pending": 1, "missing": 2, "fail": 3}
LINE = "clinic_id || ' · ' || sterilizer_id || ' · '"


def sterility_selection(clinics: list[str], start, end) -> Selection:
    """The checks of clinics on days start..end (`.on(...)` for the loads', recalls' and exceptions' dates)."""
    return Selection(tuple(clinics), start, end, "check_date")


def _grouped(sql: str, params: list, by: str | None) -> pd.DataFrame:
    """`sql` (SELECT {group} ... WHERE ...) as one row, or one row per `by` column ("clinic_id")."""
    if by is None:
        return query(sql.format(group=""), params)
    return query(sql.format(group=f"{by}, ") + f" GROUP BY {by} ORDER BY {by}", params)


def check_kpis(sel: Selection, by: str | None = None) -> pd.DataFrame:
    """Checks, compliant checks (no reason), exceptions and % compliant: one row, or one per `by` ("clinic_id")."""
    where, params = sel.where()
    return _grouped(f"""SELECT {{group}}count(*) AS checks, count(*) FILTER (WHERE reason IS NULL) AS compliant,
                               count(*) FILTER (WHERE reason IS NOT NULL) AS exceptions,
                               100.0 * count(*) FILTER (WHERE reason IS NULL) / nullif(count(*), 0) AS compliance_pct
                        FROM {CHECKS} WHERE {where}""", params, by)


def load_kpis(sel: Selection, by: str | None = None) -> pd.DataFrame:
    """Loads, positive BIs, loads released with a failed indicator, implant loads released before their BI: one
    row, or one per `by` ("clinic_id")."""
    where, params = sel.on("cycle_date").where()
    return _grouped(f"""SELECT {{group}}count(*) FILTER (WHERE is_load) AS loads,
                               count(*) FILTER (WHERE bi_result = 'positive') AS positive_bi,
                               count(*) FILTER (WHERE is_released_with_failed_indicator) AS released_failed,
                               count(*) FILTER (WHERE NOT is_implant_release_ok) AS implant_early
                        FROM {LOADS} WHERE {where}""", params, by)


def exception_counts(sel: Selection, by: str | None = None) -> pd.DataFrame:
    """Sterility exceptions (the rows the exceptions list holds): one row, or one per `by` ("clinic_id")."""
    where, params = sel.on("exception_date").where()
    return _grouped(f"SELECT {{group}}count(*) AS exceptions FROM {EXCEPTIONS} WHERE {where}", params, by)


def sterilizer_calendar(sel: Selection) -> pd.DataFrame:
    """line ("clinic · sterilizer · BD|BI"), day, result (pass | pending | missing | fail): the worst of the day.

    Bowie-Dick per day of use (missing = the daily-test rule failed that day), BI per cycle with a reading.
    """
    where, params = sel.where()
    load_where, load_params = sel.on("cycle_date").where()
    rank = " ".join(f"WHEN '{r}' THEN {n}" for r, n in RESULT_RANK.items())
    return query(
        f"""WITH cells AS (
                SELECT {LINE} || 'BD' AS line, cycle_date AS day,
                       CASE WHEN physical_pass AND ci_result = 'pass' THEN 'pass' ELSE 'fail' END AS result
                FROM {LOADS} WHERE {load_where} AND cycle_type = 'bowie_dick'
                UNION ALL
                SELECT {LINE} || 'BD', check_date, 'missing'
                FROM {CHECKS} WHERE {where} AND rule_code = 'bowie_dick_daily' AND reason IS NOT NULL
                UNION ALL
                SELECT {LINE} || 'BI', cycle_date,
                       CASE bi_result WHEN 'negative' THEN 'pass' WHEN 'positive' THEN 'fail' ELSE 'pending' END
                FROM {LOADS} WHERE {load_where} AND bi_result IN ('negative', 'positive', 'pending'))
            SELECT line, day, arg_max(result, CASE result {rank} END) AS result
            FROM cells GROUP BY ALL ORDER BY line, day""",
        [*load_params, *params, *load_params],
    )


def compliance_weekly(sel: Selection, domains: list[str]) -> pd.DataFrame:
    """% compliant per ISO week (Monday start, from the week holding the first day) and rule domain."""
    monday = pd.Timestamp(sel.start) - pd.Timedelta(days=pd.Timestamp(sel.start).weekday())
    weekly = Selection(sel.clinics, monday.date(), sel.end, "week_start").with_codes(rule_domain=domains)
    where, params = weekly.where()
    return query(f"""SELECT week_start, rule_domain, 100.0 * sum(compliant) / nullif(sum(checks), 0) AS compliance_pct
                     FROM {WEEKLY} WHERE {where} GROUP BY ALL ORDER BY 1, 2""", params)


def loads_with_issues(sel: Selection) -> tuple[pd.DataFrame, int]:
    """Loads with an incomplete record, a failed indicator, an early implant release, a positive BI or a recall;
    most recent first."""
    where, params = sel.on("cycle_date").where()
    return first_rows(
        f"""{LOADS} WHERE {where} AND is_load AND (NOT is_record_complete OR is_released_with_failed_indicator
                 OR NOT coalesce(is_implant_release_ok, true) OR bi_result = 'positive'
                 OR recalled_by_positive_load_id IS NOT NULL)""",
        "started_at_local DESC, clinic_id, load_id",
        """clinic_id, sterilizer_id, load_id, cycle_type, started_at_local, physical_pass, ci_result, bi_result,
           is_implant_load, released_at_local, is_record_complete, is_released_with_failed_indicator,
           is_implant_release_ok, recalled_by_positive_load_id, procedures_using""", params)


def positive_bi_recalls(sel: Selection) -> tuple[pd.DataFrame, int]:
    """Per positive BI: the loads, procedures and (pseudonymous) patients it recalls; most recent first."""
    where, params = sel.on("positive_cycle_date").where()
    return first_rows(
        f"""(SELECT clinic_id, sterilizer_id, positive_load_id, positive_cycle_date,
                    count(DISTINCT load_id) AS loads, count(DISTINCT procedure_id) AS procedures,
                    count(DISTINCT patient_id) AS patients
             FROM {RECALL} WHERE {where} GROUP BY ALL)""",
        "positive_cycle_date DESC, clinic_id, positive_load_id", "*", params)


def recall_trace(sel: Selection, clinic: str, positive_load: str) -> tuple[pd.DataFrame, int]:
    """The loads and procedures one positive BI recalls, in the order they ran."""
    where, params = sel.on("positive_cycle_date").where()
    return first_rows(f"{RECALL} WHERE {where} AND clinic_id = ? AND positive_load_id = ?",
                      "load_started_at_local, performed_at_local, procedure_id",
                      """load_id, recall_position, cycle_type, load_started_at_local, load_was_released,
                         is_implant_load, procedure_id, procedure_code, room_id, performed_at_local, patient_id""",
                      [*params, clinic, positive_load])


def sterility_exceptions(sel: Selection) -> tuple[pd.DataFrame, int]:
    """Sterilization, disinfection, cleaning and patients'-rights exceptions, most recent first."""
    where, params = sel.on("exception_date").where()
    return first_rows(f"{EXCEPTIONS} WHERE {where}", "exception_date DESC, rule_domain, subject_id",
                      """clinic_id, exception_date, rule_domain, rule_code, rule_title, reason, subject_type,
                         subject_id, sterilizer_id, load_id, room_id, device_id, procedure_id, detail, rule_source""",
                      params)
