"""Rapid-test turnaround: did results come back while the patient was still here? (clinic managers)

Figures follow laboratory practice (domain-standards 1.2): median and 90th percentile (linear
interpolation, quantile_cont) of collection -> result minutes, % within the test's target, and the share
resulted before the patient left. Only rows the mart marks `is_countable` enter the statistics.
The slowest specimens show every timestamp on the clinic's wall clock; order, receipt, verification and review are
the mart's intervals added to the collection time (the mart keeps intervals, not those timestamps). The mart has no
patient key, so the list has none: specimen ids are the drill-down key.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards import targets, ui
from dashboards.auth import require_page
from dashboards.data import catalog_names, query
from dashboards.filters import clinic_and_dates, coded_multiselect, coded_radio, localized_key
from dashboards.i18n import fmt_number, fmt_percent, language, t

require_page("lab_turnaround")
TABLE = "marts.fct_lab_turnaround"

st.title(t("page_lab_turnaround"))
ui.data_as_of()
ui.require_data()
filters = clinic_and_dates(TABLE, "collected_date", "lab")
if filters is None:
    ui.no_data()
    st.stop()

with st.sidebar:
    priorities = coded_multiselect("priority", ["stat", "routine"], ["stat", "routine"], "lab_priority", "priority_")
    site = coded_radio("site", ["in_house", "send_out"], "lab_site", "site_")
tests_available = query(f"SELECT DISTINCT test_code, test_name FROM {TABLE} WHERE performing_site = ? ORDER BY 2",
                        [site])
test_names = dict(zip(tests_available["test_code"], tests_available["test_name"], strict=True))
if language() == "de":  # the catalog's German names; codes not in the catalog keep the mart's name
    german = catalog_names("test", "de")
    test_names |= {c: german[c] for c in test_names if c in german}
with st.sidebar:
    tests = st.multiselect(t("test"), sorted(test_names, key=test_names.get), key=localized_key("lab_tests"),
                           format_func=test_names.get, placeholder=t("all_tests"))

where, params = filters.where("collected_date")
where += " AND is_countable AND list_contains(?, priority) AND performing_site = ?"
params += [priorities, site]
if tests:
    where += " AND list_contains(?, test_code)"
    params += [tests]

kpi = query(
    f"""SELECT count(*) AS tests,
               quantile_cont(collection_to_result_min, 0.5) AS median_min,
               quantile_cont(collection_to_result_min, 0.9) AS p90_min,
               100.0 * avg(is_within_target::INTEGER) AS within_pct,
               100.0 * avg(resulted_before_departure::INTEGER) AS before_left_pct,
               quantile_disc(target_minutes, 0.5) AS typical_target
        FROM {TABLE} WHERE {where}""",
    params,
)
if kpi.empty or int(kpi["tests"].iloc[0]) == 0:
    ui.no_data()
    st.stop()

k = kpi.iloc[0]
target_min = float(k["typical_target"])
row = ui.KpiRow(5)
row.kpi(t("kpi_tests"), k["tests"], decimals=0)
row.kpi(t("kpi_median"), k["median_min"], target=target_min, lower_is_better=True, help=t("help_median_target"))
row.kpi(t("kpi_p90"), k["p90_min"], target=target_min, lower_is_better=True, help=t("help_median_target"))
row.kpi(t("kpi_within"), k["within_pct"], percent=True, target=targets.WITHIN_TARGET_PCT)
row.kpi(t("kpi_before_left"), k["before_left_pct"], percent=True, target=targets.BEFORE_LEFT_PCT)

rows = query(f"SELECT test_code, priority, collection_to_result_min, target_minutes FROM {TABLE} WHERE {where}",
             params)
rows["test_name"] = rows["test_code"].map(test_names)
left, right = st.columns(2)
with left, st.container(border=True):
    order = sorted(rows["test_name"].unique(), reverse=True)
    fig = px.box(rows, y="test_name", x="collection_to_result_min", points="outliers", orientation="h",
                 title=t("chart_distribution"), category_orders={"test_name": order},
                 labels={"test_name": "", "collection_to_result_min": t("minutes")})
    # The target per test and priority: a red tick at the target minutes.
    for (priority, symbol) in (("routine", "line-ns-open"), ("stat", "diamond-tall-open")):
        per_test = rows[rows["priority"] == priority].groupby("test_name", as_index=False)["target_minutes"].max()
        if not per_test.empty:
            fig.add_scatter(y=per_test["test_name"], x=per_test["target_minutes"], mode="markers",
                            name=f"{t('target')} · {t(f'priority_{priority}')}",
                            marker={"symbol": symbol, "size": 18, "color": ui.TARGET_COLOR, "line": {"width": 3}})
    ui.chart(fig, height=max(380, 140 + 36 * len(order)))

weekly = query(
    f"""SELECT date_trunc('week', collected_date) AS week,
               quantile_cont(collection_to_result_min, 0.5) AS p50,
               quantile_cont(collection_to_result_min, 0.9) AS p90
        FROM {TABLE} WHERE {where} GROUP BY 1 ORDER BY 1""",
    params,
).rename(columns={"p50": t("median"), "p90": t("p90")})
with right, st.container(border=True):
    fig = px.line(weekly, x="week", y=[t("median"), t("p90")], markers=True, title=t("chart_weekly"),
                  labels={"week": t("week"), "value": t("minutes"), "variable": ""})
    ui.target_line(fig, target_min)
    fig.update_xaxes(dtick=7 * 24 * 3600 * 1000, tick0="2024-01-01")  # one tick per week, on Mondays
    ui.chart(fig, date_x=True)

# Hour of day x weekday of collection: where in the week do results miss their target?
heat = query(
    f"""SELECT collected_weekday AS weekday, collected_hour AS hour, count(*) AS tests,
               100.0 * avg(is_within_target::INTEGER) AS within_pct
        FROM {TABLE} WHERE {where} GROUP BY ALL ORDER BY 1, 2""",
    params,
)
with st.container(border=True):
    day_names = t("weekdays").split(",")
    hours = list(range(int(heat["hour"].min()), int(heat["hour"].max()) + 1))
    days = list(range(1, 8))
    grid = heat.pivot(index="weekday", columns="hour", values="within_pct").reindex(index=days, columns=hours)
    counts = heat.pivot(index="weekday", columns="hour", values="tests").reindex(index=days, columns=hours)
    hover = counts.map(lambda n: "" if pd.isna(n) else t("n_tests", n=fmt_number(n, 0)))
    # Red below the target share, green at or above it.
    cut = targets.WITHIN_TARGET_PCT / 100
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=hours, y=[day_names[d - 1] for d in days], text=hover.values, zmin=0, zmax=100,
        colorscale=[[0, "#c0392b"], [cut * 0.999, "#f5b7b1"], [cut, "#abebc6"], [1, "#1e8449"]],
        texttemplate="%{z:.0f}", hovertemplate="%{y} %{x}:00<br>%{z:.1f} %<br>%{text}<extra></extra>",
        xgap=2, ygap=2, hoverongaps=False,
        colorbar={"title": "%", "tickvals": [0, 50, targets.WITHIN_TARGET_PCT, 100],
                  "ticktext": ["0", "50", f"{t('target')} {fmt_number(targets.WITHIN_TARGET_PCT, 0)}", "100"]},
    ))
    fig.update_layout(title=t("chart_lab_heatmap", target=fmt_percent(targets.WITHIN_TARGET_PCT, 0)))
    fig.update_xaxes(dtick=1, title_text=t("hour"))
    fig.update_yaxes(autorange="reversed", title_text=t("weekday"))
    ui.chart(fig, height=360)

st.subheader(t("slowest"))
st.caption(t("slowest_help"))
LOCAL = "timezone(c.timezone, timezone('UTC', {ts}))"  # UTC timestamp -> the clinic's wall clock
RECEIVED = "s.collected_at + to_seconds(s.collection_to_receipt_min * 60)"
VERIFIED = f"{RECEIVED} + to_seconds(s.receipt_to_verified_min * 60)"
slowest = query(
    f"""SELECT s.clinic_id, s.specimen_id, s.test_code, s.test_name, s.priority,
               {LOCAL.format(ts="s.collected_at - to_seconds(s.order_to_collection_min * 60)")} AS ordered_at_local,
               {LOCAL.format(ts="s.collected_at")} AS collected_at_local,
               {LOCAL.format(ts=RECEIVED)} AS received_at_local,
               {LOCAL.format(ts="s.result_at")} AS result_at_local,
               {LOCAL.format(ts=VERIFIED)} AS verified_at_local,
               {LOCAL.format(ts=VERIFIED + " + to_seconds(s.result_to_review_min * 60)")} AS reviewed_at_local,
               {LOCAL.format(ts="s.departed_at")} AS departed_at_local,
               s.collection_to_result_min, s.target_minutes, s.is_within_target, s.resulted_before_departure
        FROM (SELECT * FROM {TABLE} WHERE {where} ORDER BY collection_to_result_min DESC LIMIT 100) s
        JOIN raw.clinics c USING (clinic_id)
        ORDER BY s.collection_to_result_min DESC, s.clinic_id, s.specimen_id""",
    params,
)
slowest["test_name"] = slowest["test_code"].map(test_names).fillna(slowest["test_name"])
slowest["priority"] = slowest["priority"].map(lambda p: t(f"priority_{p}"))
ui.table(slowest, {"clinic_id": "clinic", "specimen_id": "specimen", "test_name": "test", "priority": "priority",
                   "ordered_at_local": "ordered_at", "collected_at_local": "collected_at",
                   "received_at_local": "received_at", "result_at_local": "result_at",
                   "verified_at_local": "verified_at", "reviewed_at_local": "reviewed_at",
                   "departed_at_local": "departed_at", "collection_to_result_min": "collection_to_result",
                   "target_minutes": "target_minutes", "is_within_target": "within_target",
                   "resulted_before_departure": "before_left"},
         "slowest_specimens.csv", key="lab_slowest", plain=("specimen_id",))
