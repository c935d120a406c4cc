"""Data quality: was every record of every export accounted for? (quality team, managers, administrators)

Per file from raw.ingest_log: rows read = loaded + quarantined (the ingest's reconciliation), quarantine reasons
from raw.quarantine (file, line and reason code only: a quarantined row may belong to any clinic, so its text is
never shown here; `backoffice ingest` prints it to whoever runs the import), and the loaded rows with an
impossible timeline that the marts flag and leave out of the statistics (restricted to the user's clinics).
"""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards import ui
from dashboards.auth import require_page
from dashboards.data import has_table, query, test_names
from dashboards.filters import clinic_select, localized_key
from dashboards.i18n import code_label, code_labels, language, t

require_page("data_quality")
LAB = "marts.fct_lab_turnaround"
OCCUPANCY = "marts.fct_room_occupancy"

st.title(t("page_data_quality"))
ui.data_as_of()
ui.require_data()
if not has_table("raw.ingest_log"):
    ui.no_data()
    st.stop()

types = query("SELECT DISTINCT record_type FROM raw.ingest_log ORDER BY 1")["record_type"].tolist()
flag_sources = [s for s in (LAB, OCCUPANCY) if has_table(s)]
flag_clinics = query(" UNION ".join(f"SELECT DISTINCT clinic_id FROM {s}" for s in flag_sources) + " ORDER BY 1") \
    if flag_sources else None
with st.sidebar:
    st.subheader(t("filters"))
    types_key = localized_key("dq_types")
    chosen_types = st.multiselect(t("record_type"), types, key=types_key, placeholder=t("choose"),
                                  format_func=code_labels("record_type_"),
                                  **({} if types_key in st.session_state else {"default": types}))
    clinics = clinic_select(flag_clinics["clinic_id"].tolist() if flag_clinics is not None else [], "dq_clinics")

log = query(
    """SELECT file_name, record_type, status, rows_read, rows_loaded, rows_new, rows_unchanged, rows_superseded,
              rows_quarantined, rows_flagged, finished_at,
              rows_read = rows_loaded + rows_quarantined OR status = 'context' AS reconciled
       FROM raw.ingest_log WHERE list_contains(?, record_type) ORDER BY finished_at DESC, file_name""",
    [chosen_types],
)
flag_parts: list[str] = []
if LAB in flag_sources:
    flag_parts.append(f"""SELECT clinic_id, 'kind_lab' AS kind, specimen_id AS record_id, test_code,
                                 collected_date AS date, data_flags AS flags
                          FROM {LAB} WHERE has_timeline_error AND list_contains(?, clinic_id)""")
if OCCUPANCY in flag_sources:
    flag_parts.append(f"""SELECT clinic_id, 'kind_room' AS kind, procedure_id || ' · ' || room_id AS record_id,
                                 NULL AS test_code,
                                 occupancy_date AS date, NULL::VARCHAR[] AS flags
                          FROM {OCCUPANCY} WHERE has_timeline_error AND list_contains(?, clinic_id)""")
flagged = (query(" UNION ALL ".join(flag_parts) + " ORDER BY date DESC, clinic_id, record_id",
                 [clinics] * len(flag_parts)) if flag_parts else None)

if log.empty:
    ui.no_data()
    st.stop()

log["status"] = log["status"].map(lambda s: code_label("status_", s))
log["record_type"] = log["record_type"].map(lambda r: code_label("record_type_", r))
read, loaded, quarantined = (int(log[c].sum()) for c in ("rows_read", "rows_loaded", "rows_quarantined"))
row = ui.KpiRow(3)
row.kpi(t("kpi_files"), len(log), decimals=0)
row.kpi(t("kpi_rows_read"), read, decimals=0)
row.kpi(t("kpi_rows_loaded"), loaded, decimals=0)
row = ui.KpiRow(3)
row.kpi(t("kpi_rows_quarantined"), quarantined, decimals=0, target=0, lower_is_better=True, unit="")
row.kpi(t("kpi_reconciled"), 100.0 * log["reconciled"].mean(), percent=True, decimals=0, target=100,
        help=t("help_reconciled"))
