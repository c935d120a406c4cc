"""Logins that resist abuse: an unknown name costs a bcrypt check of the same cost as a known one, wrong passwords
make the name wait (growing, capped) instead of locking it, a limit across names, counters kept in a file that a
new process reads. The clock is injected; nothing sleeps."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import bcrypt
import pytest

from backoffice import users as users_mod
from backoffice.signin_throttle import SignInResult, SignInThrottle, attempts_file, sign_in
from backoffice.users import BCRYPT_ROUNDS, add_user, authenticate, bcrypt_cost, load_users

PASSWORD = "the-right-password"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def users_path(tmp_path, monkeypatch):
    path = tmp_path / "users.yaml"
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(path))
    add_user("manager", "manager", ["C01"], PASSWORD, path=path, rounds=4)
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(users_path, clock) -> SignInThrottle:
    return SignInThrottle(attempts_file(users_path), clock)


def test_unknown_name_is_checked_against_a_hash_of_the_real_cost(tmp_path, monkeypatch):
    """Known and unknown names cost the same: the dummy hash has the users' bcrypt cost (12 by default)."""
    path = tmp_path / "users.yaml"
    add_user("anna", "manager", ["C01"], PASSWORD, path=path)  # the default cost, as `users add` stores it
    assert bcrypt_cost(load_users(path)["anna"].password_hash) == 12 == BCRYPT_ROUNDS
    checked: list[bytes] = []
    real_checkpw = bcrypt.checkpw
    monkeypatch.setattr(users_mod.bcrypt, "checkpw", lambda pw, h: checked.append(h) or real_checkpw(pw, h))
    assert authenticate("nobody", PASSWORD, path) is None
    assert authenticate("anna", "wrong password", path) is None
    assert [bcrypt_cost(h) for h in checked] == [12, 12]


def test_dummy_hash_follows_the_cost_in_the_file(tmp_path):
    assert bcrypt_cost(users_mod.dummy_hash({})) == BCRYPT_ROUNDS
    path = tmp_path / "users.yaml"
    add_user("fast", "manager", ["C01"], PASSWORD, path=path, rounds=5)
    assert bcrypt_cost(users_mod.dummy_hash(load_users(path))) == 5


def test_wrong_passwords_make_the_name_wait_then_the_owner_signs_in(throttle, clock):
    for _ in range(3):  # free failures: no wait
        assert sign_in("manager", "guess", throttle) == SignInResult(None, 0.0)
    assert sign_in("manager", "guess", throttle).wait == 0.0  # the 4th is still checked, and asks for 2 s
    refused = sign_in("manager", PASSWORD, throttle)
    assert (refused.user, refused.wait) == (None, 2.0)  # the right password within the wait: refused unchecked
    clock.now += 1
    assert sign_in("manager", "guess", throttle).wait == 1.0  # a guess within the wait does not stretch it
    clock.now += 1
    assert sign_in("manager", PASSWORD, throttle).user.username == "manager"
    # Success clears the name's count: three failures are free again.
    for _ in range(3):
        assert sign_in("manager", "guess", throttle).wait == 0.0
    assert throttle.wait_seconds("manager") == 0.0


def test_the_wait_doubles_up_to_a_minute(throttle, clock):
    """Failure n (n > 3) asks for 2 * 2**(n - 4) s, at most 60 s: 2, 4, 8, 16, 32, 60, 60."""
    for _ in range(3):
        throttle.failed("manager")
    waits = []
    for _ in range(7):
        throttle.failed("manager")
        waits.append(throttle.wait_seconds("manager"))
        clock.now += waits[-1]
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert throttle.wait_seconds("Manager ") == 0.0  # names are compared as the form normalises them
    assert throttle.wait_seconds("someone-else") == 0.0


def test_failures_are_forgotten_an_hour_after_the_last(throttle, clock):
    for _ in range(6):
        throttle.failed("manager")
    assert throttle.wait_seconds("manager") == 8.0
    clock.now += 3600
    assert throttle.wait_seconds("manager") == 0.0
    throttle.failed("manager")  # counts from 1 again: free
    assert throttle.wait_seconds("manager") == 0.0


def test_limit_across_names(throttle, clock):
    """50 failed attempts within 10 minutes over 50 different names: every name waits until the first ages out."""
    for i in range(50):
        assert sign_in(f"sprayed{i}", "guess", throttle).wait == 0.0  # one failure per name: no per-name wait
        clock.now += 1
    # the first failure was at t0, the last at t0 + 49; now t0 + 50: the window of 600 s ends at t0 + 600
    assert sign_in("manager", PASSWORD, throttle) == SignInResult(None, 550.0)
    clock.now += 549
    assert sign_in("manager", PASSWORD, throttle).wait == 1.0
    clock.now += 1
    assert sign_in("manager", PASSWORD, throttle).user.username == "manager"


def test_counters_survive_a_new_process(users_path, throttle):
    """Failures counted by another process (a server before its restart) make this one wait."""
    path = attempts_file(users_path)
    code = ("import sys; from pathlib import Path; from backoffice.signin_throttle import SignInThrottle\n"
            "t = SignInThrottle(Path(sys.argv[1]), clock=lambda: 1_000_000.0)\n"
            "for _ in range(5): t.failed('manager')\n")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)
    assert throttle.wait_seconds("manager") == 4.0  # 5th failure: 2 * 2**1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "manager" not in text  # names only as keyed hashes
    assert len(json.loads(text)["names"]) == 1


def test_attempts_in_flight_count_before_their_answer(throttle, clock):
    """attempt() checks and counts in one locked step: five sessions firing at once for one name, none finished
    yet, and the fifth already has to wait (the 4th reserved failure asks for 2 s)."""
    assert [throttle.attempt("manager") for _ in range(5)] == [0.0, 0.0, 0.0, 0.0, 2.0]
    throttle.succeeded("manager")  # one of them had the right password: the name's count is cleared
    assert throttle.wait_seconds("manager") == 0.0
    assert len(json.loads(attempts_file(throttle.path.with_name("users.yaml")).read_text())["recent"]) == 3
