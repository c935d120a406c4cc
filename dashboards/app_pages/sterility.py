"""Sterility compliance: did every sterilizer get its Bowie-Dick test each day of use and its biological indicator
each week, which loads had issues, what does a positive BI recall, and were devices and rooms reprocessed?
(quality / infection-prevention team)

Rules and rates from the sterility marts (domain-standards 3.1-3.4), aggregated by dashboards/queries/sterility.py;
the calendar shows one clinic's sterilizers at a time and lists their first rows with their totals. The audit report
is backoffice.report's, read through data.py's views restricted to the chosen clinic (data.clinic_cursor).
Patient-level views show pseudonyms only, and counts of patients below SMALL_CELL are suppressed.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from backoffice import report
from dashboards import ui
from dashboards.auth import require_page
from dashboards.data import (
    CACHE_TTL_SECONDS,
    allowed_clinics,
    clinic_cursor,
    procedure_names,
    serving_file,
)
from dashboards.filters import clinic_and_dates
from dashboards.i18n import LABELS, fmt_number, language, t
from dashboards.queries.sterility import (
    CHECKS,
    RESULT_RANK,
    check_kpis,
    compliance_weekly,
    load_kpis,
    loads_with_issues,
    positive_bi_recalls,
    recall_trace,
    sterility_exceptions,
    sterility_selection,
    sterilizer_calendar,
)
from dashboards.row_limit import caption_rows
from dashboards.translate import code_column

require_page("sterility")
SMALL_CELL = 5  # patient counts below this are shown as "< 5" on patient-level views
RESULTS = ["pass", "fail", "pending", "missing"]
RESULT_COLORS = {"pass": "#27ae60", "fail": "#c0392b", "pending": "#f39c12", "missing": "#2c3e50"}
STERILITY_DOMAINS = ("sterilization", "high_level_disinfection", "environment", "patient_rights")


def suppressed(n: int) -> str:
    return f"< {SMALL_CELL}" if 0 < n < SMALL_CELL else fmt_number(n, 0)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def audit_report_html(serving: str, clinics: tuple[str, ...], clinic: str, period: str) -> str:
    """backoffice.report's HTML for one clinic and month, read through data.py's views of that clinic only.

    Cached per serving copy and the user's clinic set; data.clinic_cursor refuses a clinic not in that set.
    """
    with clinic_cursor(clinic) as (con, path):
        return report.render(report.collect(con, clinic, period, source=path.name))


st.title(t("page_sterility"))
ui.data_as_of()
ui.require_data()
filters = clinic_and_dates(CHECKS, "check_date", "sterility")
if filters is None:
    ui.no_data()
    st.stop()

selection = sterility_selection(filters.clinics, filters.start, filters.end)
kpi = check_kpis(selection)
if kpi.empty or not int(kpi["checks"].iloc[0]):
    ui.no_data()
    st.stop()
loads = load_kpis(selection).iloc[0]
k = kpi.iloc[0]
row = ui.KpiRow(5)
row.kpi(t("kpi_compliance"), k["compliance_pct"], percent=True, target=100.0)
row.kpi(t("kpi_sterility_exceptions"), k["exceptions"], decimals=0, target=0, lower_is_better=True, unit="")
row.kpi(t("kpi_loads"), loads["loads"], decimals=0)
row.kpi(t("kpi_positive_bi"), loads["positive_bi"], decimals=0, target=0, lower_is_better=True, unit="")
row.kpi(t("kpi_released_failed"), loads["released_failed"] + loads["implant_early"], decimals=0, target=0,
        lower_is_better=True, unit="", help=t("help_released_failed"))

# Calendar per sterilizer of one clinic: Bowie-Dick result per day of use, BI per cycle, the worst of each day.
calendar_clinics = selection.clinics
if len(selection.clinics) > 1:
    calendar_clinics = (st.selectbox(t("clinic"), list(selection.clinics), key="sterility_calendar_clinic",
                                     width=220),)
calendar = sterilizer_calendar(sterility_selection(list(calendar_clinics), filters.start, filters.end))
with st.container(border=True):
    if calendar.empty:
        ui.no_data()
    else:
        order = {r: i for i, r in enumerate(RESULTS)}
        grid = calendar.pivot(index="line", columns="day", values="result").sort_index()
        labels = {r: t(f"result_{r}") for r in RESULT_RANK}
        n = len(RESULTS)
        scale = [[edge, RESULT_COLORS[r]] for i, r in enumerate(RESULTS) for edge in (i / n, (i + 1) / n)]
        fig = go.Figure(go.Heatmap(
            z=grid.map(lambda r: order.get(r) if isinstance(r, str) else None).values, x=list(grid.columns),
            y=list(grid.index), text=grid.map(lambda r: labels.get(r, "") if isinstance(r, str) else "").values,
            hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>", zmin=-0.5, zmax=n - 0.5, colorscale=scale,
            xgap=2, ygap=2,
            colorbar={"tickvals": list(range(n)), "ticktext": [t(f"result_{r}") for r in RESULTS], "title": ""},
        ))
        fig.update_layout(title=t("chart_sterilizer_calendar"))
        fig.update_yaxes(autorange="reversed")
        ui.chart(fig, date_x=True, height=max(300, 160 + 30 * len(grid)))

weekly = compliance_weekly(selection, list(STERILITY_DOMAINS))
with st.container(border=True):
    weekly["domain"] = code_column(weekly["rule_domain"], "domain_")
    fig = px.line(weekly, x="week_start", y="compliance_pct", color="domain", markers=True,
                  title=t("chart_compliance_weekly"),
                  labels={"week_start": t("week"), "compliance_pct": t("percent"), "domain": ""})
    ui.target_line(fig, 100.0, percent=True)
    fig.update_xaxes(dtick=7 * 24 * 3600 * 1000, tick0="2024-01-01")
    ui.chart(fig, date_x=True)

st.subheader(t("loads_with_issues"))
issues, issues_total = loads_with_issues(selection)
if issues.empty:
    st.caption(t("no_load_issues"))
else:
    issues["cycle_type"] = code_column(issues["cycle_type"], "cycle_")
    issues["ci_result"] = code_column(issues["ci_result"], "indicator_")
    issues["bi_result"] = code_column(issues["bi_result"], "indicator_")
    ui.table(issues, {"clinic_id": "clinic", "sterilizer_id": "sterilizer", "load_id": "load",
                      "cycle_type": "cycle_type", "started_at_local": "started_at", "physical_pass": "physical_pass",
                      "ci_result": "ci_result", "bi_result": "bi_result", "is_implant_load": "implant",
                      "released_at_local": "released_at", "is_record_complete": "record_complete",
                      "is_released_with_failed_indicator": "released_with_failed_indicator",
                      "is_implant_release_ok": "implant_release_ok", "recalled_by_positive_load_id": "recalled_by",
                      "procedures_using": "procedures"},
             "sterilizer_loads_with_issues.csv", key="sterility_loads", plain=("load_id",))
    caption_rows(len(issues), issues_total, "order_latest_first")

st.subheader(t("recall_trace"))
positives, positives_total = positive_bi_recalls(selection)
if positives.empty:
    st.caption(t("no_positive_bi"))
else:
    # Patient counts are patient-level: small cells suppressed, shown as text (the CSV gets the same text).
    positives["patients"] = positives["patients"].map(suppressed)
    ui.table(positives, {"clinic_id": "clinic", "sterilizer_id": "sterilizer", "positive_load_id": "positive_load",
                         "positive_cycle_date": "date", "loads": "implicated_loads", "procedures": "procedures",
                         "patients": "patients"},
             "recall_positive_bi.csv", key="sterility_positives", plain=("positive_load_id",))
    caption_rows(len(positives), positives_total, "order_latest_first")
    # Load ids are per clinic (two clinics may both have an ST1-261109-03): choose by clinic and load.
    keys = (positives["clinic_id"] + " · " + positives["sterilizer_id"] + " · " + positives["positive_load_id"])
    chosen = st.selectbox(t("positive_load"), keys.tolist(), key="sterility_positive")
    chosen_clinic, _, chosen_load = chosen.split(" · ")
    trace, trace_total = recall_trace(selection, chosen_clinic, chosen_load)
    trace["recall_position"] = code_column(trace["recall_position"], "recall_")
    trace["cycle_type"] = code_column(trace["cycle_type"], "cycle_")
    names = procedure_names(language())
    trace["procedure_code"] = trace["procedure_code"].map(lambda c: names.get(c, c))
    ui.table(trace, {"load_id": "load", "recall_position": "recall_position", "cycle_type": "cycle_type",
                     "load_started_at_local": "started_at", "load_was_released": "released",
                     "is_implant_load": "implant", "procedure_id": "procedure", "procedure_code": "procedure_type",
                     "room_id": "room", "performed_at_local": "performed_at", "patient_id": "patient_pseudonym"},
             f"recall_trace_{chosen_clinic}_{chosen_load}.csv", key="sterility_trace",
             plain=("load_id", "procedure_id", "patient_id"))
    caption_rows(len(trace), trace_total, "order_in_sequence")

st.subheader(t("reprocessing_exceptions"))
exceptions, exceptions_total = sterility_exceptions(selection)
if exceptions.empty:
    st.caption(t("no_sterility_exceptions"))
else:
    exceptions["rule_domain"] = code_column(exceptions["rule_domain"], "domain_")
    # The rule's title in the chosen language (the mart's English title for a rule without a label).
    exceptions["rule"] = [t(f"rule_{c}") if f"rule_{c}" in LABELS else title
                          for c, title in zip(exceptions["rule_code"], exceptions["rule_title"], strict=True)]
    exceptions["reason"] = code_column(exceptions["reason"], "sreason_")
    ui.table(exceptions, {"clinic_id": "clinic", "exception_date": "date", "rule_domain": "domain",
                          "rule": "rule", "reason": "reason", "subject_id": "subject", "sterilizer_id": "sterilizer",
                          "load_id": "load", "room_id": "room", "device_id": "device",
                          "procedure_id": "procedure", "detail": "detail", "rule_source": "rule_source"},
             "sterility_exceptions.csv", key="sterility_exceptions", plain=("subject_id", "load_id", "procedure_id"))
    caption_rows(len(exceptions), exceptions_total, "order_latest_first")

st.subheader(t("audit_report"))
months = pd.period_range(filters.start, filters.end, freq="M").astype(str).tolist()
left, right = st.columns(2)
report_clinic = left.selectbox(t("clinic"), filters.clinics or list(allowed_clinics()), key="sterility_report_clinic")
period = right.selectbox(t("month"), months[::-1], key="sterility_report_month")
serving = serving_file()
if report_clinic in allowed_clinics() and serving is not None and period:
    try:
        html = audit_report_html(str(serving), allowed_clinics(), report_clinic, period)
    except report.ReportError as exc:
        st.info(str(exc))
    else:
        st.download_button(t("download_audit_report"), html.encode("utf-8"),
                           f"audit-{report_clinic}-{period}.html", "text/html", key="sterility_report",
                           icon=":material/download:", on_click="ignore")
