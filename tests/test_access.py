"""Access: users and bcrypt hashes (`backoffice users`), the sign-in form, sessions, and the clinic restriction the
data layer enforces whatever SQL a page sends."""

from __future__ import annotations

import stat
import time

import bcrypt
import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from backoffice.cli import app as cli
from backoffice.publish import current_serving_file
from backoffice.users import (
    ROLES,
    UserError,
    add_user,
    authenticate,
    create_demo_users,
    load_users,
    remove_user,
    set_password,
)
from dashboards.data import NotSignedIn, query, scoped_connection
from dashboards.testing import TEST_PASSWORD, login, write_test_users
from tests.conftest import APP

runner = CliRunner()


@pytest.fixture
def users_file(tmp_path, monkeypatch):
    path = tmp_path / "users.yaml"
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(path))
    return path


# --- users file and CLI ------------------------------------------------------------------------------------------

def test_cli_add_list_passwd_remove(users_file):
    r = runner.invoke(cli, ["users", "add", "Anna", "--role", "manager", "--clinic", "C01", "--clinic", "C02",
                            "--name", "Anna M."], input="first-password\nfirst-password\n")
    assert r.exit_code == 0, r.output
    text = users_file.read_text()
    assert "first-password" not in text and "$2b$12$" in text
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    anna = load_users()["anna"]
    assert (anna.role, anna.clinics, anna.name) == ("manager", ("C01", "C02"), "Anna M.")
    assert bcrypt.checkpw(b"first-password", anna.password_hash.encode())

    r = runner.invoke(cli, ["users", "list"])
    assert r.exit_code == 0 and "anna" in r.output and "C01, C02" in r.output and "$2b$" not in r.output

    r = runner.invoke(cli, ["users", "passwd", "anna"], input="second-password\nsecond-password\n")
    assert r.exit_code == 0, r.output
    assert authenticate("anna", "second-password") is not None
    assert authenticate("anna", "first-password") is None

    assert runner.invoke(cli, ["users", "remove", "anna"]).exit_code == 0
    assert load_users() == {}


@pytest.mark.parametrize("args, password, message", [
    (["--role", "owner", "--clinic", "C01"], "long-enough", "role 'owner'"),
    (["--role", "manager", "--clinic", "C 01"], "long-enough", "clinic 'C 01'"),
    (["--role", "manager", "--clinic", "C01"], "short", "at least 8"),
    (["--role", "manager", "--clinic", "C01"], "x" * 73, "72 bytes"),
])
def test_cli_refuses_bad_input(users_file, args, password, message):
    r = runner.invoke(cli, ["users", "add", "bob", *args, "--password-stdin"], input=password + "\n")
    assert r.exit_code == 2 and message in " ".join(r.output.split())
    assert not users_file.exists()


def test_cli_refuses_duplicates_and_unknown_users(users_file):
    add_user("bob", "quality", ["C01"], "long-enough", rounds=4)
    r = runner.invoke(cli, ["users", "add", "bob", "--role", "admin", "--clinic", "C01", "--password-stdin"],
                      input="long-enough\n")
    assert r.exit_code == 2 and "exists" in r.output
    assert runner.invoke(cli, ["users", "remove", "nobody"]).exit_code == 2
    assert runner.invoke(cli, ["users", "passwd", "nobody", "--password-stdin"], input="long-enough\n").exit_code == 2
    with pytest.raises(UserError, match="at least one clinic"):
        add_user("carl", "admin", [], "long-enough", rounds=4)


def test_authenticate(users_file):
    add_user("dora", "supervisor", ["C02"], "the-password", rounds=4)
    assert authenticate("dora", "the-password").clinics == ("C02",)
    assert authenticate(" DORA ", "the-password") is not None  # names are case-insensitive
    assert authenticate("dora", "The-password") is None
    assert authenticate("nobody", "the-password") is None
    assert authenticate("dora", "x" * 100) is None


def test_demo_creates_one_user_per_role(users_file):
    created = create_demo_users(["C01", "C02", "C03"], rounds=4)
    assert sorted(u.role for u, _ in created) == sorted(ROLES)
    for user, password in created:
        assert authenticate(user.username, password) == user
        assert user.clinics == (("C01",) if user.role == "supervisor" else ("C01", "C02", "C03"))
    assert all(pw not in users_file.read_text() for _, pw in created)


# --- sign-in form and sessions (AppTest drives the real form) ------------------------------------------------------

@pytest.fixture
def app_users(handmade, use_warehouse, tmp_path, monkeypatch):
    use_warehouse(handmade)
    path = write_test_users(tmp_path)
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(path))
    return path


def fresh_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    return at


