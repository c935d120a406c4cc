"""The signed session cookie: signs a new session in as its user while the signature, the age and the user's
password still match; never otherwise. (The browser side, reload and bookmarked page: tests/test_browser.py.)"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys

import pytest

from backoffice import cli as cli_mod
from backoffice import dashboard_secret as secret_mod
from backoffice.dashboard_secret import streamlit_env
from backoffice.users import add_user, load_users, remove_user, set_password
from dashboards.session_cookie import SESSION_SECONDS, issue_token, user_from_token

KEY = bytes(range(32))
T0 = 1_800_000_000.0


@pytest.fixture
def users_path(tmp_path):
    path = tmp_path / "users.yaml"
    add_user("anna", "manager", ["C01"], "first-password", path=path, rounds=4)
    add_user("bob", "quality", ["C02"], "bobs-password", path=path, rounds=4)
    return path


def at(t: float):
    return lambda: t


def test_token_signs_in_its_user_until_it_expires(users_path):
    users = load_users(users_path)
    token = issue_token(users["anna"], KEY, at(T0))
    user, issued = user_from_token(token, users, KEY, at(T0 + 3600))
    assert (user.username, issued) == ("anna", T0)
    assert user_from_token(token, users, KEY, at(T0 + 12 * 3600))[0].username == "anna"  # 12 h: the last second
    assert SESSION_SECONDS == 12 * 3600
    assert user_from_token(token, users, KEY, at(T0 + 12 * 3600 + 1)) is None  # expired
    assert user_from_token(token, users, KEY, at(T0 - 60)) is None  # issued in the future: not ours


def test_forged_or_foreign_tokens_sign_in_nobody(users_path):
    users = load_users(users_path)
    token = issue_token(users["bob"], KEY, at(T0))
    assert user_from_token(token, users, bytes(32), at(T0)) is None  # another installation's key
    payload, signature = token.rsplit(".", 1)
    anna = issue_token(users["anna"], KEY, at(T0)).rsplit(".", 1)[0]
    assert user_from_token(f"{anna}.{signature}", users, KEY, at(T0)) is None  # bob's signature on anna's name
    assert user_from_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), users, KEY, at(T0)) is None
    assert user_from_token("", users, KEY, at(T0)) is None
    assert user_from_token("not a token", users, KEY, at(T0)) is None


def test_password_change_or_removal_invalidates_the_token(users_path):
    token = issue_token(load_users(users_path)["anna"], KEY, at(T0))
    set_password("anna", "second-password", path=users_path, rounds=4)
    assert user_from_token(token, load_users(users_path), KEY, at(T0)) is None
    bobs = issue_token(load_users(users_path)["bob"], KEY, at(T0))
    remove_user("bob", path=users_path)
    assert user_from_token(bobs, load_users(users_path), KEY, at(T0)) is None


def test_token_carries_no_password_hash(users_path):
    user = load_users(users_path)["anna"]
    token = issue_token(user, KEY, at(T0))
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert set(payload) == {"u", "p", "t"} and payload["u"] == "anna" and payload["t"] == int(T0)
    assert user.password_hash not in token and payload["p"] not in user.password_hash


def test_dashboard_secret_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKOFFICE_DASHBOARD_SECRET", raising=False)
    path = tmp_path / "config" / "dashboard-secret"
    monkeypatch.setenv("BACKOFFICE_DASHBOARD_SECRET_FILE", str(path))
    key = secret_mod.dashboard_secret()
    assert len(key) == 32 and path.read_text().strip() == key.hex()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_mod.dashboard_secret() == key  # read again, not replaced
    assert os.listdir(path.parent) == ["dashboard-secret"]  # no temp file left


@pytest.fixture
def secret_file(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKOFFICE_DASHBOARD_SECRET", raising=False)
    path = tmp_path / "dashboard-secret"
    monkeypatch.setenv("BACKOFFICE_DASHBOARD_SECRET_FILE", str(path))
    path.write_text("ab" * 32 + "\n")
    return path


def test_streamlit_takes_its_cookie_secret_from_the_file(secret_file):
    """Streamlit itself (`streamlit config show`) sees the file's key as server.cookieSecret, not its default."""
    env = streamlit_env(os.environ)
    r = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], env=env, capture_output=True,
                       text=True, timeout=120, check=True)
    assert f'cookieSecret = "{"ab" * 32}"' in r.stdout
    default = subprocess.run([sys.executable, "-m", "streamlit", "config", "show"], capture_output=True, text=True,
                             timeout=120, check=True, env={k: v for k, v in os.environ.items()
                                                           if not k.startswith("STREAMLIT_")})
    assert "ab" * 32 not in default.stdout


def test_serve_passes_the_secret_in_the_environment_not_argv(secret_file, monkeypatch):
    calls = []
    monkeypatch.setattr(cli_mod.subprocess, "run", lambda argv, **kw: calls.append((argv, kw)))
    cli_mod.serve(port=8765)
    [(argv, kw)] = calls
    assert kw["env"]["STREAMLIT_SERVER_COOKIE_SECRET"] == "ab" * 32
    assert not any("ab" * 32 in a or "cookieSecret" in a for a in argv)


def test_damaged_key_file_names_the_file_and_the_fix(secret_file):
    secret_file.write_text("not hex\n")
    with pytest.raises(ValueError, match=f"{secret_file}: the dashboard key is not hex; delete the file"):
        secret_mod.dashboard_secret()
