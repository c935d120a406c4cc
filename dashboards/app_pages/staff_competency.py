"""Staff competency: who may do what today without supervision, what falls due, and what was done by someone not
(yet) competent? (supervisors)

Status per staff member x competency on the chosen day from fct_competency_status_daily (domain-standards 4):
current / due soon (due within 30 days, due date included) / overdue / never assessed (procedure skills: not
signed off). Certifications from fct_certification_status_daily; exceptions from fct_competency_exceptions.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboards import ui
from dashboards.auth import require_page
from dashboards.data import catalog_names, has_table, procedure_names, test_names
from dashboards.filters import clinic_select, coded_multiselect, date_format, localized_key
from dashboards.i18n import fmt_date, language, t
from dashboards.queries.competency import (
    STATUS,
    due_items,
    recent_exceptions,
    status_history,
    status_matrix,
    status_span,
)
from dashboards.row_limit import caption_rows
from dashboards.translate import code_column

require_page("staff_competency")
STATUSES = ["current", "due_soon", "overdue", "never_assessed"]
STATUS_COLORS = {"current": "#27ae60", "due_soon": "#f39c12", "overdue": "#c0392b", "never_assessed": "#95a5a6"}
KINDS = ["test_system", "procedure"]
EXCEPTION_DAYS = 30

st.title(t("page_staff_competency"))
ui.data_as_of()
ui.require_data()
if not has_table(STATUS):
    ui.no_data()
    st.stop()
span = status_span()
if span.empty:
    ui.no_data()
    st.stop()
with st.sidebar:
    st.subheader(t("filters"))
    clinics = clinic_select(sorted(span["clinic_id"]), "competency_clinics")
    chosen_span = span[span["clinic_id"].isin(clinics)]
    first = span["first"].min().date()
    last = span["last"].max().date()
    # Default: the latest day every chosen clinic has a status for.
    default = chosen_span["last"].min().date() if not chosen_span.empty else last
    as_of = st.date_input(t("as_of_date"), value=default, min_value=first, max_value=last, key="competency_as_of",
                          format=date_format())
    kinds = coded_multiselect("competency_kind", KINDS, KINDS, "competency_kinds", "competency_kind_")
    lang = language()
    window = st.radio(t("due_window"), [30, 60], horizontal=True, key=localized_key("competency_due_window"),
                      format_func=lambda d: t("days_n", lang, n=d))

matrix = status_matrix(clinics, as_of, kinds)
if matrix.empty:
    ui.no_data()
    st.stop()
# Competency and certification names in the chosen language (the mart's English name where the catalog has none).
competency_names = catalog_names("competency", language())
certification_names = catalog_names("certification", language())
matrix["competency_name"] = matrix["competency_code"].map(competency_names).fillna(matrix["competency_name"])

counts = matrix["status"].value_counts()
row = ui.KpiRow(5)
row.kpi(t("kpi_staff"), matrix["staff_id"].nunique(), decimals=0)
row.kpi(t("status_current"), int(counts.get("current", 0)), decimals=0)
row.kpi(t("status_due_soon"), int(counts.get("due_soon", 0)), decimals=0)
row.kpi(t("status_overdue"), int(counts.get("overdue", 0)), decimals=0, target=0, lower_is_better=True, unit="")
row.kpi(t("status_never_assessed"), int(counts.get("never_assessed", 0)), decimals=0)

with st.container(border=True):
    matrix["person"] = matrix["clinic_id"] + " · " + matrix["display_name"].fillna(matrix["staff_id"])
    codes = {s: i for i, s in enumerate(STATUSES)}
    grid = matrix.pivot_table(index="person", columns="competency_name", values="status", aggfunc="first")
    z = grid.map(lambda s: codes.get(s) if isinstance(s, str) else None)
    text = grid.map(lambda s: t(f"status_{s}") if isinstance(s, str) else "")
    n = len(STATUSES)
    scale = [[edge, STATUS_COLORS[s]] for i, s in enumerate(STATUSES) for edge in (i / n, (i + 1) / n)]
    fig = go.Figure(go.Heatmap(
        z=z.values, x=list(grid.columns), y=list(grid.index), text=text.values, hoverongaps=False,
        hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>", zmin=-0.5, zmax=n - 0.5, colorscale=scale,
        xgap=2, ygap=2,
        colorbar={"tickvals": list(range(n)), "ticktext": [t(f"status_{s}") for s in STATUSES], "title": ""},
    ))
    fig.update_layout(title=t("chart_matrix", date=fmt_date(as_of)))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-35)
    ui.chart(fig, height=max(420, 200 + 24 * len(grid)))

st.subheader(t("due_list", days=window))
due, due_total = due_items(clinics, as_of, kinds, window)
if due.empty:
    st.caption(t("nothing_due"))
else:
    names = {"competency": competency_names, "certification": certification_names}
    due["item"] = [names[kind].get(code, item) for kind, code, item in
                   zip(due["item_type"], due["item_code"], due["item"], strict=True)]
    due = due.drop(columns="item_code")
    due["item_type"] = code_column(due["item_type"], "item_")
    due["status"] = code_column(due["status"], "status_")
    ui.table(due, {"clinic_id": "clinic", "display_name": "staff_member", "staff_id": "staff_id",
                   "item_type": "item_type", "item": "item", "status": "status", "due_date": "due_date",
                   "days_left": "days_left"}, "competency_due.csv", key="competency_due", plain=("staff_id",))
    caption_rows(len(due), due_total, "order_most_urgent_first")

st.subheader(t("exceptions_title", days=EXCEPTION_DAYS, date=fmt_date(as_of)))
exceptions, exceptions_total = recent_exceptions(clinics, as_of, EXCEPTION_DAYS)
if exceptions.empty:
    st.caption(t("no_competency_exceptions"))
else:
    exceptions["rule_code"] = code_column(exceptions["rule_code"], "rule_")
    exceptions["reason"] = code_column(exceptions["reason"], "reason_")
    # The test's or procedure's name (the code when the catalog does not know it).
    names = {"test": test_names(language()), "procedure": procedure_names(language())}
    exceptions["performed_code"] = [names.get(kind, {}).get(code, code) for kind, code in
                                    zip(exceptions["performance_type"], exceptions["performed_code"], strict=True)]
    exceptions["performance_type"] = code_column(exceptions["performance_type"], "performance_")
    ui.table(exceptions, {"clinic_id": "clinic", "exception_date": "date", "display_name": "staff_member",
                          "staff_id": "staff_id", "rule_code": "rule", "reason": "reason",
                          "performance_type": "performance_type", "performed_code": "performed_code",
                          "record_id": "record_id", "supervised_by": "supervised_by",
                          "supervisor_id": "supervisor", "detail": "detail"},
             "competency_exceptions.csv", key="competency_exceptions", plain=("staff_id", "record_id"))
    caption_rows(len(exceptions), exceptions_total, "order_latest_first")

st.subheader(t("staff_history"))
people = matrix.drop_duplicates("staff_id").set_index("staff_id")["person"].to_dict()
person = st.selectbox(t("staff_member"), list(people), format_func=people.get, key=localized_key("competency_person"))
history = status_history(clinics, person, as_of, kinds)
history["competency_name"] = history["competency_code"].map(competency_names).fillna(history["competency_name"])
with st.container(border=True):
    hz = history.pivot_table(index="competency_name", columns="status_date", values="status", aggfunc="first")
    fig = go.Figure(go.Heatmap(
        z=hz.map(lambda s: codes.get(s) if isinstance(s, str) else None).values, x=list(hz.columns),
        y=list(hz.index), text=hz.map(lambda s: t(f"status_{s}") if isinstance(s, str) else "").values,
        hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>", zmin=-0.5, zmax=n - 0.5, colorscale=scale,
        ygap=2, showscale=False,
    ))
    fig.update_layout(title=t("chart_history", person=people[person]))
    fig.update_yaxes(autorange="reversed")
    ui.chart(fig, date_x=True, height=max(300, 160 + 26 * len(hz)))
# The days a status changed (the first day of each run of the same status).
changes = history[history["status"] != history.groupby("competency_name")["status"].shift()].copy()
changes["status"] = changes["status"].map(lambda s: t(f"status_{s}"))
ui.table(changes.sort_values(["status_date", "competency_name"], ascending=[False, True]),
         {"status_date": "since", "competency_name": "competency", "status": "status", "due_on": "due_date",
          "last_assessed_on": "last_assessed_on"},
         "competency_history.csv", key="competency_history")
