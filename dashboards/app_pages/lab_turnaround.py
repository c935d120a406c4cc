"""Rapid-test turnaround: did results come back while the patient was still here? (clinic managers)

Figures follow laboratory practice (domain-standards 1.2): median and 90th percentile (linear
interpolation, quantile_cont) of collection -> result minutes, % within the test's target, and the share
resulted before the patient left. Only rows the mart marks `is_countable` enter the statistics.
"""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboards.data import query
from dashboards.filters import clinic_and_dates
from dashboards.i18n import fmt_number, fmt_percent, t

TABLE = "marts.fct_lab_turnaround"

st.title(t("page_lab"))
filters = clinic_and_dates(TABLE, "collected_date", "lab")
if filters is None:
    st.info(t("no_warehouse"))
    st.stop()

with st.sidebar:
    priorities = st.multiselect(t("priority"), ["stat", "routine"], default=["stat", "routine"], key="lab_priority")
    site = st.radio(t("site"), ["in_house", "send_out"], horizontal=True, key="lab_site")
tests_available = query(f"SELECT DISTINCT test_name FROM {TABLE} WHERE performing_site = ? ORDER BY 1", [site])
with st.sidebar:
    tests = st.multiselect(t("test"), tests_available["test_name"].tolist(), key="lab_tests")

where, params = filters.where("collected_date")
where += " AND is_countable AND list_contains(?, priority) AND performing_site = ?"
params += [priorities, site]
if tests:
    where += " AND list_contains(?, test_name)"
    params += [tests]

kpi = query(
    f"""SELECT count(*) AS tests,
               quantile_cont(collection_to_result_min, 0.5) AS median_min,
               quantile_cont(collection_to_result_min, 0.9) AS p90_min,
               100.0 * avg(is_within_target::INTEGER) AS within_pct,
               100.0 * avg(resulted_before_departure::INTEGER) AS before_left_pct
        FROM {TABLE} WHERE {where}""",
    params,
)
if kpi.empty or int(kpi["tests"].iloc[0]) == 0:
    st.info(t("no_data"))
    st.stop()

k = kpi.iloc[0]
with st.container(horizontal=True):
    st.metric(t("kpi_tests"), fmt_number(k["tests"], 0), border=True)
    st.metric(t("kpi_median"), fmt_number(k["median_min"]), border=True)
    st.metric(t("kpi_p90"), fmt_number(k["p90_min"]), border=True)
    st.metric(t("kpi_within"), fmt_percent(k["within_pct"]), border=True)
    st.metric(t("kpi_before_left"), fmt_percent(k["before_left_pct"]), border=True)

rows = query(
    f"""SELECT test_name, priority, collection_to_result_min, target_minutes
        FROM {TABLE} WHERE {where}""",
    params,
)
left, right = st.columns(2)
with left, st.container(border=True):
    fig = px.box(rows, x="test_name", y="collection_to_result_min", points=False, title=t("chart_distribution"),
                 labels={"test_name": t("test"), "collection_to_result_min": t("minutes")})
    targets = rows.groupby("test_name", as_index=False)["target_minutes"].max()
    fig.add_scatter(x=targets["test_name"], y=targets["target_minutes"], mode="markers", name="target",
                    marker={"symbol": "line-ew-open", "size": 40, "color": "crimson"})
    st.plotly_chart(fig, width="stretch")

weekly = query(
    f"""SELECT date_trunc('week', collected_date) AS week,
               quantile_cont(collection_to_result_min, 0.5) AS p50,
               quantile_cont(collection_to_result_min, 0.9) AS p90
        FROM {TABLE} WHERE {where} GROUP BY 1 ORDER BY 1""",
    params,
)
with right, st.container(border=True):
    fig = px.line(weekly, x="week", y=["p50", "p90"], markers=True, title=t("chart_weekly"),
                  labels={"week": t("week"), "value": t("minutes"), "variable": ""})
    st.plotly_chart(fig, width="stretch")

st.subheader(t("slowest"))
slowest = query(
    f"""SELECT clinic_id, specimen_id, test_name, priority, collected_at_local, collection_to_result_min,
               target_minutes, is_within_target, resulted_before_departure
        FROM {TABLE} WHERE {where} ORDER BY collection_to_result_min DESC LIMIT 100""",
    params,
)
st.dataframe(slowest, hide_index=True, width="stretch")
st.download_button(t("download_csv"), slowest.to_csv(index=False), "slowest_specimens.csv", "text/csv")
