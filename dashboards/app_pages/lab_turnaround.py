"""Rapid-test turnaround: did results come back while the patient was still here? (clinic managers)

Figures follow laboratory practice (domain-standards 1.2) and are defined once, in dashboards/queries/lab.py: median
and 90th percentile (linear interpolation) of collection -> result minutes, % within the test's target, the share
resulted before the patient left, the box plot's quartiles and whiskers, over rows the mart marks `is_countable`.
The page only lays them out: no specimen rows reach it except the slowest ones it lists.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboards import targets, ui
from dashboards.auth import require_page
from dashboards.data import catalog_names
from dashboards.filters import clinic_and_dates, coded_multiselect, coded_radio, localized_key
from dashboards.i18n import fmt_number, fmt_percent, language, t
from dashboards.queries.lab import (
    TABLE,
    lab_selection,
    lab_slowest,
    lab_targets,
    lab_tests,
    lab_turnaround_boxes,
    lab_turnaround_kpis,
    lab_within_target_by_hour,
)
from dashboards.row_limit import caption_rows

require_page("lab_turnaround")

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
tests_available = lab_tests(site)
test_names = dict(zip(tests_available["test_code"], tests_available["test_name"], strict=True))
if language() == "de":  # the catalog's German names; codes not in the catalog keep the mart's name
    german = catalog_names("test", "de")
    test_names |= {c: german[c] for c in test_names if c in german}
with st.sidebar:
    tests = st.multiselect(t("test"), sorted(test_names, key=test_names.get), key=localized_key("lab_tests"),
                           format_func=test_names.get, placeholder=t("all_tests"))
selection = lab_selection(filters.clinics, filters.start, filters.end, site=site, priorities=priorities, tests=tests)

kpi = lab_turnaround_kpis(selection)
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

# Box per test from quartiles and whiskers computed in SQL; outliers beyond the whiskers are counted (hover), and
# the slowest of them are listed below.
boxes = lab_turnaround_boxes(selection)
boxes["test_name"] = boxes["test_code"].map(test_names).fillna(boxes["test_code"])
boxes = boxes.sort_values("test_name", ascending=False)
per_target = lab_targets(selection)
per_target["test_name"] = per_target["test_code"].map(test_names).fillna(per_target["test_code"])
left, right = st.columns(2)
with left, st.container(border=True):
    fig = go.Figure(go.Box(
        y=boxes["test_name"].tolist(), q1=boxes["q1"].tolist(), median=boxes["median"].tolist(),
        q3=boxes["q3"].tolist(), lowerfence=boxes["lower_fence"].tolist(), upperfence=boxes["upper_fence"].tolist(),
        orientation="h", boxpoints=False, name=t("minutes"), showlegend=False,
        text=[t("n_tests", n=fmt_number(n, 0)) + " · " + t("n_outliers", n=fmt_number(o, 0))
              for n, o in zip(boxes["n"], boxes["outliers"], strict=True)],
    ))
    # The target per test and priority: a red tick at the target minutes.
    for (priority, symbol) in (("routine", "line-ns-open"), ("stat", "diamond-tall-open")):
        marks = per_target[(per_target["priority"] == priority) & per_target["target_minutes"].notna()]
        if not marks.empty:
            fig.add_scatter(y=marks["test_name"], x=marks["target_minutes"], mode="markers",
                            name=f"{t('target')} · {t(f'priority_{priority}')}",
                            marker={"symbol": symbol, "size": 18, "color": ui.TARGET_COLOR, "line": {"width": 3}})
    fig.update_layout(title=t("chart_distribution"))
    fig.update_xaxes(title_text=t("minutes"))
    fig.update_yaxes(categoryorder="array", categoryarray=boxes["test_name"].tolist())
    ui.chart(fig, height=max(380, 140 + 36 * len(boxes)))

weekly = lab_turnaround_kpis(selection, by="week").rename(columns={"median_min": t("median"), "p90_min": t("p90")})
with right, st.container(border=True):
    fig = px.line(weekly, x="week", y=[t("median"), t("p90")], markers=True, title=t("chart_weekly"),
                  labels={"week": t("week"), "value": t("minutes"), "variable": ""})
    ui.target_line(fig, target_min)
    fig.update_xaxes(dtick=7 * 24 * 3600 * 1000, tick0="2024-01-01")  # one tick per week, on Mondays
    ui.chart(fig, date_x=True)

# Hour of day x weekday of collection: where in the week do results miss their target?
heat = lab_within_target_by_hour(selection)
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
slowest, total = lab_slowest(selection)
slowest["test_name"] = slowest["test_code"].map(test_names).fillna(slowest["test_name"])
slowest["priority"] = slowest["priority"].map({p: t(f"priority_{p}") for p in slowest["priority"].unique()})
ui.table(slowest, {"clinic_id": "clinic", "specimen_id": "specimen", "test_name": "test", "priority": "priority",
                   "ordered_at_local": "ordered_at", "collected_at_local": "collected_at",
                   "received_at_local": "received_at", "result_at_local": "result_at",
                   "verified_at_local": "verified_at", "reviewed_at_local": "reviewed_at",
                   "departed_at_local": "departed_at", "collection_to_result_min": "collection_to_result",
                   "target_minutes": "target_minutes", "is_within_target": "within_target",
                   "resulted_before_departure": "before_left"},
         "slowest_specimens.csv", key="lab_slowest", plain=("specimen_id",))
caption_rows(len(slowest), total, "order_slowest_first")
