"""Sign-in before any page: a form checked against the bcrypt hashes in the users file (backoffice/users.py).

The signed-in user name lives in server-side session state only (no widget has that key, so a browser cannot
set it). The users file is re-read whenever it changes, and a session ends when its user is removed, their
password changes, or after SESSION_HOURS. Five wrong passwords for one user name within LOCKOUT_SECONDS lock
that name for the rest of the window (per server process).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from pathlib import Path

import streamlit as st

from backoffice.users import ROLES, User, UserError, authenticate, load_users, normalise_username, users_file
from dashboards.i18n import t
from dashboards.registry import can_open

SESSION_USER = "auth_user"
SESSION_HASH = "auth_hash"
SESSION_SINCE = "auth_since"
SESSION_HOURS = 12
MAX_FAILURES = 5
LOCKOUT_SECONDS = 600

_failures: dict[str, deque[float]] = defaultdict(deque)
_failures_lock = threading.Lock()
_users_cache: dict[str, tuple[tuple[int, int], dict[str, User]]] = {}


def _users() -> dict[str, User]:
    """The users file, parsed again only when its size or modification time changes."""
    path: Path = users_file()
    try:
        st_ = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (st_.st_mtime_ns, st_.st_size)
    cached = _users_cache.get(str(path))
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_users(path))
        _users_cache[str(path)] = cached
    return cached[1]


def sign_out() -> None:
    for key in (SESSION_USER, SESSION_HASH, SESSION_SINCE):
        st.session_state.pop(key, None)


def current_user() -> User | None:
    """The signed-in user as the users file describes them now, or None."""
    name = st.session_state.get(SESSION_USER)
    if not name:
        return None
    user = _users().get(name)
    if (user is None or user.role not in ROLES or not user.clinics
            or user.password_hash != st.session_state.get(SESSION_HASH)
            or time.time() - st.session_state.get(SESSION_SINCE, 0) > SESSION_HOURS * 3600):
        sign_out()
        return None
    return user


def _locked(username: str) -> bool:
    now = time.time()
    with _failures_lock:
        q = _failures[username]
        while q and now - q[0] > LOCKOUT_SECONDS:
            q.popleft()
        return len(q) >= MAX_FAILURES


def _record_failure(username: str) -> None:
    with _failures_lock:
        _failures[username].append(time.time())


def login_form() -> None:
    """The sign-in form; on success the session is signed in and the app runs again."""
    st.title(t("app_title"))
    with st.form("login", enter_to_submit=True, width=420):
        st.subheader(t("sign_in_title"))
        username = st.text_input(t("username"), key="login_user", autocomplete="username")
        password = st.text_input(t("password"), type="password", key="login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("sign_in"), type="primary")
    if not submitted:
        if not users_file().exists():
            st.info(t("no_users"))
        return
    try:
        key = normalise_username(username)
    except UserError:
        key = username.strip().lower()
    if _locked(key):
        st.error(t("login_locked"))
        return
    user = authenticate(username, password)
    if user is None:
        _record_failure(key)
        st.error(t("login_failed"))
        return
    st.session_state[SESSION_USER] = user.username
    st.session_state[SESSION_HASH] = user.password_hash
    st.session_state[SESSION_SINCE] = time.time()
    st.rerun()


def require_login() -> User:
    """The signed-in user; otherwise show the form and stop this run."""
    user = current_user()
    if user is None:
        login_form()
        st.stop()
    return user


def require_page(key: str) -> User:
    """First call of every page: the signed-in user, if their role may open page `key`; else stop."""
    user = current_user()
    if user is None or not can_open(user.role, key):
        st.warning(t("forbidden"))
        st.stop()
    return user


def account_sidebar(user: User) -> None:
    with st.sidebar:
        st.caption(t("signed_in_as").format(user=user.name or user.username, role=t(f"role_{user.role}"),
                                            clinics=", ".join(user.clinics)))
        if st.button(t("sign_out"), key="sign_out", icon=":material/logout:"):
            sign_out()
            st.rerun()
