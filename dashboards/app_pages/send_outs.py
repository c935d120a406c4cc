"""Send-outs: which specimens at which reference lab are still open, and which are past the lab's promise?
(clinic managers)

Figures defined in dashboards/queries/send_outs.py (domain-standards 1.3): legs in calendar hours and working days
on the clinic's calendar, median and 90th percentile over reportable rows, % back within the reference lab's
promise, and the specimens open (pending) and open past the promise as of the clinic's latest data day.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import ui
from dashboards.auth import require_page
from dashboards.data import test_names
from dashboards.filters import clinic_and_dates, coded_multiselect, localized_key
from dashboards.i18n import language, t
from dashboards.queries.send_outs import (
    TABLE,
    open_send_outs,
    reference_labs,
    send_out_kpis,
    send_out_selection,
    send_outs_per_lab,
    within_promise_monthly,
)
from dashboards.row_limit import caption_rows
from dashboards.translate import code_column

require_page("send_outs")
# Share of send-outs back within the reference lab's promise: no published benchmark, a local goal [I].
WITHIN_PROMISE_PCT = 90.0

st.title(t("page_send_outs"))
ui.data_as_of()
ui.require_data()
filters = clinic_and_dates(TABLE, "collected_date", "sendouts")
if filters is None:
    ui.no_data()
    st.stop()

with st.sidebar:
    priorities = coded_multiselect("priority", ["stat", "routine"], ["stat", "routine"], "sendouts_priority",
                                   "priority_")
    labs = st.multiselect(t("reference_lab"), reference_labs(), key=localized_key("sendouts_labs"),
                          placeholder=t("all_labs"))
selection = send_out_selection(filters.clinics, filters.start, filters.end, priorities, labs)
kpi = send_out_kpis(selection)
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

per_lab = send_outs_per_lab(selection)
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
    monthly = within_promise_monthly(selection)
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
open_rows, open_total = open_send_outs(selection)
if open_rows.empty:
    st.caption(t("no_open_send_outs"))
else:
    open_rows["priority"] = code_column(open_rows["priority"], "priority_")
    names = test_names(language())
    open_rows["test_name"] = open_rows["test_code"].map(names).fillna(open_rows["test_name"])
    open_rows["open_hours"] = pd.to_numeric(open_rows["open_hours"]).round(1)
    ui.table(open_rows, {"clinic_id": "clinic", "specimen_id": "specimen", "test_name": "test",
                         "priority": "priority", "reference_lab": "reference_lab", "collected_at_local": "collected_at",
                         "shipped_at_local": "shipped_at", "promised_working_days": "promised_working_days",
                         "open_hours": "open_hours", "open_working_days": "open_working_days",
                         "is_open_past_promise": "overdue", "as_of_date": "as_of_date"},
             "open_send_outs.csv", key="sendouts_open")
    caption_rows(len(open_rows), open_total, "order_overdue_first")
