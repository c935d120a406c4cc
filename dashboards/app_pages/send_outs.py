"""Send-outs: which specimens at which reference lab are still open, and which are past the lab's promise?
(clinic managers)

Legs in calendar hours and working days on the clinic's calendar (domain-standards 1.3): median and 90th
percentile (quantile_cont) over reportable rows (final or corrected, no timeline error, the leg positive), %
back within the reference lab's promise, and the specimens open (pending) and open past the promise as of the
clinic's latest data day (fct_lab_send_outs.as_of_date).
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import ui
from dashboards.auth import require_page
from dashboards.data import query, test_names
from dashboards.filters import clinic_and_dates, coded_multiselect, localized_key
from dashboards.i18n import language, t

require_page("send_outs")
TABLE = "marts.fct_lab_send_outs"
MONTHLY = "marts.agg_lab_send_outs_monthly"
# Share of send-outs back within the reference lab's promise: no published benchmark, a local goal [I].
WITHIN_PROMISE_PCT = 90.0
LOCAL = "timezone(c.timezone, timezone('UTC', {col}))"  # UTC timestamp -> the clinic's wall clock

st.title(t("page_send_outs"))
ui.data_as_of()
ui.require_data()
filters = clinic_and_dates(TABLE, "collected_date", "sendouts")
if filters is None:
    ui.no_data()
    st.stop()

labs_available = query(f"SELECT DISTINCT reference_lab FROM {TABLE} WHERE reference_lab IS NOT NULL ORDER BY 1")
with st.sidebar:
    priorities = coded_multiselect("priority", ["stat", "routine"], ["stat", "routine"], "sendouts_priority",
                                   "priority_")
    labs = st.multiselect(t("reference_lab"), labs_available["reference_lab"].tolist(),
                          key=localized_key("sendouts_labs"), placeholder=t("all_labs"))

where, params = filters.where("collected_date")
where += " AND list_contains(?, priority)"
params += [priorities]
if labs:
    where += " AND list_contains(?, reference_lab)"
    params += [labs]

ok = "is_reportable AND {leg}_hours IS NOT NULL AND NOT list_contains(invalid_intervals, '{leg}')"
total_ok = ok.format(leg="collection_to_result")
kpi = query(
    f"""SELECT count(*) AS send_outs,
               count(*) FILTER (WHERE is_open) AS open,
               count(*) FILTER (WHERE is_open_past_promise) AS overdue,
               100.0 * count(*) FILTER (WHERE is_within_promise)
                     / nullif(count(*) FILTER (WHERE is_within_promise IS NOT NULL), 0) AS within_pct,
               quantile_cont(collection_to_result_hours, 0.5) FILTER (WHERE {total_ok}) AS median_hours,
               quantile_cont(collection_to_result_working_days, 0.5) FILTER (WHERE {total_ok}) AS median_days
        FROM {TABLE} WHERE {where}""",
    params,
)
if kpi.empty or int(kpi["send_outs"].iloc[0]) == 0:
    ui.no_data()
    st.stop()

k = kpi.iloc[0]
row = ui.KpiRow(6)
row.kpi(t("kpi_send_outs"), k["send_outs"], decimals=0)
row.kpi(t("kpi_open"), k["open"], decimals=0)
row.kpi(t("kpi_overdue"), k["overdue"], decimals=0, target=0, lower_is_better=True, unit="",
        help=t("help_overdue"))
row.kpi(t("kpi_within_promise"), k["within_pct"], percent=True, target=WITHIN_PROMISE_PCT,
        help=t("help_within_promise"))
row.kpi(t("kpi_median_hours"), k["median_hours"], unit="h")
row.kpi(t("kpi_median_working_days"), k["median_days"], unit="")

per_lab = query(
    f"""SELECT coalesce(reference_lab, '?') AS reference_lab,
               count(*) AS send_outs,
               count(*) FILTER (WHERE is_open) AS open,
               count(*) FILTER (WHERE is_open_past_promise) AS overdue,
               100.0 * count(*) FILTER (WHERE is_within_promise)
                     / nullif(count(*) FILTER (WHERE is_within_promise IS NOT NULL), 0) AS within_promise_pct,
               quantile_cont(collection_to_shipped_hours, 0.5)
                   FILTER (WHERE {ok.format(leg="collection_to_shipped")}) AS median_to_shipped_hours,
               quantile_cont(shipped_to_result_hours, 0.5)
                   FILTER (WHERE {ok.format(leg="shipped_to_result")}) AS median_shipped_to_result_hours,
               quantile_cont(collection_to_result_hours, 0.5) FILTER (WHERE {total_ok}) AS median_total_hours,
               quantile_cont(collection_to_result_hours, 0.9) FILTER (WHERE {total_ok}) AS p90_total_hours,
               quantile_cont(collection_to_result_working_days, 0.5) FILTER (WHERE {total_ok})
                   AS median_total_working_days,
               quantile_cont(collection_to_result_working_days, 0.9) FILTER (WHERE {total_ok})
                   AS p90_total_working_days,
               max(promised_working_days) AS promised_working_days
        FROM {TABLE} WHERE {where} GROUP BY 1 ORDER BY 1""",
    params,
)
left, right = st.columns(2)
with left, st.container(border=True):
    bars = per_lab.melt(id_vars="reference_lab", value_vars=["open", "overdue"], var_name="kind", value_name="n")
    bars["kind"] = bars["kind"].map({"open": t("open"), "overdue": t("overdue")})
    fig = px.bar(bars, x="reference_lab", y="n", color="kind", barmode="group", title=t("chart_open_per_lab"),
                 labels={"reference_lab": "", "n": t("specimens"), "kind": ""},
                 color_discrete_map={t("open"): "#2e86c1", t("overdue"): ui.TARGET_COLOR})
    fig.update_yaxes(rangemode="tozero", tickformat=",d")
    ui.chart(fig)
with right, st.container(border=True):
    month_where, month_params = filters.where("month_start")
    month_params[1] = filters.start.replace(day=1)
    month_where += " AND list_contains(?, priority)"
    month_params += [priorities]
    if labs:
        month_where += " AND list_contains(?, reference_lab)"
        month_params += [labs]
    monthly = query(
        f"""SELECT coalesce(reference_lab, '?') AS reference_lab, month_start,
                   100.0 * sum(n_within_promise) / nullif(sum(n_with_promise), 0) AS within_promise_pct
            FROM {MONTHLY} WHERE {month_where} GROUP BY ALL ORDER BY month_start, reference_lab""",
        month_params,
    )
    fig = px.bar(monthly, x="month_start", y="within_promise_pct", color="reference_lab", barmode="group",
                 title=t("chart_within_promise_monthly"),
                 labels={"month_start": t("month"), "within_promise_pct": t("percent"), "reference_lab": ""})
    fig.update_yaxes(range=[0, 105])
    fig.update_xaxes(dtick="M1", tickformat="%m/%Y")
    ui.target_line(fig, WITHIN_PROMISE_PCT, percent=True)
    ui.chart(fig)

st.subheader(t("per_reference_lab"))
ui.table(per_lab, {"reference_lab": "reference_lab", "send_outs": "kpi_send_outs", "open": "open",
                   "overdue": "overdue", "within_promise_pct": "within_promise_pct",
                   "promised_working_days": "promised_working_days",
                   "median_to_shipped_hours": "median_to_shipped_hours",
                   "median_shipped_to_result_hours": "median_shipped_to_result_hours",
                   "median_total_hours": "median_total_hours", "p90_total_hours": "p90_total_hours",
                   "median_total_working_days": "median_total_working_days",
                   "p90_total_working_days": "p90_total_working_days"},
         "send_outs_per_reference_lab.csv", key="sendouts_labs")

st.subheader(t("open_specimens"))
open_rows = query(
    f"""SELECT s.clinic_id, s.specimen_id, s.test_code, coalesce(cat.test_name, s.test_code) AS test_name,
               s.priority, s.reference_lab,
               {LOCAL.format(col="s.collected_at")} AS collected_at_local,
               {LOCAL.format(col="s.shipped_at")} AS shipped_at_local,
               s.promised_working_days, s.open_hours, s.open_working_days, s.is_open_past_promise, s.as_of_date
        FROM (SELECT * FROM {TABLE} WHERE {where} AND is_open) s
        JOIN raw.clinics c USING (clinic_id)
        LEFT JOIN reference.lab_test_catalog cat ON cat.test_code = s.test_code
        ORDER BY s.is_open_past_promise DESC, s.open_hours DESC""",
    params,
)
if open_rows.empty:
    st.caption(t("no_open_send_outs"))
else:
    open_rows["priority"] = open_rows["priority"].map(lambda p: t(f"priority_{p}"))
    names = test_names(language())
    open_rows["test_name"] = open_rows["test_code"].map(names).fillna(open_rows["test_name"])
    open_rows["open_hours"] = pd.to_numeric(open_rows["open_hours"]).round(1)
    ui.table(open_rows, {"clinic_id": "clinic", "specimen_id": "specimen", "test_name": "test",
                         "priority": "priority", "reference_lab": "reference_lab", "collected_at_local": "collected_at",
                         "shipped_at_local": "shipped_at", "promised_working_days": "promised_working_days",
                         "open_hours": "open_hours", "open_working_days": "open_working_days",
                         "is_open_past_promise": "overdue", "as_of_date": "as_of_date"},
             "open_send_outs.csv", key="sendouts_open")
