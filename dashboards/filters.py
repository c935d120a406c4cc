"""Sidebar filters shared by the pages: clinic and date range (more per page where the page needs them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboards.data import query
from dashboards.i18n import t


@dataclass(frozen=True)
class Filters:
    clinics: list[str]
    start: date
    end: date

    def where(self, date_column: str) -> tuple[str, list]:
        """SQL predicate and its bound parameters for these filters."""
        return (
            f"list_contains(?, clinic_id) AND {date_column} BETWEEN ? AND ?",
            [self.clinics, self.start, self.end],
        )


def clinic_and_dates(table: str, date_column: str, key: str) -> Filters | None:
    """Clinic multiselect and date range over `table`; None when the table has no rows at all."""
    span = query(f"SELECT min({date_column}) AS first, max({date_column}) AS last FROM {table}")
    clinics = query(f"SELECT DISTINCT clinic_id FROM {table} ORDER BY 1")
    if span.empty or clinics.empty or span["first"].isna().all():
        return None
    first, last = span["first"].iloc[0], span["last"].iloc[0]
    first, last = getattr(first, "date", lambda: first)(), getattr(last, "date", lambda: last)()
    with st.sidebar:
        st.subheader(t("filters"))
        options = clinics["clinic_id"].tolist()
        chosen = st.multiselect(t("clinic"), options, default=options, key=f"{key}_clinics")
        picked = st.date_input(t("date_range"), value=(first, last), min_value=first, max_value=last,
                               key=f"{key}_dates", format="DD.MM.YYYY")
    start, end = (picked if isinstance(picked, tuple | list) and len(picked) == 2 else (first, last))
    return Filters(list(chosen), start, end)
