"""Sidebar filters shared by the pages: clinic and date range (more per page where the page needs them).

The clinic filter only offers the signed-in user's clinics (data.py already restricts every table to them), and
`Filters.where` keeps only those even if a caller passes others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboards.data import allowed_clinics, clinic_names, has_table, query
from dashboards.i18n import LANGUAGES, code_labels, language, t


@dataclass(frozen=True)
class Filters:
    clinics: list[str]
    start: date
    end: date

    def where(self, date_column: str) -> tuple[str, list]:
        """SQL predicate and its bound parameters for these filters."""
        allowed = set(allowed_clinics())
        return (
            f"list_contains(?, clinic_id) AND {date_column} BETWEEN ? AND ?",
            [[c for c in self.clinics if c in allowed], self.start, self.end],
        )


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def clinic_select(options: list[str], key: str) -> list[str]:
    """Multiselect over the user's clinics among `options`, all selected by default, shown with their names."""
    allowed = set(allowed_clinics())
    options = [c for c in options if c in allowed]
    names = clinic_names()
    chosen = st.multiselect(t("clinic"), options, default=options, key=key, placeholder=t("choose"),
                            format_func=lambda c: f"{c} · {names[c]}" if c in names else c)
    return [c for c in chosen if c in allowed]


def localized_key(name: str) -> str:
    """Widget key for a widget whose option labels depend on the language.

    Streamlit matches a widget's state by its formatted label, so after a language switch the old label would
    match no option: each language gets its own key, and the new one starts from the old one's value.
    """
    key = f"{name}.{language()}"
    if key not in st.session_state:
        for other in LANGUAGES:
            old = st.session_state.get(f"{name}.{other}")
            if other != language() and old is not None:
                st.session_state[key] = old
                break
    return key


def coded_multiselect(label_key: str, codes: list[str], default: list[str], name: str, prefix: str) -> list[str]:
    """Multiselect over codes shown as translated labels (`<prefix><code>`)."""
    key = localized_key(name)
    kwargs = {} if key in st.session_state else {"default": default}
    return st.multiselect(t(label_key), codes, key=key, format_func=code_labels(prefix), placeholder=t("choose"),
                          **kwargs)


def coded_radio(label_key: str, codes: list[str], name: str, prefix: str) -> str:
    """Horizontal radio over codes shown as translated labels (`<prefix><code>`)."""
    return st.radio(t(label_key), codes, horizontal=True, key=localized_key(name), format_func=code_labels(prefix))


def date_format() -> str:
    return "DD.MM.YYYY" if language() == "de" else "YYYY-MM-DD"


def clinic_and_dates(table: str, date_column: str, key: str) -> Filters | None:
    """Clinic multiselect and date range over `table`; None when the table has no rows for this user."""
    if not has_table(table):
        return None
    span = query(f"SELECT min({date_column}) AS first, max({date_column}) AS last FROM {table}")
    clinics = query(f"SELECT DISTINCT clinic_id FROM {table} ORDER BY 1")
    if span.empty or clinics.empty or span["first"].isna().all():
        return None
    first, last = _as_date(span["first"].iloc[0]), _as_date(span["last"].iloc[0])
    with st.sidebar:
        st.subheader(t("filters"))
        chosen = clinic_select(clinics["clinic_id"].tolist(), f"{key}_clinics")
        picked = st.date_input(t("date_range"), value=(first, last), min_value=first, max_value=last,
                               key=f"{key}_dates", format=date_format())
    start, end = (picked if isinstance(picked, tuple | list) and len(picked) == 2 else (first, last))
    return Filters(chosen, start, end)
