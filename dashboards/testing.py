"""Helpers for tests that drive the dashboards (AppTest or a browser): a users file and the real sign-in form.

No test hook in the app: tests sign in through the same form people use.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from backoffice.users import add_user

TEST_PASSWORD = "correct horse battery"
# user name -> (role, clinics). "manager" sees both hand-made clinics; the others show the restrictions.
TEST_USERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "manager": ("manager", ("C01", "C02")),
    "manager_c01": ("manager", ("C01",)),
    "supervisor": ("supervisor", ("C01",)),
    "quality": ("quality", ("C01", "C02")),
    "quality_c02": ("quality", ("C02",)),
    "admin": ("admin", ("C01", "C02")),
}


def write_test_users(folder: Path, users: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> Path:
    """A users file with TEST_USERS (password TEST_PASSWORD), hashed with a low bcrypt cost to keep tests fast."""
    path = folder / "users.yaml"
    for username, (role, clinics) in (users or TEST_USERS).items():
        add_user(username, role, clinics, TEST_PASSWORD, name=username, replace=True, path=path, rounds=4)
    return path


def login(at: AppTest, username: str, password: str = TEST_PASSWORD) -> AppTest:
    """Fill in and submit the sign-in form of a freshly run AppTest."""
    at.text_input(key="login_user").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def signed_in_app(script: Path, username: str, lang: str = "en", timeout: float = 60) -> AppTest:
    """A fresh AppTest of the app at `script`, signed in as `username`, in language `lang`."""
    at = AppTest.from_file(str(script), default_timeout=timeout)
    at.run()
    login(at, username)
    if lang != "en":
        at.sidebar.selectbox(key="lang").set_value(lang).run()
    assert not at.exception, at.exception
    return at


def open_page(at: AppTest, key: str) -> AppTest:
    """Switch to `dashboards/app_pages/<key>.py` and run it; no exception allowed."""
    at.switch_page(f"app_pages/{key}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    """KPI cards as label -> shown value."""
    return {m.label: m.value for m in at.metric}