def test_no_page_before_sign_in(app_users):
    at = fresh_app()
    assert not at.exception
    assert [t.value for t in at.title] == ["Clinic back office"]
    assert at.text_input(key="login_user") and at.text_input(key="login_password")
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")


def test_wrong_password_is_refused(app_users):
    at = login(fresh_app(), "manager", "wrong password")
    assert not at.exception
    assert [e.value for e in at.error] == ["Unknown user name or wrong password."]
    assert not at.metric and at.text_input(key="login_user")


def test_sign_in_and_out(app_users):
    at = login(fresh_app(), "manager")
    assert not at.exception and at.title[0].value == "Overview"
    assert any("manager" in c.value and "C01, C02" in c.value for c in at.sidebar.caption)
    at.sidebar.button(key="sign_out").click().run()
    assert at.text_input(key="login_user") and not at.metric


def test_password_change_or_removal_ends_the_session(app_users):
    at = login(fresh_app(), "manager")
    assert at.title[0].value == "Overview"
    set_password("manager", "a-new-password", path=app_users, rounds=4)
    at.run()
    assert at.text_input(key="login_user") and not at.metric

    at = login(fresh_app(), "quality")
    assert at.title[0].value == "Overview"
    remove_user("quality", path=app_users)
    at.run()
    assert at.text_input(key="login_user") and not at.metric


def test_repeated_failures_make_the_user_name_wait(app_users):
    """The form tells how long to wait (the waits themselves: tests/test_signin_throttle.py, with a clock)."""
    add_user("target", "manager", ["C01"], TEST_PASSWORD, path=app_users, rounds=4)
    at = fresh_app()
    for _ in range(5):
        login(at, "target", "guess")
    # 3 free failures, the 4th asks for a 2 s wait, the 5th falls within it; so does the right password now.
    login(at, "target")
    assert at.error[0].value.startswith("Too many failed attempts for this user name: try again in ")
    assert not at.metric


def test_page_refuses_a_role_it_is_not_for(app_users):
    """The navigation leaves forbidden pages out; the page's own check stops them even if run directly."""
    user = load_users(app_users)["supervisor"]
    at = AppTest.from_file(str(APP.parent / "app_pages" / "room_usage.py"), default_timeout=60)
    at.session_state["auth_user"] = user.username
    at.session_state["auth_hash"] = user.password_hash
    at.session_state["auth_since"] = time.time()
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Your role cannot open this page."]
    assert not at.metric and not at.dataframe

    anonymous = AppTest.from_file(str(APP.parent / "app_pages" / "overview.py"), default_timeout=60)
    anonymous.run()
    assert [w.value for w in anonymous.warning] == ["Your role cannot open this page."] and not anonymous.metric


# --- the data layer enforces the clinic restriction ------------------------------------------------------------------

def test_scoped_connection_shows_only_the_users_clinics(handmade):
    serving = str(current_serving_file(handmade.serving))
    with duckdb.connect(serving, read_only=True) as con:
        marts = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND column_name = 'clinic_id'").fetchall()]
        assert con.execute("SELECT count(DISTINCT clinic_id) FROM marts.fct_lab_turnaround").fetchone()[0] == 2
    assert marts
    with scoped_connection(serving, ("C01",)) as con:
        for table in marts:  # no predicate in the SQL: the view adds it
            seen = {r[0] for r in con.execute(f"SELECT DISTINCT clinic_id FROM marts.{table}").fetchall()}
            assert seen <= {"C01"}, table
        assert con.execute("SELECT count(*) FROM marts.fct_lab_turnaround WHERE clinic_id = 'C02'").fetchone()[0] == 0
        assert [r[0] for r in con.execute("SELECT clinic_id FROM raw.clinics").fetchall()] == ["C01"]
        quarantine_cols = {r[0] for r in con.execute("DESCRIBE raw.quarantine").fetchall()}
        assert "raw_text" not in quarantine_cols and "reason" not in quarantine_cols
        with pytest.raises(duckdb.CatalogException):  # patient-level raw tables are not exposed
            con.execute("SELECT * FROM raw.lab_specimens")
        with pytest.raises(duckdb.Error):  # nor can the page reach the file some other way
            con.execute(f"SELECT * FROM read_csv('{handmade.source / 'lab_specimens.csv'}')")
        for path in (serving, handmade.db):
            with pytest.raises(duckdb.Error):
                con.execute(f"ATTACH '{path}' AS again (READ_ONLY)")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
    with scoped_connection(serving, ()) as con:
        assert con.execute("SELECT count(*) FROM marts.fct_lab_turnaround").fetchone()[0] == 0


def test_query_needs_a_signed_in_user(handmade, use_warehouse):
    use_warehouse(handmade)
    with pytest.raises(NotSignedIn):
        query("SELECT 1")
