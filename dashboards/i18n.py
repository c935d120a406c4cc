"""English and German labels and number/date formats for the dashboards.

German-speaking clinics are a main audience: every label a page shows goes through `t()`, and every number
or date through `fmt_number` / `fmt_percent` / `fmt_date` / `fmt_datetime`, so the language switch changes all
of them at once (German: 1.234,5 and 25.11.2026; English: 1,234.5 and 2026-11-25). tests/test_dashboards_i18n.py
checks that every key the code uses has both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

LANGUAGES = {"en": "English", "de": "Deutsch"}

LABELS: dict[str, dict[str, str]] = {
    # Frame, sign-in, navigation
    "app_title": {"en": "Clinic back office", "de": "Praxis-Backoffice"},
    "language": {"en": "Language", "de": "Sprache"},
    "sign_in_title": {"en": "Sign in", "de": "Anmelden"},
    "username": {"en": "User name", "de": "Benutzername"},
    "password": {"en": "Password", "de": "Passwort"},
    "sign_in": {"en": "Sign in", "de": "Anmelden"},
    "sign_out": {"en": "Sign out", "de": "Abmelden"},
    "login_failed": {"en": "Unknown user name or wrong password.",
                     "de": "Unbekannter Benutzer oder falsches Passwort."},
    "login_locked": {
        "en": "Too many failed attempts for this user name: try again in 10 minutes.",
        "de": "Zu viele Fehlversuche für diesen Benutzernamen: in 10 Minuten erneut versuchen.",
    },
    "no_users": {
        "en": "No users yet: create one with `backoffice users add NAME --role manager --clinic C01`.",
        "de": "Noch keine Benutzer: mit `backoffice users add NAME --role manager --clinic C01` anlegen.",
    },
    "signed_in_as": {"en": "Signed in as **{user}** ({role}) · clinics {clinics}",
                     "de": "Angemeldet als **{user}** ({role}) · Praxen {clinics}"},
    "forbidden": {"en": "Your role cannot open this page.", "de": "Ihre Rolle darf diese Seite nicht öffnen."},
    "role_manager": {"en": "clinic manager", "de": "Praxismanagement"},
    "role_supervisor": {"en": "supervisor", "de": "Praxisanleitung"},
    "role_quality": {"en": "quality team", "de": "Qualitätsmanagement"},
    "role_admin": {"en": "administrator", "de": "Administration"},
    "section_summary": {"en": "", "de": ""},  # the overview sits on top, without a section heading
    "section_operations": {"en": "Operations", "de": "Betrieb"},
    "section_staff": {"en": "Staff", "de": "Personal"},
    "section_quality": {"en": "Quality", "de": "Qualität"},
    # Shared
    "filters": {"en": "Filters", "de": "Filter"},
    "choose": {"en": "Choose", "de": "Auswählen"},
    "all_tests": {"en": "All tests", "de": "Alle Tests"},
    "clinic": {"en": "Clinic", "de": "Praxis"},
    "date_range": {"en": "Date range", "de": "Zeitraum"},
    "no_data": {"en": "No data for this selection.", "de": "Keine Daten für diese Auswahl."},
    "no_warehouse": {
        "en": "No published data yet: run `backoffice ingest` and `backoffice build` first.",
        "de": "Noch keine veröffentlichten Daten: zuerst `backoffice ingest` und `backoffice build` ausführen.",
    },
    "download_csv": {"en": "Download CSV", "de": "CSV herunterladen"},
    "rows_shown": {"en": "Showing the first {shown} of {total} rows; the CSV has all of them.",
                   "de": "Angezeigt werden die ersten {shown} von {total} Zeilen; die CSV-Datei enthält alle."},
    "data_as_of": {"en": "Data as of: last ingest {ingest} · published {published}",
                   "de": "Datenstand: letzter Import {ingest} · veröffentlicht {published}"},
    "target": {"en": "Target", "de": "Zielwert"},
    "vs_target": {"en": "target {target}", "de": "Ziel {target}"},
    "target_band": {"en": "target {low}–{high}", "de": "Ziel {low}–{high}"},
    "in_band": {"en": "in band", "de": "im Bereich"},
    "pp": {"en": "pp", "de": "Pp."},
    "min_unit": {"en": "min", "de": "Min."},
    "yes": {"en": "yes", "de": "ja"},
    "no": {"en": "no", "de": "nein"},
    "week": {"en": "Week", "de": "Woche"},
    "week_label": {"en": "Week {week} · {start}", "de": "KW {week} · {start}"},
    "minutes": {"en": "Minutes", "de": "Minuten"},
    "percent": {"en": "Percent", "de": "Prozent"},
    "count": {"en": "Count", "de": "Anzahl"},
    "details": {"en": "Details", "de": "Details"},
    # Overview
    "page_overview": {"en": "Overview", "de": "Übersicht"},
    "overview_week": {"en": "Week", "de": "Woche"},
    "overview_lab": {"en": "Rapid tests", "de": "Schnelltests"},
    "overview_rooms": {"en": "Procedure rooms", "de": "Eingriffsräume"},
    "overview_quality": {"en": "Data quality", "de": "Datenqualität"},
    "overview_nothing": {
        "en": "The pages for your role (staff competency, throughput) appear here once their data models are "
              "published.",
        "de": "Die Seiten für Ihre Rolle (Kompetenzen, Durchsatz) erscheinen hier, sobald ihre Datenmodelle "
              "veröffentlicht sind.",
    },
    "chart_overview_lab": {"en": "Rapid tests per clinic (%)", "de": "Schnelltests je Praxis (%)"},
    "chart_overview_rooms": {"en": "Raw utilization of procedure rooms per clinic (%)",
                             "de": "Auslastung (roh) der Eingriffsräume je Praxis (%)"},
    "headline_table": {"en": "Headline numbers per clinic against targets",
                       "de": "Kennzahlen je Praxis gegenüber den Zielwerten"},
    "measure": {"en": "Measure", "de": "Kennzahl"},
    "value": {"en": "Value", "de": "Wert"},
    "met": {"en": "Target met", "de": "Ziel erreicht"},
    "unit": {"en": "Unit", "de": "Einheit"},
    "utilization_pct": {"en": "Raw utilization (%)", "de": "Auslastung roh (%)"},
    "open_page": {"en": "Open {page}", "de": "{page} öffnen"},
    # Rapid-test turnaround
    "page_lab_turnaround": {"en": "Rapid-test turnaround", "de": "Schnelltest-Bearbeitungszeit"},
    "test": {"en": "Test", "de": "Test"},
    "priority": {"en": "Priority", "de": "Priorität"},
    "priority_stat": {"en": "stat", "de": "Notfall"},
    "priority_routine": {"en": "routine", "de": "Routine"},
    "site": {"en": "Performed", "de": "Durchgeführt"},
    "site_in_house": {"en": "in house", "de": "in der Praxis"},
    "site_send_out": {"en": "send-out", "de": "Fremdlabor"},
    "kpi_tests": {"en": "Tests", "de": "Tests"},
    "kpi_median": {"en": "Median (min)", "de": "Median (Min.)"},
    "kpi_p90": {"en": "90th percentile (min)", "de": "90. Perzentil (Min.)"},
    "kpi_within": {"en": "Within target", "de": "Im Zielwert"},
    "kpi_before_left": {"en": "Resulted before patient left", "de": "Ergebnis vor Abreise"},
    "help_median_target": {
        "en": "Compared with the median of the selected tests' targets (seeds/lab_test_catalog.csv).",
        "de": "Verglichen mit dem Median der Zielwerte der gewählten Tests (seeds/lab_test_catalog.csv).",
    },
    "chart_distribution": {"en": "Collection → result per test (minutes)",
                           "de": "Abnahme → Ergebnis je Test (Minuten)"},
    "chart_weekly": {"en": "Median and 90th percentile per week (minutes)",
                     "de": "Median und 90. Perzentil je Woche (Minuten)"},
    "chart_lab_heatmap": {
        "en": "Within target by weekday and hour of collection (%)",
        "de": "Im Zielwert nach Wochentag und Uhrzeit der Abnahme (%)",
    },
    "median": {"en": "Median", "de": "Median"},
    "p90": {"en": "90th percentile", "de": "90. Perzentil"},
    "weekday": {"en": "Weekday", "de": "Wochentag"},
    "weekdays": {"en": "Mon,Tue,Wed,Thu,Fri,Sat,Sun", "de": "Mo,Di,Mi,Do,Fr,Sa,So"},
    "slowest": {"en": "Slowest specimens", "de": "Langsamste Proben"},
    "specimen": {"en": "Specimen", "de": "Probe"},
    "collected_at": {"en": "Collected", "de": "Abnahme"},
    "received_at": {"en": "Received", "de": "Eingang Labor"},
    "result_at": {"en": "Result", "de": "Ergebnis"},
    "departed_at": {"en": "Patient left", "de": "Patient gegangen"},
    "collection_to_result": {"en": "Collection → result (min)", "de": "Abnahme → Ergebnis (Min.)"},
    "target_minutes": {"en": "Target (min)", "de": "Zielwert (Min.)"},
    "within_target": {"en": "Within target", "de": "Im Zielwert"},
    "before_left": {"en": "Before patient left", "de": "Vor Abreise"},
    # Room usage
    "page_room_usage": {"en": "Room usage", "de": "Raumnutzung"},
    "room_type": {"en": "Room type", "de": "Raumtyp"},
    "room_type_procedure": {"en": "procedure", "de": "Eingriff"},
    "room_type_lab": {"en": "lab", "de": "Labor"},
    "room_type_imaging": {"en": "imaging", "de": "Bildgebung"},
    "room_type_exam": {"en": "exam", "de": "Untersuchung"},
    "room_type_sterile_processing": {"en": "sterile processing", "de": "Aufbereitung"},
    "kpi_utilization": {"en": "Raw utilization", "de": "Auslastung (roh)"},
    "kpi_turnover": {"en": "Median turnover (min)", "de": "Median Wechselzeit (Min.)"},
    "kpi_first_case": {"en": "First case on time", "de": "Erster Fall pünktlich"},
    "kpi_occupancies": {"en": "Room occupancies", "de": "Raumbelegungen"},
    "chart_heatmap": {
        "en": "Raw utilization by room and hour of day (%)",
        "de": "Auslastung (roh) nach Raum und Uhrzeit (%)",
    },
    "chart_turnover": {"en": "Turnover between patients (minutes)",
                       "de": "Wechselzeit zwischen Patienten (Minuten)"},
    "prolonged": {"en": "Prolonged", "de": "Verlängert"},
    "not_prolonged": {"en": "Usual", "de": "Üblich"},
    "hour": {"en": "Hour of day", "de": "Uhrzeit"},
    "room": {"en": "Room", "de": "Raum"},
    "day": {"en": "Day", "de": "Tag"},
    "staffed_min": {"en": "Staffed (min)", "de": "Besetzt (Min.)"},
    "occupied_min": {"en": "Patient in room (min)", "de": "Patient im Raum (Min.)"},
    "daily_utilization": {"en": "Utilization per room and day", "de": "Auslastung je Raum und Tag"},
    "occupancies": {"en": "Rows", "de": "Zeilen"},
    # Data quality
    "page_data_quality": {"en": "Data quality", "de": "Datenqualität"},
    "record_type": {"en": "Record type", "de": "Datensatztyp"},
    "kpi_files": {"en": "Files ingested", "de": "Importierte Dateien"},
    "kpi_rows_read": {"en": "Rows read", "de": "Gelesene Zeilen"},
    "kpi_rows_loaded": {"en": "Rows loaded", "de": "Geladene Zeilen"},
    "kpi_rows_quarantined": {"en": "Quarantined", "de": "In Quarantäne"},
    "kpi_flagged": {"en": "Flagged timelines", "de": "Markierte Abläufe"},
    "kpi_reconciled": {"en": "Reconciled", "de": "Abgestimmt"},
    "help_reconciled": {"en": "Rows read = rows loaded + rows quarantined, per file.",
                        "de": "Gelesene Zeilen = geladene + Zeilen in Quarantäne, je Datei."},
    "help_flagged": {
        "en": "Loaded rows with an impossible timeline (e.g. result before collection); left out of the statistics.",
        "de": "Geladene Zeilen mit unmöglichem Zeitablauf (z. B. Ergebnis vor Abnahme); nicht in den Statistiken.",
    },
    "chart_files": {"en": "Rows per file: loaded and quarantined (rows)",
                    "de": "Zeilen je Datei: geladen und in Quarantäne (Zeilen)"},
    "chart_reasons": {"en": "Quarantined rows by reason (rows), target = 0",
                      "de": "Zeilen in Quarantäne nach Grund (Zeilen), Zielwert = 0"},
    "loaded": {"en": "Loaded", "de": "Geladen"},
    "quarantined": {"en": "Quarantined", "de": "Quarantäne"},
    "ingest_log": {"en": "Ingest log per file", "de": "Importprotokoll je Datei"},
    "quarantine_rows": {"en": "Quarantined rows (fix them in the export and ingest it again)",
                        "de": "Zeilen in Quarantäne (im Export korrigieren und erneut importieren)"},
    "flagged_rows": {"en": "Flagged timelines", "de": "Markierte Zeitabläufe"},
    "no_quarantine": {"en": "No rows in quarantine.", "de": "Keine Zeilen in Quarantäne."},
    "no_flagged": {"en": "No flagged timelines for this selection.",
                   "de": "Keine markierten Zeitabläufe für diese Auswahl."},
    "file": {"en": "File", "de": "Datei"},
    "line": {"en": "Line", "de": "Zeile"},
    "reason": {"en": "Reason", "de": "Grund"},
    "status": {"en": "Status", "de": "Status"},
    "status_loaded": {"en": "loaded", "de": "geladen"},
    "status_already_ingested": {"en": "already ingested", "de": "bereits importiert"},
    "status_dry_run": {"en": "dry run", "de": "Probelauf"},
    "status_failed": {"en": "failed", "de": "fehlgeschlagen"},
    "rows_read": {"en": "Read", "de": "Gelesen"},
    "rows_loaded": {"en": "Loaded", "de": "Geladen"},
    "rows_new": {"en": "New", "de": "Neu"},
    "rows_unchanged": {"en": "Unchanged", "de": "Unverändert"},
    "rows_superseded": {"en": "Superseded", "de": "Ersetzt"},
    "rows_quarantined": {"en": "Quarantined", "de": "Quarantäne"},
    "rows_flagged": {"en": "Flagged", "de": "Markiert"},
    "finished_at": {"en": "Finished", "de": "Beendet"},
    "reconciled": {"en": "Reconciled", "de": "Abgestimmt"},
    "kind": {"en": "Kind", "de": "Art"},
    "record_id": {"en": "Record", "de": "Datensatz"},
    "date": {"en": "Date", "de": "Datum"},
    "flags": {"en": "Flags", "de": "Markierungen"},
    "kind_lab": {"en": "lab specimen", "de": "Laborprobe"},
    "kind_room": {"en": "room occupancy", "de": "Raumbelegung"},
}


def language() -> str:
    return st.session_state.get("lang", "en")


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The label `key` in the chosen language (or `lang`), with `values` filled in; the key itself if unknown."""
    entry = LABELS.get(key)
    text = entry.get(lang or language(), entry["en"]) if entry else key
    return text.format(**values) if values else text


