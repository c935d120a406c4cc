"""English and German labels and number/date formats for the dashboards.

German-speaking clinics are a main audience: every label a page shows goes through `t()`, and every number
or date through `fmt_number` / `fmt_date`, so the language switch changes all of them at once.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

LANGUAGES = {"en": "English", "de": "Deutsch"}

LABELS: dict[str, dict[str, str]] = {
    "app_title": {"en": "Clinic back office", "de": "Praxis-Backoffice"},
    "language": {"en": "Language", "de": "Sprache"},
    "filters": {"en": "Filters", "de": "Filter"},
    "clinic": {"en": "Clinic", "de": "Praxis"},
    "date_range": {"en": "Date range", "de": "Zeitraum"},
    "no_data": {"en": "No data for this selection.", "de": "Keine Daten für diese Auswahl."},
    "no_warehouse": {
        "en": "No published data yet: run `backoffice ingest` and `backoffice build` first.",
        "de": "Noch keine veröffentlichten Daten: zuerst `backoffice ingest` und `backoffice build` ausführen.",
    },
    "download_csv": {"en": "Download CSV", "de": "CSV herunterladen"},
    "data_as_of": {"en": "Data as of", "de": "Datenstand"},
    # Rapid-test turnaround
    "page_lab": {"en": "Rapid-test turnaround", "de": "Schnelltest-Bearbeitungszeit"},
    "test": {"en": "Test", "de": "Test"},
    "priority": {"en": "Priority", "de": "Priorität"},
    "site": {"en": "Performed", "de": "Durchgeführt"},
    "kpi_tests": {"en": "Tests", "de": "Tests"},
    "kpi_median": {"en": "Median (min)", "de": "Median (Min.)"},
    "kpi_p90": {"en": "90th percentile (min)", "de": "90. Perzentil (Min.)"},
    "kpi_within": {"en": "Within target", "de": "Im Zielwert"},
    "kpi_before_left": {"en": "Resulted before patient left", "de": "Ergebnis vor Abreise"},
    "chart_distribution": {
        "en": "Collection → result per test (minutes), dashed line = target",
        "de": "Abnahme → Ergebnis je Test (Minuten), gestrichelt = Zielwert",
    },
    "chart_weekly": {
        "en": "Weekly median and 90th percentile (minutes)",
        "de": "Wöchentlicher Median und 90. Perzentil (Minuten)",
    },
    "minutes": {"en": "Minutes", "de": "Minuten"},
    "week": {"en": "Week", "de": "Woche"},
    "slowest": {"en": "Slowest specimens", "de": "Langsamste Proben"},
    # Room usage
    "page_rooms": {"en": "Room usage", "de": "Raumnutzung"},
    "room_type": {"en": "Room type", "de": "Raumtyp"},
    "kpi_utilization": {"en": "Raw utilization", "de": "Auslastung (roh)"},
    "kpi_turnover": {"en": "Median turnover (min)", "de": "Median Wechselzeit (Min.)"},
    "kpi_first_case": {"en": "First case on time", "de": "Erster Fall pünktlich"},
    "kpi_occupancies": {"en": "Room occupancies", "de": "Raumbelegungen"},
    "chart_heatmap": {
        "en": "Raw utilization by room and hour of day (%)",
        "de": "Auslastung (roh) nach Raum und Uhrzeit (%)",
    },
    "chart_turnover": {"en": "Turnover between patients (minutes)", "de": "Wechselzeit zwischen Patienten (Minuten)"},
    "hour": {"en": "Hour of day", "de": "Uhrzeit"},
    "room": {"en": "Room", "de": "Raum"},
    "count": {"en": "Count", "de": "Anzahl"},
    "daily_utilization": {"en": "Utilization per room and day", "de": "Auslastung je Raum und Tag"},
}


def language() -> str:
    return st.session_state.get("lang", "en")


def t(key: str) -> str:
    entry = LABELS.get(key)
    return entry.get(language(), entry["en"]) if entry else key


def fmt_number(value: float | int | None, decimals: int = 1) -> str:
    """1,234.5 in English, 1.234,5 in German; an em dash for missing values."""
    if value is None or value != value:  # NaN
        return "—"
    text = f"{value:,.{decimals}f}"
    if language() == "de":
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


def fmt_percent(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None or value != value else fmt_number(value, decimals) + " %"


def fmt_date(value: date) -> str:
    return value.strftime("%d.%m.%Y") if language() == "de" else value.isoformat()
