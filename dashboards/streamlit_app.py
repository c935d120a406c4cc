"""Entry point: language switch, navigation, and the page frame shared by every page."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboards/streamlit_app.py` puts dashboards/ first on sys.path; the repo root is needed too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboards.i18n import LANGUAGES, t  # noqa: E402

st.set_page_config(page_title="Clinic back office", page_icon="🩺", layout="wide")

with st.sidebar:
    st.selectbox(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang")

PAGES = Path(__file__).parent / "app_pages"
navigation = st.navigation(
    [
        st.Page(PAGES / "lab_turnaround.py", title=t("page_lab"), icon="🧪", url_path="lab_turnaround", default=True),
        st.Page(PAGES / "room_usage.py", title=t("page_rooms"), icon="🚪", url_path="room_usage"),
    ]
)
navigation.run()
