"""Sign-in before any page: a form checked against the bcrypt hashes in the users file (backoffice/users.py).

The signed-in user name lives in server-side session state (no widget has that key, so a browser cannot set it),
and in a signed, expiring cookie (dashboards/session_cookie.py) that signs a new session in again after a reload
or on a bookmarked page. The users file is re-read whenever it changes, and a session ends when its user is
removed, their password changes, or after SESSION_SECONDS. Wrong passwords slow further attempts for that name
down (backoffice/signin_throttle.py: a growing wait, counters kept in a file across server restarts), rather than
locking the name.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import streamlit as st

from backoffice.dashboard_secret import dashboard_secret
from backoffice.signin_throttle import SignInThrottle, attempts_file, sign_in
from backoffice.users import ROLES, User, load_users, users_file
from dashboards.i18n import t
from dashboards.registry import can_open
from dashboards.session_cookie import SESSION_SECONDS, cookie_token, issue_token, user_from_token, write_cookie

SESSION_USER = "auth_user"
SESSION_HASH = "auth_hash"
SESSION_SINCE = "auth_since"
SESSION_TOKEN = "auth_token"
# Set by sign-out: this connection's request cookie (st.context.cookies does not change until the next
# connection) must not sign the session in again.
SIGNED_OUT = "auth_signed_out"

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
    for key in (SESSION_USER, SESSION_HASH, SESSION_SINCE, SESSION_TOKEN):
        st.session_state.pop(key, None)
    st.session_state[SIGNED_OUT] = True


def _start_session(user: User, since: float, token: str) -> None:
    st.session_state[SESSION_USER] = user.username
    st.session_state[SESSION_HASH] = user.password_hash
    st.session_state[SESSION_SINCE] = since
    st.session_state[SESSION_TOKEN] = token
    st.session_state.pop(SIGNED_OUT, None)


def _resume_from_cookie() -> None:
    """A new session (reload, bookmarked page) with a valid session cookie is signed in as its user."""
    if st.session_state.get(SESSION_USER) or st.session_state.get(SIGNED_OUT):
        return
    token = cookie_token()
    found = user_from_token(token, _users(), dashboard_secret()) if token else None
    if found:
        _start_session(found[0], found[1], token)


def current_user() -> User | None:
    """The signed-in user as the users file describes them now, or None."""
    _resume_from_cookie()
    name = st.session_state.get(SESSION_USER)
    if not name:
        return None
    user = _users().get(name)
    if (user is None or user.role not in ROLES or not user.clinics
            or user.password_hash != st.session_state.get(SESSION_HASH)
            or time.time() - st.session_state.get(SESSION_SINCE, 0) > SESSION_SECONDS):
        sign_out()
        return None
    return user


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
    result = sign_in(username, password, SignInThrottle(attempts_file(users_file())))
    if result.wait > 0:
        st.error(t("login_wait").format(seconds=math.ceil(result.wait)))
        return
    if result.user is None:
        st.error(t("login_failed"))
        return
    _start_session(result.user, time.time(), issue_token(result.user, dashboard_secret()))
    st.rerun()


def require_login() -> User:
    """The signed-in user; otherwise show the form and stop this run."""
    user = current_user()
    token = st.session_state.get(SESSION_TOKEN)
    with st.sidebar:  # the cookie writer draws nothing; the sidebar hides its slot best
        if user is None:
            write_cookie(None)  # delete: after sign-out, or when the cookie no longer signs anyone in
        elif token:
            write_cookie(token, max_age=int(SESSION_SECONDS - (time.time() - st.session_state[SESSION_SINCE])))
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