def code_labels(prefix: str) -> Callable[[object], str]:
    """A widget `format_func` for coded options: label `<prefix><code>`, in the language chosen now.

    The language is bound when the widget is built, because Streamlit's test harness (and its widget state
    matching) calls format_func outside the script run.
    """
    lang = language()
    return lambda code: t(f"{prefix}{code}", lang)


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value) in ("NaT", "<NA>", "nan")


def fmt_number(value: float | int | None, decimals: int = 1) -> str:
    """1,234.5 in English, 1.234,5 in German; an em dash for missing values."""
    if is_missing(value):
        return "—"
    text = f"{float(value):,.{decimals}f}"
    if language() == "de":
        text = text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
    return text


def fmt_signed(value: float, decimals: int = 1) -> str:
    """A delta with its sign: +5.0 / -15.0 (ASCII minus, which st.metric reads as "down")."""
    return ("+" if value > 0 else "-" if value < 0 else "±") + fmt_number(abs(value), decimals)


def fmt_percent(value: float | None, decimals: int = 1) -> str:
    return "—" if is_missing(value) else fmt_number(value, decimals) + " %"


def fmt_date(value: date | datetime | None) -> str:
    """25.11.2026 in German, 2026-11-25 in English."""
    if is_missing(value):
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%d.%m.%Y") if language() == "de" else value.isoformat()


def fmt_datetime(value: datetime | None, tz: str | None = None) -> str:
    """25.11.2026 14:05 in German, 2026-11-25 14:05 in English. An aware value is shown in time zone `tz`
    (e.g. the browser's), or in UTC with the suffix " UTC" when `tz` is missing or unknown."""
    if is_missing(value):
        return "—"
    suffix = ""
    if value.tzinfo is not None:
        try:
            value = value.astimezone(ZoneInfo(tz)) if tz else value.astimezone(UTC)
            suffix = "" if tz else " UTC"
        except (ZoneInfoNotFoundError, ValueError):
            value, suffix = value.astimezone(UTC), " UTC"
    return f"{fmt_date(value)} {value:%H:%M}{suffix}"


def plotly_separators() -> str:
    """Plotly's `separators` layout attribute (decimal, then thousands) for the chosen language."""
    return ",." if language() == "de" else ".,"
