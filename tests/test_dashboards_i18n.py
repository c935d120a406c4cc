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

DASHBOARDS = Path(i18n.__file__).parent
CODED = {  # t(f"<prefix>{code}") calls: every code a page can pass
    "priority_": ["stat", "routine"],
    "site_": ["in_house", "send_out"],
    "room_type_": ["procedure", "lab", "imaging", "exam", "sterile_processing"],
    "role_": list(ROLES),
    "status_": ["loaded", "already_ingested", "dry_run", "failed"],
    "kind_": ["lab", "room"],
}


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
