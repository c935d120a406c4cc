"""The Data quality page's loaders: every figure aggregated in DuckDB, and only the rows the page shows.

The network's ingest log and quarantine can hold hundreds of thousands of rows; the page needs a handful of
totals, a chart of a few files, reasons grouped by code and the most recent rows of each detail table. Codes
(status, record type, quarantine reason, timeline flag, test name) are translated in SQL from one map per
label prefix, never per row in Python. Each detail loader returns its rows with `total`, the number of rows the
selection has, for the table's "showing N of M".
"""

from __future__ import annotations

import pandas as pd

from dashboards.data import has_table, query, test_names
from dashboards.i18n import LABELS, language, t

LAB = "marts.fct_lab_turnaround"
OCCUPANCY = "marts.fct_room_occupancy"
CHART_FILES = 20  # the files with the most quarantined rows in the per-file chart


class Params:
    """Bound parameters for one query: `bind(value)` returns its `$n`; `label(expr, prefix)` translates a code."""

    def __init__(self, *values: object):
        self.values: list[object] = list(values)

    def bind(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}"

    def label(self, expr: str, prefix: str) -> str:
        """SQL: `expr` as its label `<prefix><code>` in the chosen language (a code without a label stays)."""
        codes = [key.removeprefix(prefix) for key in LABELS if key.startswith(prefix)]
        return self.mapped(expr, dict(zip(codes, (t(prefix + code) for code in codes), strict=True)))

    def mapped(self, expr: str, names: dict[str, str]) -> str:
        """SQL: `expr` looked up in `names` (bound as one MAP), itself where it has no entry."""
        lookup = f"MAP({self.bind(list(names))}::VARCHAR[], {self.bind(list(names.values()))}::VARCHAR[])"
        return f"coalesce(map_extract({lookup}, {expr})[1], {expr})"

    def label_list(self, expr: str, prefix: str) -> str:
        """SQL: a list of codes as their labels joined with commas (NULL stays NULL)."""
        return f"array_to_string(list_transform({expr}, lambda c: {self.label('c', prefix)}), ', ')"


def flag_sources() -> list[str]:
    """The marts with flagged timelines this serving copy has."""
    return [s for s in (LAB, OCCUPANCY) if has_table(s)]


def record_types() -> list[str]:
    return query("SELECT DISTINCT record_type FROM raw.ingest_log ORDER BY 1")["record_type"].tolist()


def ingest_totals(types: list[str]) -> pd.Series:
    """Files, rows read / loaded / quarantined and % of files reconciled (read = loaded + quarantined)."""
    return query(
        """SELECT count(*) AS files, coalesce(sum(rows_read), 0) AS rows_read,
                  coalesce(sum(rows_loaded), 0) AS rows_loaded, coalesce(sum(rows_quarantined), 0) AS rows_quarantined,
                  100.0 * avg(CASE WHEN rows_read = rows_loaded + rows_quarantined OR status = 'context'
                                   THEN 1 ELSE 0 END) AS reconciled
           FROM raw.ingest_log WHERE list_contains($1, record_type)""", [types]).iloc[0]


def files_chart(types: list[str]) -> pd.DataFrame:
    """Loaded and quarantined rows of the CHART_FILES files with the most quarantined rows (then most recent)."""
    return query(
        """SELECT file_name, sum(rows_loaded) AS rows_loaded, sum(rows_quarantined) AS rows_quarantined
           FROM raw.ingest_log WHERE list_contains($1, record_type)
           GROUP BY file_name ORDER BY rows_quarantined DESC, max(finished_at) DESC, file_name LIMIT $2""",
        [types, CHART_FILES])


def ingest_log(types: list[str], limit: int) -> pd.DataFrame:
    """The most recent `limit` rows of the ingest log, status and record type translated, with `total`."""
    p = Params(types, limit)
    return query(
        f"""SELECT file_name, {p.label('record_type', 'record_type_')} AS record_type,
                   {p.label('status', 'status_')} AS status, rows_read, rows_loaded, rows_new, rows_unchanged,
                   rows_superseded, rows_quarantined, rows_flagged,
                   (rows_read = rows_loaded + rows_quarantined OR status = 'context') AS reconciled,
                   finished_at, count(*) OVER () AS total
            FROM raw.ingest_log WHERE list_contains($1, record_type)
            ORDER BY finished_at DESC, file_name LIMIT $2""", p.values)


# Quarantined rows of the chosen record types and clinics; rows of no clinic (administrators only) stay in.
QUARANTINE_FILTER = "list_contains($1, record_type) AND (list_contains($2, clinic_id) OR clinic_id IS NULL)"


def quarantine_reasons(types: list[str], clinics: list[str]) -> pd.DataFrame:
    """Quarantined rows per reason code and record type, both translated."""
    p = Params(types, clinics)
    return query(
        f"""SELECT {p.label('reason_code', 'qreason_')} AS reason_code,
                   {p.label('record_type', 'record_type_')} AS record_type, count(*) AS n
            FROM raw.quarantine WHERE {QUARANTINE_FILTER} GROUP BY ALL ORDER BY n DESC, 1, 2""", p.values)


def quarantine_rows(types: list[str], clinics: list[str], limit: int) -> pd.DataFrame:
    """The most recently ingested `limit` quarantined rows (clinic, file, line, record type, reasons), with
    `total`. The clinic is the row's attributed one (dashboards/file_attribution.py); none for network rows."""
    p = Params(types, clinics, limit)
    return query(
        f"""SELECT clinic_id, file_name, source_line, {p.label('record_type', 'record_type_')} AS record_type,
                   {p.label_list('reason_codes', 'qreason_')} AS reason_codes, count(*) OVER () AS total
            FROM raw.quarantine WHERE {QUARANTINE_FILTER}
            ORDER BY ingested_at DESC, file_name, source_line LIMIT $3""", p.values)


def flagged_rows(clinics: list[str], limit: int) -> pd.DataFrame | None:
    """The `limit` most recent loaded rows with an impossible timeline in `clinics` (lab specimens with the test's
    name and their flags; room occupancies), with `total`; None when the serving copy has neither mart."""
    sources = flag_sources()
    if not sources:
        return None
    p = Params(clinics, limit)
    parts: list[str] = []
    if LAB in sources:
        test = p.mapped("test_code", test_names(language()))
        lab = p.bind(t("kind_lab"))
        parts.append(f"""SELECT clinic_id, {lab} AS kind, specimen_id || ' · ' || {test} AS record_id,
                                collected_date AS date, {p.label_list('data_flags', 'flag_')} AS flags
                         FROM {LAB} WHERE has_timeline_error AND list_contains($1, clinic_id)""")
    if OCCUPANCY in sources:
        room = p.bind(t("kind_room"))
        parts.append(f"""SELECT clinic_id, {room} AS kind, procedure_id || ' · ' || room_id AS record_id,
                                occupancy_date AS date, NULL::VARCHAR AS flags
                         FROM {OCCUPANCY} WHERE has_timeline_error AND list_contains($1, clinic_id)""")
    return query(
        f"""SELECT *, count(*) OVER () AS total FROM ({' UNION ALL '.join(parts)})
            ORDER BY date DESC, clinic_id, record_id LIMIT $2""", p.values)


def total(frame: pd.DataFrame) -> int:
    """The `total` a detail loader returned (0 for an empty selection)."""
    return 0 if frame.empty else int(frame["total"].iloc[0])
