"""Sterility compliance: did every sterilizer get its Bowie-Dick test each day of use and its biological indicator
each week, which loads had issues, what does a positive BI recall, and were devices and rooms reprocessed?
(quality / infection-prevention team)

Rules and rates from the sterility marts (domain-standards 3.1-3.4); the audit report is backoffice.report's, read
through data.py's views restricted to the chosen clinic (data.clinic_cursor). Patient-level views show pseudonyms
only, and counts of patients below SMALL_CELL are suppressed.
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
    query,
    serving_file,
)
from dashboards.filters import clinic_and_dates
from dashboards.i18n import LABELS, code_label, fmt_number, language, t

require_page("sterility")
LOADS = "marts.fct_sterilizer_loads"
CHECKS = "marts.fct_sterility_checks"
RECALL = "marts.fct_recall_trace"
EXCEPTIONS = "marts.fct_sterility_exceptions"
WEEKLY = "marts.agg_compliance_weekly"
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

where, params = filters.where("check_date")
kpi = query(
    f"""SELECT count(*) AS checks, count(*) FILTER (WHERE reason IS NULL) AS compliant,
               count(*) FILTER (WHERE reason IS NOT NULL) AS exceptions
        FROM {CHECKS} WHERE {where}""",
    params,
)
if kpi.empty or not int(kpi["checks"].iloc[0]):
    ui.no_data()
    st.stop()
load_where, load_params = filters.where("cycle_date")
loads = query(
    f"""SELECT count(*) FILTER (WHERE is_load) AS loads,
               count(*) FILTER (WHERE bi_result = 'positive') AS positive_bi,
               count(*) FILTER (WHERE is_released_with_failed_indicator) AS released_failed,
               count(*) FILTER (WHERE NOT is_implant_release_ok) AS implant_early
        FROM {LOADS} WHERE {load_where}""",
    load_params,
).iloc[0]
k = kpi.iloc[0]
row = ui.KpiRow(5)
row.kpi(t("kpi_compliance"), 100.0 * k["compliant"] / k["checks"], percent=True, target=100.0)
row.kpi(t("kpi_sterility_exceptions"), k["exceptions"], decimals=0, target=0, lower_is_better=True, unit="")
row.kpi(t("kpi_loads"), loads["loads"], decimals=0)
row.kpi(t("kpi_positive_bi"), loads["positive_bi"], decimals=0, target=0, lower_is_better=True, unit="")
row.kpi(t("kpi_released_failed"), loads["released_failed"] + loads["implant_early"], decimals=0, target=0,
        lower_is_better=True, unit="", help=t("help_released_failed"))

# Calendar per sterilizer: Bowie-Dick result per day of use (missing = the daily-test rule failed), BI per cycle.
calendar = query(
    f"""SELECT clinic_id || ' · ' || sterilizer_id || ' · ' || 'BD' AS line, cycle_date AS day,
               CASE WHEN physical_pass AND ci_result = 'pass' THEN 'pass' ELSE 'fail' END AS result
        FROM {LOADS} WHERE {load_where} AND cycle_type = 'bowie_dick'
        UNION ALL
        SELECT clinic_id || ' · ' || sterilizer_id || ' · ' || 'BD', check_date, 'missing'
        FROM {CHECKS} WHERE {where} AND rule_code = 'bowie_dick_daily' AND reason IS NOT NULL
        UNION ALL
        SELECT clinic_id || ' · ' || sterilizer_id || ' · ' || 'BI', cycle_date,
               CASE bi_result WHEN 'negative' THEN 'pass' WHEN 'positive' THEN 'fail' ELSE 'pending' END
        FROM {LOADS} WHERE {load_where} AND bi_result IN ('negative', 'positive', 'pending')""",
    [*load_params, *params, *load_params],
)
with st.container(border=True):
    if calendar.empty:
        ui.no_data()
    else:
        order = {r: i for i, r in enumerate(RESULTS)}
        # The worst result of a line and day wins (a failed BD outranks a pass the same day).
        calendar["rank"] = calendar["result"].map({"pass": 0, "pending": 1, "missing": 2, "fail": 3})
        cal = calendar.sort_values("rank").groupby(["line", "day"], as_index=False).last()
        grid = cal.pivot(index="line", columns="day", values="result").sort_index()
        n = len(RESULTS)
        scale = [[edge, RESULT_COLORS[r]] for i, r in enumerate(RESULTS) for edge in (i / n, (i + 1) / n)]
        fig = go.Figure(go.Heatmap(
            z=grid.map(lambda r: order.get(r) if isinstance(r, str) else None).values, x=list(grid.columns),
            y=list(grid.index), text=grid.map(lambda r: t(f"result_{r}") if isinstance(r, str) else "").values,
            hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>", zmin=-0.5, zmax=n - 0.5, colorscale=scale,
            xgap=2, ygap=2,
            colorbar={"tickvals": list(range(n)), "ticktext": [t(f"result_{r}") for r in RESULTS], "title": ""},
        ))
        fig.update_layout(title=t("chart_sterilizer_calendar"))
        fig.update_yaxes(autorange="reversed")
        ui.chart(fig, date_x=True, height=max(300, 160 + 30 * len(grid)))

weekly_where, weekly_params = filters.where("week_start")
weekly_params[1] = filters.start - pd.Timedelta(days=filters.start.weekday())
weekly = query(
    f"""SELECT week_start, rule_domain, 100.0 * sum(compliant) / nullif(sum(checks), 0) AS compliance_pct
        FROM {WEEKLY} WHERE {weekly_where} AND list_contains(?, rule_domain) GROUP BY ALL ORDER BY 1, 2""",
    [*weekly_params, list(STERILITY_DOMAINS)],
)
with st.container(border=True):
    weekly["domain"] = weekly["rule_domain"].map(lambda d: t(f"domain_{d}"))
    fig = px.line(weekly, x="week_start", y="compliance_pct", color="domain", markers=True,
                  title=t("chart_compliance_weekly"),
                  labels={"week_start": t("week"), "compliance_pct": t("percent"), "domain": ""})
    ui.target_line(fig, 100.0, percent=True)
    fig.update_xaxes(dtick=7 * 24 * 3600 * 1000, tick0="2024-01-01")
    ui.chart(fig, date_x=True)

st.subheader(t("loads_with_issues"))
issues = query(
    f"""SELECT clinic_id, sterilizer_id, load_id, cycle_type, started_at_local, physical_pass, ci_result, bi_result,
               is_implant_load, released_at_local, is_record_complete, is_released_with_failed_indicator,
               is_implant_release_ok, recalled_by_positive_load_id, procedures_using
        FROM {LOADS}
        WHERE {load_where} AND is_load AND (NOT is_record_complete OR is_released_with_failed_indicator
              OR NOT coalesce(is_implant_release_ok, true) OR bi_result = 'positive'
              OR recalled_by_positive_load_id IS NOT NULL)
        ORDER BY started_at_local DESC""",
    load_params,
)
if issues.empty:
    st.caption(t("no_load_issues"))
else:
    issues["cycle_type"] = issues["cycle_type"].map(lambda c: code_label("cycle_", c))
    issues["ci_result"] = issues["ci_result"].map(lambda c: code_label("indicator_", c))
    issues["bi_result"] = issues["bi_result"].map(lambda c: code_label("indicator_", c))
    ui.table(issues, {"clinic_id": "clinic", "sterilizer_id": "sterilizer", "load_id": "load",
                      "cycle_type": "cycle_type", "started_at_local": "started_at", "physical_pass": "physical_pass",
                      "ci_result": "ci_result", "bi_result": "bi_result", "is_implant_load": "implant",
                      "released_at_local": "released_at", "is_record_complete": "record_complete",
                      "is_released_with_failed_indicator": "released_with_failed_indicator",
                      "is_implant_release_ok": "implant_release_ok", "recalled_by_positive_load_id": "recalled_by",
                      "procedures_using": "procedures"},
             "sterilizer_loads_with_issues.csv", key="sterility_loads", plain=("load_id",))

st.subheader(t("recall_trace"))
recall_where, recall_params = filters.where("positive_cycle_date")
positives = query(
    f"""SELECT clinic_id, sterilizer_id, positive_load_id, positive_cycle_date,
               count(DISTINCT load_id) AS loads, count(DISTINCT procedure_id) AS procedures,
               count(DISTINCT patient_id) AS patients
        FROM {RECALL} WHERE {recall_where} GROUP BY ALL ORDER BY positive_cycle_date DESC""",
    recall_params,
)
if positives.empty:
    st.caption(t("no_positive_bi"))
else:
    # Patient counts are patient-level: small cells suppressed, shown as text (the CSV gets the same text).
    positives["patients"] = positives["patients"].map(suppressed)
    ui.table(positives, {"clinic_id": "clinic", "sterilizer_id": "sterilizer", "positive_load_id": "positive_load",
                         "positive_cycle_date": "date", "loads": "implicated_loads", "procedures": "procedures",
                         "patients": "patients"},
             "recall_positive_bi.csv", key="sterility_positives", plain=("positive_load_id",))
    # Load ids are per clinic (two clinics may both have an ST1-261109-03): choose by clinic and load.
    keys = (positives["clinic_id"] + " · " + positives["sterilizer_id"] + " · " + positives["positive_load_id"])
    chosen = st.selectbox(t("positive_load"), keys.tolist(), key="sterility_positive")
    chosen_clinic, _, chosen_load = chosen.split(" · ")
    trace = query(
        f"""SELECT load_id, recall_position, cycle_type, load_started_at_local, load_was_released, is_implant_load,
                   procedure_id, procedure_code, room_id, performed_at_local, patient_id
            FROM {RECALL} WHERE {recall_where} AND clinic_id = ? AND positive_load_id = ?
            ORDER BY load_started_at_local, performed_at_local""",
        [*recall_params, chosen_clinic, chosen_load],
    )
    trace["recall_position"] = trace["recall_position"].map(lambda p: t(f"recall_{p}"))
    trace["cycle_type"] = trace["cycle_type"].map(lambda c: code_label("cycle_", c))
    names = procedure_names(language())
    trace["procedure_code"] = trace["procedure_code"].map(lambda c: names.get(c, c))
    ui.table(trace, {"load_id": "load", "recall_position": "recall_position", "cycle_type": "cycle_type",
                     "load_started_at_local": "started_at", "load_was_released": "released",
                     "is_implant_load": "implant", "procedure_id": "procedure", "procedure_code": "procedure_type",
                     "room_id": "room", "performed_at_local": "performed_at", "patient_id": "patient_pseudonym"},
             f"recall_trace_{chosen_clinic}_{chosen_load}.csv", key="sterility_trace",
             plain=("load_id", "procedure_id", "patient_id"))

st.subheader(t("reprocessing_exceptions"))
exc_where, exc_params = filters.where("exception_date")
exceptions = query(
    f"""SELECT clinic_id, exception_date, rule_domain, rule_code, rule_title, reason, subject_type, subject_id,
               sterilizer_id, load_id, room_id, device_id, procedure_id, detail, rule_source
        FROM {EXCEPTIONS} WHERE {exc_where} ORDER BY exception_date DESC, rule_domain, subject_id""",
    exc_params,
)
if exceptions.empty:
    st.caption(t("no_sterility_exceptions"))
else:
    exceptions["rule_domain"] = exceptions["rule_domain"].map(lambda d: code_label("domain_", d))
    # The rule's title in the chosen language (the mart's English title for a rule without a label).
    exceptions["rule"] = [t(f"rule_{c}") if f"rule_{c}" in LABELS else title
                          for c, title in zip(exceptions["rule_code"], exceptions["rule_title"], strict=True)]
    exceptions["reason"] = exceptions["reason"].map(lambda r: code_label("sreason_", r))
    ui.table(exceptions, {"clinic_id": "clinic", "exception_date": "date", "rule_domain": "domain",
                          "rule": "rule", "reason": "reason", "subject_id": "subject", "sterilizer_id": "sterilizer",
                          "load_id": "load", "room_id": "room", "device_id": "device",
                          "procedure_id": "procedure", "detail": "detail", "rule_source": "rule_source"},
             "sterility_exceptions.csv", key="sterility_exceptions", plain=("subject_id", "load_id", "procedure_id"))

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
