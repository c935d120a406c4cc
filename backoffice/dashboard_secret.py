"""The dashboards' secret key: signs the session cookie (dashboards/session_cookie.py) and is given to Streamlit as
server.cookieSecret by `backoffice serve`, instead of Streamlit's default (a new random key per server start).

Like the pseudonymisation secret it lives outside the repository (backoffice/settings.py: dashboard_secret_file,
env BACKOFFICE_DASHBOARD_SECRET_FILE, or the key itself in env BACKOFFICE_DASHBOARD_SECRET as hex), and is created
with mode 0600 on first use. A new key only signs everyone out; it protects no stored data.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping

from backoffice.settings import dashboard_secret_file

KEY_BYTES = 32


def dashboard_secret() -> bytes:
    """The key from BACKOFFICE_DASHBOARD_SECRET (hex) or the key file, which is created when missing."""
    env = os.environ.get("BACKOFFICE_DASHBOARD_SECRET")
    if env:
        return bytes.fromhex(env.strip())
    path = dashboard_secret_file()
    if not path.exists():
        # Written whole to a temp file, then linked into place: two processes starting at once both end up
        # reading the one key that won, never a half-written file.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    try:
        return bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise ValueError(f"{path}: the dashboard key is not hex; delete the file to have a new one made "
                         "(everyone is signed out once)") from exc


def streamlit_env(base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus Streamlit's cookie secret (server.cookieSecret) set to this key, through the environment rather
    than a --server.cookieSecret argument, which `ps` would show to every user of the machine."""
    return {**base, "STREAMLIT_SERVER_COOKIE_SECRET": dashboard_secret().hex()}
