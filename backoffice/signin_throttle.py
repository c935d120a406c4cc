"""Slowing down password guessing without letting a stranger lock a user out (the dashboards' sign-in form).

A hard lockout (N wrong passwords block the name for M minutes) hands anyone who knows a user name the power to
keep that user out. Instead (NIST SP 800-63B section 5.2.2 names a wait that grows with consecutive failures as a
rate-limiting technique; OWASP's Authentication Cheat Sheet warns that account lockout can deny service), every
failed sign-in for a name beyond FREE_FAILURES makes the next attempt for that name wait BASE_DELAY_SECONDS * 2**k,
never longer than MAX_DELAY_SECONDS; attempts during the wait are refused without checking the password and
without counting, so guessing cannot stretch the wait, and the owner signs in once it has passed. A limit across names
(GLOBAL_MAX_FAILURES failed attempts within GLOBAL_WINDOW_SECONDS) bounds password spraying over many names.

The counters live in a small JSON file beside the users file (mode 0600, fcntl-locked for the several Streamlit
sessions and processes that share it), so a server restart does not reset them. Names are stored only as keyed
hashes (HMAC-SHA256 with a random salt kept in the same file): whatever someone types into the user-name field
(a patient's name by mistake, say) never lands in a file.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from backoffice.users import User, UserError, authenticate, normalise_username

FREE_FAILURES = 3
BASE_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 60.0
FORGET_AFTER_SECONDS = 3600.0  # a name's failures are forgotten an hour after its last one
GLOBAL_MAX_FAILURES = 50
GLOBAL_WINDOW_SECONDS = 600.0


def attempts_file(users_path: Path) -> Path:
    """The counters file beside `users_path` (users.yaml -> users.signin-attempts.json)."""
    return users_path.with_name(f"{users_path.stem}.signin-attempts.json")


def delay_after(failures: int) -> float:
    """Seconds the next attempt for a name must wait after `failures` failed ones in a row."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (failures - FREE_FAILURES - 1))


class SignInThrottle:
    """File-backed failure counters per user name and across names; `clock` is injectable for tests."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock

    @contextmanager
    def _state(self, write: bool) -> Iterator[dict]:
        """The counters under an exclusive lock; written back (pruned) when `write`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                text = fh.read()
                try:
                    state = json.loads(text) if text.strip() else {}
                except json.JSONDecodeError:
                    state = {}  # a damaged file starts afresh rather than locking everyone out
                state.setdefault("salt", secrets.token_hex(16))
                state.setdefault("names", {})
                state.setdefault("recent", [])
                yield state
                if write or not text.strip():
                    self._prune(state)
                    fh.seek(0)
                    fh.truncate()
                    json.dump(state, fh)
                    fh.flush()
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _prune(self, state: dict) -> None:
        now = self.clock()
        state["names"] = {k: v for k, v in state["names"].items() if now - v[1] < FORGET_AFTER_SECONDS}
        state["recent"] = [ts for ts in state["recent"] if now - ts < GLOBAL_WINDOW_SECONDS]

    @staticmethod
    def _key(state: dict, username: str) -> str:
        return hmac.new(bytes.fromhex(state["salt"]), username.strip().lower().encode("utf-8"),
                        hashlib.sha256).hexdigest()[:32]

    def _wait(self, state: dict, username: str) -> float:
        now = self.clock()
        waits = [0.0]
        entry = state["names"].get(self._key(state, username))
        if entry and now - entry[1] < FORGET_AFTER_SECONDS:
            waits.append(entry[1] + delay_after(entry[0]) - now)
        recent = sorted(ts for ts in state["recent"] if now - ts < GLOBAL_WINDOW_SECONDS)
        if len(recent) >= GLOBAL_MAX_FAILURES:
            waits.append(recent[len(recent) - GLOBAL_MAX_FAILURES] + GLOBAL_WINDOW_SECONDS - now)
        return max(waits)

    def _count_failure(self, state: dict, username: str) -> None:
        now = self.clock()
        key = self._key(state, username)
        failures, last = state["names"].get(key, (0, now))
        if now - last >= FORGET_AFTER_SECONDS:
            failures = 0
        state["names"][key] = [failures + 1, now]
        state["recent"].append(now)

    def wait_seconds(self, username: str) -> float:
        """0 when `username` may try now; otherwise how many seconds until it may."""
        with self._state(write=False) as state:
            return self._wait(state, username)

    def attempt(self, username: str) -> float:
        """Check and reserve in one locked step: the wait, or 0 after counting this attempt as failed until
        `succeeded` says otherwise. Many sessions firing at once thus cannot all slip through before the first
        failure is written."""
        with self._state(write=True) as state:
            wait = self._wait(state, username)
            if wait <= 0:
                self._count_failure(state, username)
            return wait

    def failed(self, username: str) -> None:
        """Count a wrong password (or unknown name) for `username` and across names."""
        with self._state(write=True) as state:
            self._count_failure(state, username)

    def succeeded(self, username: str) -> None:
        """A correct password clears the name's count and takes back the failure `attempt` reserved for it."""
        with self._state(write=True) as state:
            state["names"].pop(self._key(state, username), None)
            if state["recent"]:
                state["recent"].remove(max(state["recent"]))


@dataclass(frozen=True)
class SignInResult:
    """A signed-in user, or None with `wait` > 0 when the attempt was refused unchecked (try again after)."""

    user: User | None
    wait: float = 0.0


def sign_in(username: str, password: str, throttle: SignInThrottle, path: Path | None = None) -> SignInResult:
    """Check a password unless the throttle says wait; count the outcome. The form and tests share this path."""
    try:
        key = normalise_username(username)
    except UserError:
        key = username.strip().lower()
    wait = throttle.attempt(key)  # counted as failed from here on, unless the password is right
    if wait > 0:
        return SignInResult(None, wait)
    user = authenticate(username, password, path)
    if user is not None:
        throttle.succeeded(key)
    return SignInResult(user)
