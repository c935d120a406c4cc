"""A signed, expiring session cookie, so a browser reload or a bookmarked page keeps the user signed in.

Streamlit keeps st.session_state per browser tab connection: F5 or a bookmarked URL opens a new session that knows
nobody. After sign-in the app therefore hands the browser a token, signed with the dashboards' key
(backoffice/dashboard_secret.py) by itsdangerous, naming the user and a fingerprint of their current password hash.
A new session reads it from the request's cookies (st.context.cookies) and is signed in again if

- the signature holds (nobody can forge or edit it without the key),
- it is younger than SESSION_SECONDS (the expiry is checked here, whatever the browser keeps),
- the user still exists in the users file with a role and a clinic, and
- their password hash still has that fingerprint (`backoffice users passwd` ends every session of that user).

Writing and deleting the cookie takes JavaScript in the page; a small st.components.v2 component (Streamlit's own,
no iframe, works offline) sets `document.cookie` with SameSite=Strict (and Secure over https). The cookie is not
HttpOnly: Streamlit offers no server-side Set-Cookie for app code.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import streamlit as st
from itsdangerous import BadSignature, URLSafeSerializer

from backoffice.users import ROLES, User

COOKIE_NAME = "backoffice_session"
SESSION_SECONDS = 12 * 3600
_SALT = "backoffice.dashboard-session"  # itsdangerous derives the signing key from key + salt: one key, two uses


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the user's bcrypt hash: changes with every new password, reveals nothing of the hash."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def _serializer(secret: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def issue_token(user: User, secret: bytes, clock: Callable[[], float] = time.time) -> str:
    """The cookie value for a user who has just signed in: name, password fingerprint, issue time; signed."""
    return _serializer(secret).dumps({"u": user.username, "p": password_fingerprint(user.password_hash),
                                      "t": int(clock())})


def user_from_token(token: str, users: dict[str, User], secret: bytes,
                    clock: Callable[[], float] = time.time) -> tuple[User, float] | None:
    """The user a token signs in, and when it was issued; None when it is forged, expired or out of date."""
    try:
        payload = _serializer(secret).loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("t"), int):
        return None
    if not 0 <= clock() - payload["t"] <= SESSION_SECONDS:
        return None
    user = users.get(str(payload.get("u")))
    if (user is None or user.role not in ROLES or not user.clinics
            or payload.get("p") != password_fingerprint(user.password_hash)):
        return None
    return user, float(payload["t"])


_COOKIE_JS = """
export default function (component) {
  const { data } = component;
  if (!data || !data.name) return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  const value = data.value ? data.value : "";
  const maxAge = data.value ? data.max_age : 0;
  document.cookie = `${data.name}=${value}; Path=/; Max-Age=${maxAge}; SameSite=Strict${secure}`;
}
"""
_cookie_writer = st.components.v2.component("backoffice_session_cookie", js=_COOKIE_JS)


def write_cookie(token: str | None, max_age: int = SESSION_SECONDS) -> None:
    """Set the session cookie in the browser (or delete it when `token` is None) during this script run."""
    _cookie_writer(key="session_cookie", data={"name": COOKIE_NAME, "value": token or "", "max_age": int(max_age)},
                   height=0)


def cookie_token() -> str | None:
    """The session cookie the browser sent when this session connected."""
    return st.context.cookies.get(COOKIE_NAME)
