"""Rapid-test turnaround figures, each defined once: the lab page, the overview and the bench read them from here.

Collection -> result after laboratory practice (domain-standards 1.2, Hawkins 2007): median and 90th percentile
with linear interpolation (quantile_cont), % within the test's target, % resulted before the patient left, over the
rows `fct_lab_turnaround` marks `is_countable` (domain-standards 1.4). The box plot's quartiles and whiskers are
computed here too (Tukey: whiskers at the furthest values within 1.5 x IQR of the quartiles, as plotly draws them),
so no page ships the specimens to the browser.
"""

from __future__ import annotations

import pandas as pd

from dashboards.data import query
from dashboards.queries.selection import Selection, first_rows

TABLE = "marts.fct_lab_turnaround"
SLOWEST_ROWS = 100

# The one definition of the page's turnaround statistics.
TURNAROUND_STATS = """count(*) AS tests,
       quantile_cont(collection_to_result_min, 0.5) AS median_min,
       quantile_cont(collection_to_result_min, 0.9) AS p90_min,
       100.0 * avg(is_within_target::INTEGER) AS within_pct,
       100.0 * avg(resulted_before_departure::INTEGER) AS before_left_pct,
       quantile_disc(target_minutes, 0.5) AS typical_target"""
GROUPS = {
    "clinic_id": "clinic_id",
    "week": "CAST(date_trunc('week', collected_date) AS DATE)",
}


def lab_selection(clinics: list[str], start, end, *, site: str, priorities: list[str] | None = None,
                  tests: list[str] | None = None) -> Selection:
    """Countable specimens of one performing site, optionally of some priorities and tests."""
    return Selection(tuple(clinics), start, end, "collected_date").with_codes(
        performing_site=[site], priority=priorities, test_code=tests or None)


def _countable(sel: Selection) -> tuple[str, list]:
    where, params = sel.where()
    return f"is_countable AND {where}", params


def lab_turnaround_kpis(sel: Selection, by: str | None = None) -> pd.DataFrame:
    """Tests, median, p90, % within target, % before the patient left, typical target: one row, or one per `by`
    ("clinic_id", "week"; the group column is named after it)."""
    where, params = _countable(sel)
    if by is None:
        return query(f"SELECT {TURNAROUND_STATS} FROM {TABLE} WHERE {where}", params)
    return query(f"SELECT {GROUPS[by]} AS {by}, {TURNAROUND_STATS} FROM {TABLE} WHERE {where} GROUP BY 1 ORDER BY 1",
                 params)


def lab_turnaround_boxes(sel: Selection) -> pd.DataFrame:
    """Per test: n, q1, median, q3, the whiskers (lower_fence, upper_fence) and the count of outliers beyond them."""
    where, params = _countable(sel)
    return query(
        f"""WITH v AS (SELECT test_code, collection_to_result_min AS m FROM {TABLE} WHERE {where}),
                 q AS (SELECT test_code, count(*) AS n, quantile_cont(m, 0.25) AS q1, quantile_cont(m, 0.5) AS median,
                              quantile_cont(m, 0.75) AS q3
                       FROM v GROUP BY 1)
            SELECT q.test_code, q.n, q.q1, q.median, q.q3,
                   min(v.m) FILTER (WHERE v.m >= q.q1 - 1.5 * (q.q3 - q.q1)) AS lower_fence,
                   max(v.m) FILTER (WHERE v.m <= q.q3 + 1.5 * (q.q3 - q.q1)) AS upper_fence,
                   count(*) FILTER (WHERE v.m < q.q1 - 1.5 * (q.q3 - q.q1)
                                       OR v.m > q.q3 + 1.5 * (q.q3 - q.q1)) AS outliers
            FROM v JOIN q USING (test_code) GROUP BY ALL ORDER BY 1""",
        params,
    )


def lab_targets(sel: Selection) -> pd.DataFrame:
    """Each test's target minutes per priority (the largest, should a catalog change within the range)."""
    where, params = _countable(sel)
    return query(f"SELECT test_code, priority, max(target_minutes) AS target_minutes FROM {TABLE} WHERE {where} "
                 "GROUP BY ALL ORDER BY ALL", params)


def lab_within_target_by_hour(sel: Selection) -> pd.DataFrame:
    """% within target and tests per weekday (1 = Monday) x hour of collection, one row per cell with tests."""
    where, params = _countable(sel)
    return query(f"""SELECT collected_weekday AS weekday, collected_hour AS hour, count(*) AS tests,
                            100.0 * avg(is_within_target::INTEGER) AS within_pct
                     FROM {TABLE} WHERE {where} GROUP BY ALL ORDER BY 1, 2""", params)


def lab_tests(site: str) -> pd.DataFrame:
    """Tests (code, the mart's name) with specimens of `site`, for the test filter."""
    return query(f"SELECT DISTINCT test_code, test_name FROM {TABLE} WHERE performing_site = ? ORDER BY 2", [site])


_LOCAL = "timezone(c.timezone, timezone('UTC', {ts}))"  # UTC timestamp -> the clinic's wall clock
_RECEIVED = "s.collected_at + to_seconds(s.collection_to_receipt_min * 60)"
_VERIFIED = f"{_RECEIVED} + to_seconds(s.receipt_to_verified_min * 60)"
SLOWEST_COLUMNS = f"""s.clinic_id, s.specimen_id, s.test_code, s.test_name, s.priority,
       {_LOCAL.format(ts="s.collected_at - to_seconds(s.order_to_collection_min * 60)")} AS ordered_at_local,
       {_LOCAL.format(ts="s.collected_at")} AS collected_at_local,
       {_LOCAL.format(ts=_RECEIVED)} AS received_at_local,
       {_LOCAL.format(ts="s.result_at")} AS result_at_local,
       {_LOCAL.format(ts=_VERIFIED)} AS verified_at_local,
       {_LOCAL.format(ts=_VERIFIED + " + to_seconds(s.result_to_review_min * 60)")} AS reviewed_at_local,
       {_LOCAL.format(ts="s.departed_at")} AS departed_at_local,
       s.collection_to_result_min, s.target_minutes, s.is_within_target, s.resulted_before_departure"""


def lab_slowest(sel: Selection, limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """The `limit` slowest countable specimens with every timestamp on the clinic's clock, and how many there are.

    Order, receipt, verification and review are the mart's intervals added to the collection time (the mart keeps
    intervals, not those timestamps). No patient key: specimen ids are the drill-down key.
    """
    where, params = _countable(sel)
    return first_rows(f"(SELECT * FROM {TABLE} WHERE {where}) s JOIN raw.clinics c USING (clinic_id)",
                      "s.collection_to_result_min DESC, s.clinic_id, s.specimen_id", SLOWEST_COLUMNS, params,
                      limit or SLOWEST_ROWS)
