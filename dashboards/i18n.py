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
        "en": "Your role's figures are on the staff competency page: matrix, due list and exceptions.",
        "de": "Die Zahlen für Ihre Rolle stehen auf der Seite Kompetenzen: Matrix, Fälligkeiten und Abweichungen.",
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
        "en": "Within target by weekday and hour of collection (%, target ≥ {target})",
        "de": "Im Zielwert nach Wochentag und Uhrzeit der Abnahme (%, Ziel ≥ {target})",
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
    # Send-outs
    "page_send_outs": {"en": "Send-outs", "de": "Fremdlabor-Proben"},
    "reference_lab": {"en": "Reference lab", "de": "Fremdlabor"},
    "all_labs": {"en": "All reference labs", "de": "Alle Fremdlabore"},
    "kpi_send_outs": {"en": "Send-outs", "de": "Einsendungen"},
    "kpi_open": {"en": "Open", "de": "Offen"},
    "kpi_overdue": {"en": "Overdue", "de": "Überfällig"},
    "help_overdue": {
        "en": "Pending specimens past the reference lab's promise as of the clinic's latest data day: follow up.",
        "de": "Ausstehende Proben über der Zusage des Fremdlabors zum letzten Datenstand der Praxis: nachfragen.",
    },
    "kpi_within_promise": {"en": "Within promise", "de": "In Zusagezeit"},
    "help_within_promise": {
        "en": "Results back within the reference lab's promise, measured from pick-up (seeds/reference_labs.csv); "
              "target 90 % is a local goal.",
        "de": "Ergebnisse innerhalb der Zusage des Fremdlabors ab Abholung (seeds/reference_labs.csv); "
              "Ziel 90 % ist ein lokales Ziel.",
    },
    "kpi_median_hours": {"en": "Median total (h)", "de": "Median gesamt (Std.)"},
    "kpi_median_working_days": {"en": "Median (working days)", "de": "Median (Arbeitstage)"},
    "open": {"en": "Open", "de": "Offen"},
    "overdue": {"en": "Past promise", "de": "Über Zusage"},
    "specimens": {"en": "Specimens", "de": "Proben"},
    "chart_open_per_lab": {"en": "Open and overdue specimens per reference lab (specimens)",
                           "de": "Offene und überfällige Proben je Fremdlabor (Proben)"},
    "chart_within_promise_monthly": {"en": "Back within promise per month and reference lab (%)",
                                     "de": "In Zusagezeit zurück je Monat und Fremdlabor (%)"},
    "month": {"en": "Month", "de": "Monat"},
    "per_reference_lab": {"en": "Per reference lab", "de": "Je Fremdlabor"},
    "within_promise_pct": {"en": "Within promise (%)", "de": "In Zusagezeit (%)"},
    "promised_working_days": {"en": "Promise (working days)", "de": "Zusage (Arbeitstage)"},
    "median_to_shipped_hours": {"en": "Median collection → pick-up (h)", "de": "Median Abnahme → Abholung (Std.)"},
    "median_shipped_to_result_hours": {"en": "Median pick-up → result (h)", "de": "Median Abholung → Ergebnis (Std.)"},
    "median_total_hours": {"en": "Median total (h)", "de": "Median gesamt (Std.)"},
    "p90_total_hours": {"en": "90th percentile total (h)", "de": "90. Perzentil gesamt (Std.)"},
    "median_total_working_days": {"en": "Median total (working days)", "de": "Median gesamt (Arbeitstage)"},
    "p90_total_working_days": {"en": "90th percentile total (working days)",
                               "de": "90. Perzentil gesamt (Arbeitstage)"},
    "open_specimens": {"en": "Open specimens (overdue first)", "de": "Offene Proben (überfällige zuerst)"},
    "no_open_send_outs": {"en": "No open send-outs for this selection.",
                          "de": "Keine offenen Einsendungen für diese Auswahl."},
    "shipped_at": {"en": "Picked up", "de": "Abholung"},
    "open_hours": {"en": "Open (h)", "de": "Offen (Std.)"},
    "open_working_days": {"en": "Open (working days)", "de": "Offen (Arbeitstage)"},
    "as_of_date": {"en": "As of", "de": "Stand"},
    # Throughput
    "page_throughput": {"en": "Throughput", "de": "Durchsatz"},
    "activity_type": {"en": "Activity", "de": "Tätigkeit"},
    "activity_procedure": {"en": "procedure", "de": "Eingriff"},
    "activity_in_house_test": {"en": "in-house test", "de": "Test in der Praxis"},
    "activity_send_out_test": {"en": "send-out test", "de": "Fremdlabortest"},
    "kpi_procedures": {"en": "Procedures", "de": "Eingriffe"},
    "kpi_in_house_tests": {"en": "In-house tests", "de": "Tests in der Praxis"},
    "kpi_send_out_tests": {"en": "Send-out tests", "de": "Fremdlabortests"},
    "kpi_staffed_hours": {"en": "Staffed room hours", "de": "Besetzte Raumstunden"},
    "help_staffed_hours": {"en": "Opening hours of every room from the room schedule, summed over the selection.",
                           "de": "Öffnungszeiten aller Räume laut Raumplan, summiert über die Auswahl."},
    "kpi_procedures_per_staffed_hour": {"en": "Procedures per staffed hour", "de": "Eingriffe je besetzter Stunde"},
    "help_per_staffed_hour": {
        "en": "All procedures of the selection / all staffed room hours (a ratio of sums).",
        "de": "Alle Eingriffe der Auswahl / alle besetzten Raumstunden (Quotient der Summen).",
    },
    "kpi_activities_per_staffed_hour": {"en": "Activities per staffed hour", "de": "Tätigkeiten je besetzter Stunde"},
    "help_activities_per_staffed_hour": {
        "en": "Selected procedures and tests / all staffed room hours.",
        "de": "Gewählte Eingriffe und Tests / alle besetzten Raumstunden.",
    },
    "activities": {"en": "Activities", "de": "Tätigkeiten"},
    "procedures": {"en": "Procedures", "de": "Eingriffe"},
    "chart_per_day": {"en": "Procedures and tests per day (count)", "de": "Eingriffe und Tests je Tag (Anzahl)"},
    "chart_per_hour": {"en": "Procedures and tests by hour of day (count)",
                       "de": "Eingriffe und Tests nach Uhrzeit (Anzahl)"},
    "chart_room_hour": {"en": "Procedures per staffed hour by room and hour of day (per hour)",
                        "de": "Eingriffe je besetzter Stunde nach Raum und Uhrzeit (je Stunde)"},
    "per_staffed_hour_unit": {"en": "per hour", "de": "je Stunde"},
    "chart_per_procedure_type": {"en": "Procedures per procedure type (count)",
                                 "de": "Eingriffe je Eingriffsart (Anzahl)"},
    "per_room": {"en": "Per room", "de": "Je Raum"},
    "staffed_hours": {"en": "Staffed (h)", "de": "Besetzt (Std.)"},
    "per_staffed_hour": {"en": "Procedures per staffed hour", "de": "Eingriffe je besetzter Stunde"},
    "per_staff_member": {"en": "Per staff member", "de": "Je Mitarbeiter/in"},
    "staff_member": {"en": "Staff member", "de": "Mitarbeiter/in"},
    "total": {"en": "Total", "de": "Gesamt"},
    "days_active": {"en": "Days active", "de": "Tage aktiv"},
    "per_room_and_day": {"en": "Per room and day", "de": "Je Raum und Tag"},
    "outside_staffed_hours": {"en": "Outside staffed hours", "de": "Außerhalb der Besetzung"},
    "performers": {"en": "Performers", "de": "Durchführende"},
    # Staff competency
    "page_staff_competency": {"en": "Staff competency", "de": "Kompetenzen"},
    "competency_kind": {"en": "Kind", "de": "Art"},
    "competency_kind_test_system": {"en": "test system", "de": "Testsystem"},
    "competency_kind_procedure": {"en": "procedure skill", "de": "Eingriff"},
    "due_window": {"en": "Due within", "de": "Fällig innerhalb"},
    "days_n": {"en": "{n} days", "de": "{n} Tagen"},
    "kpi_staff": {"en": "Staff members", "de": "Mitarbeitende"},
    "status_current": {"en": "current", "de": "aktuell"},
    "status_due_soon": {"en": "due soon", "de": "bald fällig"},
    "status_overdue": {"en": "overdue", "de": "überfällig"},
    "status_never_assessed": {"en": "never assessed", "de": "nie geprüft"},
    "status_expiring": {"en": "expiring", "de": "läuft ab"},
    "status_expired": {"en": "expired", "de": "abgelaufen"},
    "status_missing": {"en": "missing", "de": "fehlt"},
    "chart_matrix": {"en": "Competency status per staff member on {date} (status)",
                     "de": "Kompetenzstatus je Mitarbeiter/in am {date} (Status)"},
    "due_list": {"en": "Due in the next {days} days (and overdue)",
                 "de": "Fällig in den nächsten {days} Tagen (und überfällig)"},
    "nothing_due": {"en": "Nothing due in this window.", "de": "In diesem Zeitraum ist nichts fällig."},
    "item_competency": {"en": "competency", "de": "Kompetenz"},
    "item_certification": {"en": "certification", "de": "Zertifikat"},
    "staff_id": {"en": "Staff id", "de": "Personal-Nr."},
    "item_type": {"en": "Type", "de": "Art"},
    "item": {"en": "Competency or certification", "de": "Kompetenz oder Zertifikat"},
    "due_date": {"en": "Due / valid through", "de": "Fällig / gültig bis"},
    "days_left": {"en": "Days left", "de": "Tage übrig"},
    "exceptions_title": {"en": "Exceptions in the {days} days up to {date}",
                         "de": "Abweichungen in den {days} Tagen bis {date}"},
    "no_competency_exceptions": {"en": "No exceptions in this period.", "de": "Keine Abweichungen in diesem Zeitraum."},
    "rule": {"en": "Rule", "de": "Regel"},
    "rule_performer_competency_current": {"en": "Performer's competency current",
                                          "de": "Kompetenz der durchführenden Person aktuell"},
    "rule_performer_certification_current": {"en": "Performer's certification current",
                                             "de": "Zertifikat der durchführenden Person gültig"},
    "rule_supervised_until_signed_off": {"en": "Supervised until signed off", "de": "Bis zur Freigabe unter Aufsicht"},
    "reason_assessment_overdue": {"en": "assessment overdue", "de": "Prüfung überfällig"},
    "reason_signoff_lapsed": {"en": "sign-off lapsed", "de": "Freigabe erloschen"},
    "reason_never_assessed": {"en": "never assessed", "de": "nie geprüft"},
    "reason_unsupervised_before_signoff": {"en": "unsupervised before sign-off", "de": "ohne Aufsicht vor Freigabe"},
    "reason_certification_expired": {"en": "certification expired", "de": "Zertifikat abgelaufen"},
    "reason_certification_missing": {"en": "certification missing", "de": "Zertifikat fehlt"},
    "performance_type": {"en": "Performed", "de": "Durchgeführt"},
    "performance_test": {"en": "test", "de": "Test"},
    "performance_procedure": {"en": "procedure", "de": "Eingriff"},
    "performed_code": {"en": "Test or procedure", "de": "Test oder Eingriff"},
    "supervised_by": {"en": "Supervised by", "de": "Unter Aufsicht von"},
    "supervisor": {"en": "Supervisor", "de": "Praxisanleitung"},
    "detail": {"en": "Detail", "de": "Detail"},
    "staff_history": {"en": "One staff member's history", "de": "Verlauf einer Person"},
    "chart_history": {"en": "Competency status of {person} per day (status)",
                      "de": "Kompetenzstatus von {person} je Tag (Status)"},
    "since": {"en": "Since", "de": "Seit"},
    "competency": {"en": "Competency", "de": "Kompetenz"},
    "last_assessed_on": {"en": "Last assessed", "de": "Zuletzt geprüft"},
    # Sterility compliance
    "page_sterility": {"en": "Sterility compliance", "de": "Sterilgut-Compliance"},
    "kpi_compliance": {"en": "Checks compliant", "de": "Prüfungen erfüllt"},
    "kpi_sterility_exceptions": {"en": "Exceptions", "de": "Abweichungen"},
    "kpi_loads": {"en": "Loads", "de": "Chargen"},
    "kpi_positive_bi": {"en": "Positive BIs", "de": "Positive Bioindikatoren"},
    "kpi_released_failed": {"en": "Released too early", "de": "Zu früh freigegeben"},
    "help_released_failed": {
        "en": "Loads released with a failed or missing physical or chemical result, and implant loads released "
              "before a negative BI (target 0).",
        "de": "Chargen, die trotz fehlgeschlagenem oder fehlendem physikalischem oder chemischem Ergebnis "
              "freigegeben wurden, und Implantat-Chargen vor negativem Bioindikator (Ziel 0).",
    },
    "result_pass": {"en": "pass / negative", "de": "bestanden / negativ"},
    "result_fail": {"en": "fail / positive", "de": "nicht bestanden / positiv"},
    "result_pending": {"en": "pending", "de": "ausstehend"},
    "result_missing": {"en": "missing", "de": "fehlt"},
    "chart_sterilizer_calendar": {
        "en": "Bowie-Dick (BD) and biological indicator (BI) results per sterilizer and day (result)",
        "de": "Bowie-Dick-Test (BD) und Bioindikator (BI) je Sterilisator und Tag (Ergebnis)",
    },
    "chart_compliance_weekly": {"en": "Compliance per week and domain (%)",
                                "de": "Einhaltung je Woche und Bereich (%)"},
    "domain": {"en": "Domain", "de": "Bereich"},
    "domain_sterilization": {"en": "sterilization", "de": "Sterilisation"},
    "domain_high_level_disinfection": {"en": "high-level disinfection", "de": "Desinfektion (HLD)"},
    "domain_environment": {"en": "cleaning", "de": "Reinigung"},
    "domain_patient_rights": {"en": "chaperone and interpreter", "de": "Begleitperson und Dolmetscher"},
    "domain_competency": {"en": "competency", "de": "Kompetenz"},
    "loads_with_issues": {"en": "Loads with issues", "de": "Chargen mit Auffälligkeiten"},
    "no_load_issues": {"en": "No load with issues in this selection.",
                       "de": "Keine auffällige Charge in dieser Auswahl."},
    "sterilizer": {"en": "Sterilizer", "de": "Sterilisator"},
    "load": {"en": "Load", "de": "Charge"},
    "cycle_type": {"en": "Cycle", "de": "Zyklus"},
    "started_at": {"en": "Started", "de": "Start"},
    "physical_pass": {"en": "Physical pass", "de": "Physikalisch bestanden"},
    "ci_result": {"en": "Chemical indicator", "de": "Chemoindikator"},
    "bi_result": {"en": "Biological indicator", "de": "Bioindikator"},
    "implant": {"en": "Implant", "de": "Implantat"},
    "released_at": {"en": "Released", "de": "Freigegeben"},
    "record_complete": {"en": "Record complete", "de": "Dokumentation vollständig"},
    "released_with_failed_indicator": {"en": "Released with failed indicator",
                                       "de": "Freigabe trotz Indikatorfehler"},
    "implant_release_ok": {"en": "Implant release ok", "de": "Implantat-Freigabe korrekt"},
    "recalled_by": {"en": "In recall of", "de": "Im Rückruf von"},
    "recall_trace": {"en": "Recall trace from a positive BI", "de": "Rückverfolgung ab positivem Bioindikator"},
    "no_positive_bi": {"en": "No positive biological indicator in this selection.",
                       "de": "Kein positiver Bioindikator in dieser Auswahl."},
    "positive_load": {"en": "Positive-BI load", "de": "Charge mit positivem BI"},
    "implicated_loads": {"en": "Loads in scope", "de": "Betroffene Chargen"},
    "patients": {"en": "Patients", "de": "Patienten"},
    "recall_position": {"en": "Position", "de": "Lage"},
    "recall_positive_load": {"en": "positive load", "de": "positive Charge"},
    "recall_since_last_negative_bi": {"en": "since last negative BI", "de": "seit letztem negativen BI"},
    "recall_before_next_negative_bi": {"en": "before next negative BI", "de": "vor nächstem negativen BI"},
    "released": {"en": "Released", "de": "Freigegeben"},
    "procedure": {"en": "Procedure", "de": "Eingriff"},
    "procedure_type": {"en": "Procedure type", "de": "Eingriffsart"},
    "performed_at": {"en": "Performed", "de": "Durchgeführt"},
    "patient_pseudonym": {"en": "Patient (pseudonym)", "de": "Patient (Pseudonym)"},
    "reprocessing_exceptions": {"en": "Sterilization, disinfection and cleaning exceptions",
                                "de": "Abweichungen bei Sterilisation, Desinfektion und Reinigung"},
    "no_sterility_exceptions": {"en": "No exceptions in this selection.",
                                "de": "Keine Abweichungen in dieser Auswahl."},
    "subject": {"en": "Subject", "de": "Gegenstand"},
    "device": {"en": "Device", "de": "Gerät"},
    "rule_source": {"en": "Source", "de": "Quelle"},
    "cycle_prevacuum": {"en": "pre-vacuum", "de": "Vorvakuum"},
    "cycle_gravity": {"en": "gravity", "de": "Gravitation"},
    "cycle_immediate_use": {"en": "immediate use", "de": "Sofortgebrauch"},
    "cycle_bowie_dick": {"en": "Bowie-Dick test", "de": "Bowie-Dick-Test"},
    "cycle_leak_test": {"en": "leak test", "de": "Vakuumtest"},
    "indicator_pass": {"en": "pass", "de": "bestanden"},
    "indicator_fail": {"en": "fail", "de": "nicht bestanden"},
    "indicator_not_used": {"en": "not used", "de": "nicht verwendet"},
    "indicator_negative": {"en": "negative", "de": "negativ"},
    "indicator_positive": {"en": "positive", "de": "positiv"},
    "indicator_pending": {"en": "pending", "de": "ausstehend"},
    "indicator_not_tested": {"en": "not tested", "de": "nicht geprüft"},
    "audit_report": {"en": "Audit report", "de": "Auditbericht"},
    "download_audit_report": {"en": "Download audit report (HTML)", "de": "Auditbericht herunterladen (HTML)"},
    # Rapid-test turnaround, added
    "n_tests": {"en": "{n} tests", "de": "{n} Tests"},
    "slowest_help": {
        "en": "The 100 slowest countable tests of the selection, every time on the clinic's clock. No patient "
              "identifier: the specimen id is the key to look the visit up in the lab system.",
        "de": "Die 100 langsamsten auswertbaren Tests der Auswahl, alle Zeiten in Praxis-Ortszeit. Kein "
              "Patientenbezug: über die Probennummer findet man den Besuch im Laborsystem.",
    },
    "ordered_at": {"en": "Ordered", "de": "Anforderung"},
    "verified_at": {"en": "Verified", "de": "Freigabe"},
    "reviewed_at": {"en": "Reviewed", "de": "Kenntnisnahme Arzt"},
    # Room usage, added
    "prolonged_turnovers": {"en": "Prolonged turnovers", "de": "Verlängerte Wechselzeiten"},
    "no_prolonged": {"en": "No prolonged turnover in this selection.",
                     "de": "Keine verlängerte Wechselzeit in dieser Auswahl."},
    "next_procedure": {"en": "Next procedure", "de": "Nächster Eingriff"},
    "patient_out": {"en": "Patient out", "de": "Patient raus"},
    "patient_in": {"en": "Patient in", "de": "Patient rein"},
    "turnover_min": {"en": "Turnover (min)", "de": "Wechselzeit (Min.)"},
    "baseline_turnover_min": {"en": "Room's usual turnover (min)", "de": "Übliche Wechselzeit des Raums (Min.)"},
    "first_cases": {"en": "First case of the day", "de": "Erster Fall des Tages"},
    "scheduled_start": {"en": "Scheduled start", "de": "Geplanter Beginn"},
    "first_case_delay": {"en": "Delay (min)", "de": "Verspätung (Min.)"},
    "on_time": {"en": "On time", "de": "Pünktlich"},
    "day_timeline": {"en": "Day timeline per room", "de": "Tagesablauf je Raum"},
    "chart_day_timeline": {"en": "Occupied, cleaning and idle staffed time per room on {day} (clock time)",
                           "de": "Belegt, Reinigung und ungenutzte besetzte Zeit je Raum am {day} (Uhrzeit)"},
    "segment": {"en": "Segment", "de": "Abschnitt"},
    "segment_occupied": {"en": "patient in room", "de": "Patient im Raum"},
    "segment_cleaning": {"en": "cleaning", "de": "Reinigung"},
    "segment_idle": {"en": "idle (staffed)", "de": "ungenutzt (besetzt)"},
    "start": {"en": "Start", "de": "Beginn"},
    "end": {"en": "End", "de": "Ende"},
    "clock_time": {"en": "Clock time", "de": "Uhrzeit"},
    # Overview, added
    "overview_competency": {"en": "Staff competency", "de": "Kompetenzen"},
    "overview_sterility": {"en": "Sterility and hygiene", "de": "Sterilgut und Hygiene"},
    "overview_day_note": {
        "en": "Latest day with data in the week: {day}. Status figures (overdue, expiring) are as of that day.",
        "de": "Letzter Tag mit Daten in der Woche: {day}. Statuszahlen (überfällig, läuft ab) gelten für diesen Tag.",
    },
    "kpi_staff_overdue": {"en": "Staff with an overdue competency", "de": "Personen mit überfälliger Kompetenz"},
    "help_staff_overdue": {
        "en": "Staff members with at least one competency past its reassessment date (target 0).",
        "de": "Mitarbeitende mit mindestens einer Kompetenz nach dem Prüftermin (Ziel 0).",
    },
    "kpi_staff_cert_expiring": {"en": "Staff with a certification expiring or expired",
                                "de": "Personen mit ablaufendem oder abgelaufenem Zertifikat"},
    "help_staff_cert_expiring": {
        "en": "Staff members with a required certification missing, expired or ending within 30 days (target 0).",
        "de": "Mitarbeitende mit fehlendem, abgelaufenem oder in 30 Tagen endendem Pflichtzertifikat (Ziel 0).",
    },
    "kpi_competency_exceptions": {"en": "Competency exceptions", "de": "Kompetenz-Abweichungen"},
    "kpi_positive_bi_recalls": {"en": "Positive-BI recalls", "de": "Rückrufe wegen positivem BI"},
    "help_positive_bi_recalls": {
        "en": "Loads with a positive biological indicator: each starts a recall of the loads since the last negative "
              "BI (target 0).",
        "de": "Chargen mit positivem Bioindikator: jede löst den Rückruf der Chargen seit dem letzten negativen BI "
              "aus (Ziel 0).",
    },
    "period_day": {"en": "Latest day", "de": "Letzter Tag"},
    "chart_overview_sterility": {"en": "Sterility and hygiene checks compliant per clinic this week (%)",
                                 "de": "Erfüllte Sterilgut- und Hygieneprüfungen je Praxis in dieser Woche (%)"},
    "period_week": {"en": "Week", "de": "Woche"},
    "met_day": {"en": "Target met (day)", "de": "Ziel erreicht (Tag)"},
    "met_week": {"en": "Target met (week)", "de": "Ziel erreicht (Woche)"},
    "kpi_week": {"en": "{label} · week", "de": "{label} · Woche"},
    "kpi_day": {"en": "{label} · {day}", "de": "{label} · {day}"},
    # Sterility, added
    "rule_bi_negative": {"en": "Biological indicator negative", "de": "Bioindikator negativ"},
    "rule_bi_routine_monitoring": {"en": "Weekly BI monitoring", "de": "Wöchentliche BI-Überwachung"},
    "rule_bowie_dick_daily": {"en": "Daily Bowie-Dick test", "de": "Täglicher Bowie-Dick-Test"},
    "rule_critical_item_traced": {"en": "Critical item traced to a passed load",
                                  "de": "Kritisches Medizinprodukt einer einwandfreien Charge zugeordnet"},
    "rule_implant_bi_release": {"en": "Implant load released after negative BI",
                                "de": "Implantat-Charge erst nach negativem BI freigegeben"},
    "rule_load_record_complete": {"en": "Load record complete", "de": "Chargendokumentation vollständig"},
    "rule_release_indicators_passed": {"en": "Released with passed indicators",
                                       "de": "Freigabe mit bestandenen Indikatoren"},
    "rule_hld_between_uses": {"en": "High-level disinfection between uses",
                              "de": "Desinfektion (HLD) zwischen den Anwendungen"},
    "rule_cleaning_between_patients": {"en": "Room cleaned between patients",
                                       "de": "Raum zwischen Patienten gereinigt"},
    "rule_terminal_clean_daily": {"en": "Terminal clean at the end of the day", "de": "Schlussreinigung am Tagesende"},
    "rule_chaperone_present": {"en": "Chaperone present when requested",
                               "de": "Begleitperson anwesend, wenn gewünscht"},
    "rule_interpreter_present": {"en": "Interpreter present when needed", "de": "Dolmetscher anwesend, wenn nötig"},
    "sreason_bi_positive": {"en": "BI positive", "de": "BI positiv"},
    "sreason_load_bi_positive": {"en": "load's BI positive", "de": "BI der Charge positiv"},
    "sreason_no_bi_in_period": {"en": "no BI in the period", "de": "kein BI im Zeitraum"},
    "sreason_no_bowie_dick_test": {"en": "no Bowie-Dick test", "de": "kein Bowie-Dick-Test"},
    "sreason_bowie_dick_after_first_load": {"en": "Bowie-Dick test after the first load",
                                            "de": "Bowie-Dick-Test erst nach der ersten Charge"},
    "sreason_incomplete_record": {"en": "record incomplete", "de": "Dokumentation unvollständig"},
    "sreason_implant_load_without_bi": {"en": "implant load without BI", "de": "Implantat-Charge ohne BI"},
    "sreason_implant_released_before_negative_bi": {"en": "implant released before negative BI",
                                                    "de": "Implantat vor negativem BI freigegeben"},
    "sreason_implant_load_released_before_negative_bi": {"en": "implant load released before negative BI",
                                                         "de": "Implantat-Charge vor negativem BI freigegeben"},
    "sreason_released_with_failed_chemical_indicator": {"en": "released with failed chemical indicator",
                                                        "de": "trotz nicht bestandenem Chemoindikator freigegeben"},
    "sreason_released_with_missing_chemical_indicator": {"en": "released without chemical indicator",
                                                         "de": "ohne Chemoindikator freigegeben"},
    "sreason_released_with_failed_physical_result": {
        "en": "released with failed physical result",
        "de": "trotz nicht bestandener physikalischer Prüfung freigegeben",
    },
    "sreason_released_with_missing_physical_result": {"en": "released without physical result",
                                                      "de": "ohne physikalisches Ergebnis freigegeben"},
    "sreason_load_chemical_indicator_fail_or_missing": {"en": "load's chemical indicator failed or missing",
                                                        "de": "Chemoindikator der Charge fehlt oder nicht bestanden"},
    "sreason_load_physical_fail_or_missing": {"en": "load's physical result failed or missing",
                                              "de": "physikalisches Ergebnis der Charge fehlt oder nicht bestanden"},
    "sreason_load_not_released": {"en": "load not released", "de": "Charge nicht freigegeben"},
    "sreason_load_released_after_use": {"en": "load released after use",
                                        "de": "Charge erst nach Verwendung freigegeben"},
    "sreason_no_load_recorded": {"en": "no load recorded", "de": "keine Charge dokumentiert"},
    "sreason_not_a_load_cycle": {"en": "not a load cycle", "de": "kein Beladungszyklus"},
    "sreason_no_hld_cycle_since_previous_use": {"en": "no disinfection since the previous use",
                                                "de": "keine Desinfektion seit der vorigen Anwendung"},
    "sreason_mec_test_not_passed": {"en": "concentration test not passed", "de": "Konzentrationstest nicht bestanden"},
    "sreason_exposure_time_outside_instructions": {"en": "exposure time outside instructions",
                                                   "de": "Einwirkzeit außerhalb der Herstellerangaben"},
    "sreason_method_not_in_instructions": {"en": "method not in the instructions",
                                           "de": "Verfahren nicht in den Herstellerangaben"},
    "sreason_no_cleaning_logged": {"en": "no cleaning logged", "de": "keine Reinigung dokumentiert"},
    "sreason_no_terminal_clean_logged": {"en": "no terminal clean logged", "de": "keine Schlussreinigung dokumentiert"},
    "sreason_chaperone_absent": {"en": "chaperone absent", "de": "Begleitperson nicht anwesend"},
    "sreason_chaperone_not_documented": {"en": "chaperone not documented", "de": "Begleitperson nicht dokumentiert"},
    "sreason_interpreter_absent": {"en": "interpreter absent", "de": "Dolmetscher nicht anwesend"},
    "sreason_interpreter_not_documented": {"en": "interpreter not documented", "de": "Dolmetscher nicht dokumentiert"},
    # Data quality, added: record types and quarantine reason codes
    "record_type_clinics": {"en": "clinics", "de": "Praxen"},
    "record_type_rooms": {"en": "rooms", "de": "Räume"},
    "record_type_room_schedule": {"en": "room schedule", "de": "Raumplan"},
    "record_type_staff": {"en": "staff", "de": "Personal"},
    "record_type_certifications": {"en": "certifications", "de": "Zertifikate"},
    "record_type_competency_assessments": {"en": "competency assessments", "de": "Kompetenzprüfungen"},
    "record_type_encounters": {"en": "encounters", "de": "Besuche"},
    "record_type_procedures": {"en": "procedures", "de": "Eingriffe"},
    "record_type_room_events": {"en": "room events", "de": "Raumereignisse"},
    "record_type_lab_specimens": {"en": "lab specimens", "de": "Laborproben"},
    "record_type_sterilizer_cycles": {"en": "sterilizer cycles", "de": "Sterilisatorzyklen"},
    "record_type_disinfection_cycles": {"en": "disinfection cycles", "de": "Desinfektionszyklen"},
    "flag_collected_before_order": {"en": "collected before ordered", "de": "Abnahme vor Anforderung"},
    "flag_cycle_end_before_start": {"en": "cycle ends before it starts", "de": "Zyklusende vor Beginn"},
    "flag_departed_before_arrival": {"en": "left before arriving", "de": "Abreise vor Ankunft"},
    "flag_exam_room_out_before_in": {"en": "out of exam room before in",
                                     "de": "Untersuchungsraum verlassen vor Betreten"},
    "flag_patient_out_before_in": {"en": "patient out before in", "de": "Patient raus vor rein"},
    "flag_patient_out_before_procedure_end": {"en": "patient out before procedure end",
                                              "de": "Patient raus vor Eingriffsende"},
    "flag_procedure_end_before_start": {"en": "procedure ends before it starts", "de": "Eingriffsende vor Beginn"},
    "flag_procedure_start_before_patient_in": {"en": "procedure starts before patient in",
                                               "de": "Eingriffsbeginn vor Patient rein"},
    "flag_received_before_collection": {"en": "received before collection", "de": "Eingang vor Abnahme"},
    "flag_result_before_collection": {"en": "result before collection", "de": "Ergebnis vor Abnahme"},
    "flag_shipped_before_collection": {"en": "picked up before collection", "de": "Abholung vor Abnahme"},
    "flag_verified_before_result": {"en": "verified before result", "de": "Freigabe vor Ergebnis"},
    "flag_unknown_room": {"en": "unknown room", "de": "unbekannter Raum"},
    "flag_unknown_staff": {"en": "unknown staff member", "de": "unbekannte Person"},
    "flag_unknown_clinic": {"en": "unknown clinic", "de": "unbekannte Praxis"},
    "flag_unknown_encounter": {"en": "unknown encounter", "de": "unbekannter Besuch"},
    "qreason_missing_required": {"en": "required value missing", "de": "Pflichtwert fehlt"},
    "qreason_bad_id": {"en": "invalid id", "de": "ungültige Kennung"},
    "qreason_bad_text": {"en": "invalid text", "de": "ungültiger Text"},
    "qreason_bad_patient_id": {"en": "invalid patient id", "de": "ungültige Patientenkennung"},
    "qreason_bad_timestamp": {"en": "invalid date and time", "de": "ungültiges Datum mit Uhrzeit"},
    "qreason_bad_date": {"en": "invalid date", "de": "ungültiges Datum"},
    "qreason_bad_time": {"en": "invalid time", "de": "ungültige Uhrzeit"},
    "qreason_bad_integer": {"en": "invalid whole number", "de": "ungültige Ganzzahl"},
    "qreason_bad_decimal": {"en": "invalid number", "de": "ungültige Zahl"},
    "qreason_bad_boolean": {"en": "invalid yes/no", "de": "ungültiges Ja/Nein"},
    "qreason_bad_enum": {"en": "value not allowed", "de": "Wert nicht zulässig"},
    "qreason_bad_timezone": {"en": "invalid time zone", "de": "ungültige Zeitzone"},
    "qreason_unknown_clinic": {"en": "unknown clinic", "de": "unbekannte Praxis"},
    "qreason_duplicate_key_in_file": {"en": "duplicate key in file", "de": "doppelter Schlüssel in der Datei"},
    "qreason_malformed_row": {"en": "malformed row", "de": "fehlerhafte Zeile"},
    "qreason_unparseable_file": {"en": "unreadable file", "de": "Datei nicht lesbar"},
    "qreason_unparseable_message": {"en": "unreadable message", "de": "Nachricht nicht lesbar"},
    "qreason_unsupported_message_type": {"en": "unsupported message type", "de": "nicht unterstützter Nachrichtentyp"},
    "qreason_unsupported_resource_type": {"en": "unsupported resource type",
                                          "de": "nicht unterstützter Ressourcentyp"},
    "qreason_no_message_header": {"en": "no message header", "de": "kein Nachrichtenkopf"},
    "qreason_no_results": {"en": "no results", "de": "keine Ergebnisse"},
    "qreason_not_a_lab_order": {"en": "not a lab order", "de": "keine Laboranforderung"},
    "qreason_not_a_lab_result": {"en": "not a lab result", "de": "kein Laborergebnis"},
    "qreason_panel_without_value": {"en": "panel without value", "de": "Panel ohne Wert"},
    "qreason_encounter_not_held": {"en": "encounter not held", "de": "Besuch fand nicht statt"},
    # Detail lists limited to what they show (dashboards/row_limit.py) and the box plot's hover
    "rows_of_total": {"en": "Showing {shown} of {total} rows, {order}; the CSV holds the rows shown.",
                      "de": "Angezeigt: {shown} von {total} Zeilen, {order}; die CSV-Datei enthält die angezeigten."},
    "order_slowest_first": {"en": "slowest first", "de": "langsamste zuerst"},
    "order_longest_first": {"en": "longest first", "de": "längste zuerst"},
    "order_latest_first": {"en": "most recent first", "de": "neueste zuerst"},
    "order_late_first": {"en": "late first, then most delayed", "de": "verspätete zuerst, dann nach Verspätung"},
    "order_overdue_first": {"en": "past the promise first, then longest open",
                            "de": "überfällige zuerst, dann am längsten offene"},
    "order_busiest_first": {"en": "busiest first", "de": "die meisten zuerst"},
    "order_most_urgent_first": {"en": "most urgent first", "de": "dringendste zuerst"},
    "order_in_sequence": {"en": "in the order they ran", "de": "in zeitlicher Reihenfolge"},
    "n_outliers": {"en": "{n} beyond the whiskers", "de": "{n} außerhalb der Whisker"},
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


def code_label(prefix: str, code: object) -> object:
    """The label `<prefix><code>` in the chosen language; the code itself when it has none (or is missing)."""
    if is_missing(code):
        return code
    key = f"{prefix}{code}"
    return t(key) if key in LABELS else code


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
