"""Data quality: was every record of every export accounted for? (quality team, managers, administrators)

Per file from raw.ingest_log: rows read = loaded + quarantined (the ingest's reconciliation), quarantine reasons
from raw.quarantine (file, line and reason code only, never the row's text; `backoffice ingest` prints it to
whoever runs the import), and the loaded rows with an impossible timeline that the marts flag and leave out of the
statistics. data.py shows only the files and quarantined rows of the user's clinics (network-wide ones to
administrators); the record-type filter narrows all of it, the clinic filter the quarantined rows (rows of no
clinic stay) and the flagged timelines.

Every figure is aggregated in DuckDB (dashboards/queries/data_quality.py) and each detail table pulls only the
rows it shows, most recent first, with "showing N of M".
"""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards import ui
from dashboards.auth import require_page
from dashboards.data import clinic_names, has_table
from dashboards.filters import clinic_select, localized_key
from dashboards.i18n import code_labels, t
from dashboards.queries.data_quality import (
    CHART_FILES,
    files_chart,
    flagged_rows,
    ingest_log,
    ingest_totals,
    quarantine_reasons,
    quarantine_rows,
    record_types,
    total,
)

require_page("data_quality")

st.title(t("page_data_quality"))
ui.data_as_of()
ui.require_data()
if not has_table("raw.ingest_log"):
    ui.no_data()
    st.stop()

types = record_types()
with st.sidebar:
    st.subheader(t("filters"))
    types_key = localized_key("dq_types")
    chosen_types = st.multiselect(t("record_type"), types, key=types_key, placeholder=t("choose"),
                                  format_func=code_labels("record_type_"),
                                  **({} if types_key in st.session_state else {"default": types}))
    clinics = clinic_select(list(clinic_names()), "dq_clinics")

totals = ingest_totals(chosen_types)
if not totals["files"]:
    ui.no_data()
    st.stop()
flagged = flagged_rows(clinics, ui.MAX_TABLE_ROWS)

row = ui.KpiRow(3)
row.kpi(t("kpi_files"), totals["files"], decimals=0)
row.kpi(t("kpi_rows_read"), totals["rows_read"], decimals=0)
row.kpi(t("kpi_rows_loaded"), totals["rows_loaded"], decimals=0)
row = ui.KpiRow(3)
row.kpi(t("kpi_rows_quarantined"), totals["rows_quarantined"], decimals=0, target=0, lower_is_better=True, unit="")
row.kpi(t("kpi_reconciled"), totals["reconciled"], percent=True, decimals=0, target=100, help=t("help_reconciled"))
if flagged is not None:
    row.kpi(t("kpi_flagged"), total(flagged), decimals=0, target=0, lower_is_better=True, unit="",
            help=t("help_flagged"))

left, right = st.columns(2)
with left, st.container(border=True):
    files = files_chart(chosen_types)
    per_file = files.melt(id_vars="file_name", value_vars=["rows_loaded", "rows_quarantined"])
    per_file["variable"] = per_file["variable"].map({"rows_loaded": t("loaded"), "rows_quarantined": t("quarantined")})
    fig = px.bar(per_file, y="file_name", x="value", color="variable", orientation="h",
                 title=t("chart_files_top", n=CHART_FILES) if totals["files"] > len(files) else t("chart_files"),
                 labels={"file_name": "", "value": t("count"), "variable": ""},
                 color_discrete_map={t("loaded"): "#2e86c1", t("quarantined"): ui.TARGET_COLOR})
    fig.update_yaxes(categoryorder="total ascending")
    ui.chart(fig, height=max(300, 60 + 28 * len(files)))
with right, st.container(border=True):
    reasons = quarantine_reasons(chosen_types, clinics)
    if reasons.empty:
        st.success(t("no_quarantine"))
    else:
        fig = px.bar(reasons, x="reason_code", y="n", color="record_type", title=t("chart_reasons"),
                     labels={"reason_code": t("reason"), "n": t("count"), "record_type": ""})
        ui.target_line(fig, 0)
        ui.chart(fig)

st.subheader(t("ingest_log"))
log = ingest_log(chosen_types, ui.MAX_TABLE_ROWS)
ui.table(log, {"file_name": "file", "record_type": "record_type", "status": "status", "rows_read": "rows_read",
               "rows_loaded": "rows_loaded", "rows_new": "rows_new", "rows_unchanged": "rows_unchanged",
               "rows_superseded": "rows_superseded", "rows_quarantined": "rows_quarantined",
               "rows_flagged": "rows_flagged", "reconciled": "reconciled", "finished_at": "finished_at"},
         "ingest_log.csv", key="dq_log", total=total(log))

st.subheader(t("quarantine_rows"))
quarantine = quarantine_rows(chosen_types, clinics, ui.MAX_TABLE_ROWS)
if quarantine.empty:
    st.caption(t("no_quarantine"))
else:
    ui.table(quarantine, {"clinic_id": "clinic", "file_name": "file", "source_line": "line",
                          "record_type": "record_type", "reason_codes": "reason"},
             "quarantine.csv", key="dq_quarantine", plain=("source_line",), total=total(quarantine))

st.subheader(t("flagged_rows"))
if flagged is None or flagged.empty:
    st.caption(t("no_flagged"))
else:
    ui.table(flagged, {"clinic_id": "clinic", "kind": "kind", "record_id": "record_id", "date": "date",
                       "flags": "flags"}, "flagged_timelines.csv", key="dq_flagged", total=total(flagged))
