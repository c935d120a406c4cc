"""Entry point: language switch, sign-in, and the navigation the signed-in user's role allows.

Pages live in app_pages/ and are listed in dashboards/registry.py with the roles that may open them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboards/streamlit_app.py` puts dashboards/ first on sys.path; the repo root is needed too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboards.auth import account_sidebar, require_login  # noqa: E402
from dashboards.i18n import LANGUAGES, t  # noqa: E402
from dashboards.registry import pages_for  # noqa: E402

st.set_page_config(page_title="Clinic back office", page_icon="🩺", layout="wide")

with st.sidebar:
    browser_locale = (st.context.locale or "").lower()
    st.selectbox(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang",
                 index=1 if browser_locale.startswith("de") else 0)

user = require_login()

sections: dict[str, list[st.Page]] = {}
for i, spec in enumerate(pages_for(user.role)):
    sections.setdefault(t(spec.section), []).append(
        st.Page(spec.path, title=t(spec.title_key), icon=spec.icon, url_path=spec.key, default=i == 0)
    )
navigation = st.navigation(sections)
account_sidebar(user)
navigation.run()
