"""Every label the dashboards show exists in English and German; numbers and dates follow the language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st

from backoffice.users import ROLES
from dashboards import i18n, ui
from dashboards.registry import PAGES
from ingest.contract import RECORD_TYPES, Kind
from ingest.loader import BROKEN_RECORDS
from ingest.parse_sql import DST_FLAGS

DASHBOARDS = Path(i18n.__file__).parent
CODED = {  # t(f"<prefix>{code}") calls: every code a page can pass
    "priority_": ["stat", "routine"],
    "site_": ["in_house", "send_out"],
    "room_type_": ["procedure", "lab", "imaging", "exam", "sterile_processing"],
    "role_": list(ROLES),
    "status_": ["loaded", "already_ingested", "dry_run", "failed", "current", "due_soon", "overdue", "never_assessed",
                "expiring", "expired", "missing"],
    "competency_kind_": ["test_system", "procedure"],
    "item_": ["competency", "certification"],
    "rule_": ["performer_competency_current", "performer_certification_current", "supervised_until_signed_off"],
    "reason_": ["assessment_overdue", "signoff_lapsed", "never_assessed", "unsupervised_before_signoff",
                "certification_expired", "certification_missing"],
    "performance_": ["test", "procedure"],
    "result_": ["pass", "fail", "pending", "missing"],
    "domain_": ["sterilization", "high_level_disinfection", "environment", "patient_rights", "competency"],
    "recall_": ["positive_load", "since_last_negative_bi", "before_next_negative_bi"],
    "cycle_": ["prevacuum", "gravity", "immediate_use", "bowie_dick", "leak_test"],
    "indicator_": ["pass", "fail", "not_used", "negative", "positive", "pending", "not_tested"],
    "kind_": ["lab", "room"],
    "activity_": ["procedure", "in_house_test", "send_out_test"],
    "segment_": ["occupied", "cleaning", "idle"],
    # From the ingest contract itself, so a new record type or timeline flag needs its German label.
    "record_type_": list(RECORD_TYPES),
    "flag_": sorted({flag for rt in RECORD_TYPES.values() for _, _, flag in rt.timeline}
                    | {f"unknown_{ref.rstrip('s')}" for rt in RECORD_TYPES.values()
                       for ref, _ in rt.references.values()} | set(DST_FLAGS)),
    "qreason_": ["missing_required", "bad_enum", "bad_timezone", "unknown_clinic", "duplicate_key_in_file",
                 *(f"bad_{kind.value}" for kind in Kind if kind not in (Kind.ENUM,)),
                 *sorted({code for code, _ in BROKEN_RECORDS.values()}), "out_of_range", "too_long",
                 "control_character"],
}
# Codes of the message ingest (HL7 v2 / FHIR, issue 12): ingest-log record types and statuses, quarantine reasons,
# row flags.
CODED["record_type_"] += ["message", "context"]
CODED["status_"] += ["context", "unreadable"]
CODED["qreason_"] += ["truncated_message", "incomplete_resend"]
CODED["flag_"] += ["nonexistent_local_time", "ambiguous_local_time", "no_exam_room_location"]


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in DASHBOARDS.rglob("*.py"):
        text = path.read_text()
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", text))
        # column -> label-key maps passed to ui.table, and label keys passed to helpers
        for mapping in re.findall(r"ui\.table\([^)]*?\{(.*?)\}", text, flags=re.S):
            keys |= set(re.findall(r""":\s*["']([a-z0-9_]+)["']""", mapping))
        keys |= set(re.findall(r"""(?:section_header|coded_multiselect|coded_radio)\(\s*["']([a-z0-9_]+)["']""",
                               text))
    for prefix, codes in CODED.items():
        keys |= {prefix + c for c in codes}
    for spec in PAGES:
        keys |= {spec.title_key, spec.section}
    return keys


@pytest.mark.parametrize("key", sorted(used_keys()))
def test_label_in_both_languages(key):
    assert key in i18n.LABELS, f"label {key!r} is used but not defined in dashboards/i18n.py"
    assert set(i18n.LABELS[key]) == {"en", "de"}


@pytest.fixture
def german():
    st.session_state["lang"] = "de"
    yield
    st.session_state["lang"] = "en"


def test_number_and_date_formats(german):
    assert i18n.fmt_number(1234.5) == "1.234,5"
    assert i18n.fmt_percent(75) == "75,0 %"
    assert i18n.fmt_date(date(2026, 11, 25)) == "25.11.2026"
    assert i18n.fmt_datetime(datetime(2026, 11, 25, 13, 5, tzinfo=UTC), "Europe/Berlin") == "25.11.2026 14:05"
    assert i18n.fmt_datetime(datetime(2026, 11, 25, 13, 5, tzinfo=UTC)) == "25.11.2026 13:05 UTC"
    assert i18n.plotly_separators() == ",."
    assert i18n.t("kpi_median") == "Median (Min.)"
    csv = ui.csv_bytes(pd.DataFrame({"Wert": [1234.5], "Praxis": ["C01"]})).decode("utf-8-sig")
    assert csv.splitlines() == ["Wert;Praxis", "1234,5;C01"]  # what German Excel opens as numbers


def test_english_formats():
    assert i18n.fmt_number(1234.5) == "1,234.5"
    assert i18n.fmt_date(date(2026, 11, 25)) == "2026-11-25"
    assert i18n.fmt_number(None) == "—" and i18n.fmt_percent(float("nan")) == "—"
    assert i18n.fmt_signed(-2.25) == "-2.2" and i18n.fmt_signed(3) == "+3.0"
