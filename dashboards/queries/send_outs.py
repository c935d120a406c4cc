"""Send-out figures for the send-outs page (domain-standards 1.3), aggregated in DuckDB.

Legs in calendar hours and working days on the clinic's calendar: median and 90th percentile (quantile_cont) over
reportable rows (final or corrected, no timeline error, the leg positive); % back within the reference lab's
promise; specimens open, and open past the promise, as of the clinic's latest data day (fct_lab_send_outs.as_of_date).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboards.data import query
from dashboards.queries.selection import Selection, first_rows

TABLE = "marts.fct_lab_send_outs"
MONTHLY = "marts.agg_lab_send_outs_monthly"
_OK = "is_reportable AND {leg}_hours IS NOT NULL AND NOT list_contains(invalid_intervals, '{leg}')"
_TOTAL_OK = _OK.format(leg="collection_to_result")
WITHIN_PROMISE = """100.0 * count(*) FILTER (WHERE is_within_promise)
                     / nullif(count(*) FILTER (WHERE is_within_promise IS NOT NULL), 0)"""
_LOCAL = "timezone(c.timezone, timezone('UTC', {col}))"  # UTC timestamp -> the clinic's wall clock


def send_out_selection(clinics: list[str], start: date, end: date, priorities: list[str],
                       labs: list[str] | None) -> Selection:
    """Send-outs collected start..end of some priorities, and of some reference labs (None or empty: all)."""
    return Selection(tuple(clinics), start, end, "collected_date").with_codes(priority=priorities,
                                                                              reference_lab=labs or None)


def reference_labs() -> list[str]:
    """Reference labs with send-outs, for the filter."""
    labs = query(f"SELECT DISTINCT reference_lab FROM {TABLE} WHERE reference_lab IS NOT NULL ORDER BY 1")
    return labs["reference_lab"].tolist()


def send_out_kpis(sel: Selection) -> pd.DataFrame:
    """Send-outs, open, open past promise, % within promise, median collection -> result in hours and working days."""
    where, params = sel.where()
    return query(f"""SELECT count(*) AS send_outs, count(*) FILTER (WHERE is_open) AS open,
                            count(*) FILTER (WHERE is_open_past_promise) AS overdue, {WITHIN_PROMISE} AS within_pct,
                            quantile_cont(collection_to_result_hours, 0.5) FILTER (WHERE {_TOTAL_OK}) AS median_hours,
                            quantile_cont(collection_to_result_working_days, 0.5) FILTER (WHERE {_TOTAL_OK})
                                AS median_days
                     FROM {TABLE} WHERE {where}""", params)


def send_outs_per_lab(sel: Selection) -> pd.DataFrame:
    """Per reference lab: counts, % within promise, median legs, median and p90 collection -> result."""
    where, params = sel.where()
    return query(
        f"""SELECT coalesce(reference_lab, '?') AS reference_lab, count(*) AS send_outs,
                   count(*) FILTER (WHERE is_open) AS open, count(*) FILTER (WHERE is_open_past_promise) AS overdue,
                   {WITHIN_PROMISE} AS within_promise_pct,
                   quantile_cont(collection_to_shipped_hours, 0.5)
                       FILTER (WHERE {_OK.format(leg="collection_to_shipped")}) AS median_to_shipped_hours,
                   quantile_cont(shipped_to_result_hours, 0.5)
                       FILTER (WHERE {_OK.format(leg="shipped_to_result")}) AS median_shipped_to_result_hours,
                   quantile_cont(collection_to_result_hours, 0.5) FILTER (WHERE {_TOTAL_OK}) AS median_total_hours,
                   quantile_cont(collection_to_result_hours, 0.9) FILTER (WHERE {_TOTAL_OK}) AS p90_total_hours,
                   quantile_cont(collection_to_result_working_days, 0.5) FILTER (WHERE {_TOTAL_OK})
                       AS median_total_working_days,
                   quantile_cont(collection_to_result_working_days, 0.9) FILTER (WHERE {_TOTAL_OK})
                       AS p90_total_working_days,
                   max(promised_working_days) AS promised_working_days
            FROM {TABLE} WHERE {where} GROUP BY 1 ORDER BY 1""",
        params,
    )


def within_promise_monthly(sel: Selection) -> pd.DataFrame:
    """% back within promise per month (from the month holding the first day) and reference lab."""
    monthly = Selection(sel.clinics, sel.start.replace(day=1), sel.end, "month_start", sel.codes)
    where, params = monthly.where()
    return query(f"""SELECT coalesce(reference_lab, '?') AS reference_lab, month_start,
                            100.0 * sum(n_within_promise) / nullif(sum(n_with_promise), 0) AS within_promise_pct
                     FROM {MONTHLY} WHERE {where} GROUP BY ALL ORDER BY month_start, reference_lab""", params)


def open_send_outs(sel: Selection) -> tuple[pd.DataFrame, int]:
    """Open send-outs, past the promise first, then the longest open; and how many are open."""
    where, params = sel.where()
    return first_rows(
        f"""(SELECT * FROM {TABLE} WHERE {where} AND is_open) s JOIN raw.clinics c USING (clinic_id)
            LEFT JOIN reference.lab_test_catalog cat ON cat.test_code = s.test_code""",
        "s.is_open_past_promise DESC, s.open_hours DESC, s.clinic_id, s.specimen_id",
        f"""s.clinic_id, s.specimen_id, s.test_code, coalesce(cat.test_name, s.test_code) AS test_name, s.priority,
            s.reference_lab, {_LOCAL.format(col="s.collected_at")} AS collected_at_local,
            {_LOCAL.format(col="s.shipped_at")} AS shipped_at_local, s.promised_working_days, s.open_hours,
            s.open_working_days, s.is_open_past_promise, s.as_of_date""",
        params)
