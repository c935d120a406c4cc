"""`backoffice users add / passwd` never take the password from argv (where `ps` and the shell history show it):
a hidden prompt, the first line of stdin, or the first line of an open file descriptor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest
from typer.testing import CliRunner

from backoffice.cli import app as cli
from backoffice.users import load_users

runner = CliRunner()
ADD = ["users", "add", "anna", "--role", "manager", "--clinic", "C01"]


@pytest.fixture
def users_file(tmp_path, monkeypatch):
    path = tmp_path / "users.yaml"
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(path))
    return path


def password_ok(username: str, password: str) -> bool:
    return bcrypt.checkpw(password.encode(), load_users()[username].password_hash.encode())


def test_prompt_asks_twice_and_hides_the_password(users_file):
    r = runner.invoke(cli, ADD, input="prompted-password\nprompted-password\n")
    assert r.exit_code == 0, r.output
    assert password_ok("anna", "prompted-password")
    assert "prompted-password" not in r.output  # hidden input is not echoed

    r = runner.invoke(cli, ["users", "add", "bob", "--role", "manager", "--clinic", "C01"],
                      input="first-try-one\nfirst-try-two\nsame-password\nsame-password\n")
    assert r.exit_code == 0 and "do not match" in r.output
    assert password_ok("bob", "same-password")


def test_password_from_stdin(users_file):
    r = runner.invoke(cli, [*ADD, "--password-stdin"], input="piped password\nignored second line\n")
    assert r.exit_code == 0, r.output
    assert password_ok("anna", "piped password")
    r = runner.invoke(cli, ["users", "passwd", "anna", "--password-stdin"], input="changed password\r\n")
    assert r.exit_code == 0, r.output
    assert password_ok("anna", "changed password")


def test_password_from_a_file_descriptor(users_file):
    read_end, write_end = os.pipe()
    os.write(write_end, b"password from fd 9\n")
    os.close(write_end)
    try:
        r = runner.invoke(cli, [*ADD, "--password-fd", str(read_end)])
    finally:
        os.close(read_end)
    assert r.exit_code == 0, r.output
    assert password_ok("anna", "password from fd 9")

    r = runner.invoke(cli, [*ADD, "--password-fd", "987"])  # not open
    assert r.exit_code == 2 and "--password-fd 987: cannot read" in " ".join(r.output.split())


@pytest.mark.parametrize("command", [ADD, ["users", "passwd", "anna"]])
def test_password_on_the_command_line_is_refused(users_file, command):
    if command[1] == "passwd":
        runner.invoke(cli, [*ADD, "--password-stdin"], input="the-old-password\n")
    before = users_file.read_text() if users_file.exists() else None
    r = runner.invoke(cli, [*command, "--password", "on-the-command-line"])
    assert r.exit_code == 2
    assert "passwords are not taken on the command line" in " ".join(r.output.split())
    assert (users_file.read_text() if users_file.exists() else None) == before
    assert "--password " not in runner.invoke(cli, [*command[:2], "--help"]).output.replace("--password-", "")


def test_real_process_reads_stdin(users_file):
    """The installed command in its own process, password piped in: argv carries none."""
    backoffice = Path(sys.executable).parent / "backoffice"
    argv = [str(backoffice), *ADD, "--password-stdin"]
    r = subprocess.run(argv, input="piped-in-a-pipe\n", text=True, capture_output=True,
                       env=os.environ | {"BACKOFFICE_USERS_FILE": str(users_file)}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert not any("piped-in-a-pipe" in a for a in argv)
    assert password_ok("anna", "piped-in-a-pipe")