if flagged is not None:
    row.kpi(t("kpi_flagged"), len(flagged), decimals=0, target=0, lower_is_better=True, unit="",
            help=t("help_flagged"))

reasons = query(
    """SELECT reason_code, record_type, count(*) AS n FROM raw.quarantine
       WHERE list_contains(?, record_type) GROUP BY ALL ORDER BY n DESC""",
    [chosen_types],
)
left, right = st.columns(2)
with left, st.container(border=True):
    per_file = log.melt(id_vars="file_name", value_vars=["rows_loaded", "rows_quarantined"])
    per_file["variable"] = per_file["variable"].map({"rows_loaded": t("loaded"), "rows_quarantined": t("quarantined")})
    fig = px.bar(per_file, y="file_name", x="value", color="variable", orientation="h", title=t("chart_files"),
                 labels={"file_name": "", "value": t("count"), "variable": ""},
                 color_discrete_map={t("loaded"): "#2e86c1", t("quarantined"): ui.TARGET_COLOR})
    fig.update_yaxes(categoryorder="total ascending")
    ui.chart(fig, height=max(300, 60 + 28 * log["file_name"].nunique()))
with right, st.container(border=True):
    if reasons.empty:
        st.success(t("no_quarantine"))
    else:
        reasons["reason_code"] = reasons["reason_code"].map(lambda r: code_label("qreason_", r))
        reasons["record_type"] = reasons["record_type"].map(lambda r: code_label("record_type_", r))
        fig = px.bar(reasons, x="reason_code", y="n", color="record_type", title=t("chart_reasons"),
                     labels={"reason_code": t("reason"), "n": t("count"), "record_type": ""})
        ui.target_line(fig, 0)
        ui.chart(fig)

st.subheader(t("ingest_log"))
ui.table(log, {"file_name": "file", "record_type": "record_type", "status": "status", "rows_read": "rows_read",
               "rows_loaded": "rows_loaded", "rows_new": "rows_new", "rows_unchanged": "rows_unchanged",
               "rows_superseded": "rows_superseded", "rows_quarantined": "rows_quarantined",
               "rows_flagged": "rows_flagged", "reconciled": "reconciled", "finished_at": "finished_at"},
         "ingest_log.csv", key="dq_log")

st.subheader(t("quarantine_rows"))
quarantine = query(
    """SELECT file_name, source_line, record_type, reason_codes
       FROM raw.quarantine WHERE list_contains(?, record_type) ORDER BY file_name, source_line""",
    [chosen_types],
)
quarantine["record_type"] = quarantine["record_type"].map(lambda r: code_label("record_type_", r))
quarantine["reason_codes"] = quarantine["reason_codes"].map(
    lambda codes: ", ".join(str(code_label("qreason_", c)) for c in codes) if codes is not None else None)
if quarantine.empty:
    st.caption(t("no_quarantine"))
else:
    ui.table(quarantine, {"file_name": "file", "source_line": "line", "record_type": "record_type",
                          "reason_codes": "reason"}, "quarantine.csv", key="dq_quarantine", plain=("source_line",))

st.subheader(t("flagged_rows"))
if flagged is None or flagged.empty:
    st.caption(t("no_flagged"))
else:
    flagged["kind"] = flagged["kind"].map(t)
    names = test_names(language())  # the test's name in the chosen language after the specimen id
    flagged["record_id"] = [f"{rid} · {names.get(code, code)}" if isinstance(code, str) else rid
                            for rid, code in zip(flagged["record_id"], flagged["test_code"], strict=True)]
    flagged["flags"] = flagged["flags"].map(
        lambda codes: ", ".join(str(code_label("flag_", c)) for c in codes) if codes is not None else None)
    ui.table(flagged, {"clinic_id": "clinic", "kind": "kind", "record_id": "record_id", "date": "date",
                       "flags": "flags"}, "flagged_timelines.csv", key="dq_flagged")
