"""Dashboard users: who may sign in, with which role, for which clinics (`backoffice users ...`).

Users live in one YAML file beside the warehouse (env BACKOFFICE_USERS_FILE, default data/users.yaml; `data/` is
git-ignored), written atomically with mode 0600. Passwords are stored only as bcrypt hashes (cost 12); the
dashboards re-read the file on every page run, so removing a user or changing a password takes effect at once.

    users:
      manager:
        role: manager
        clinics: [C01, C02]
        name: Demo manager
        password_hash: $2b$12$...

A role decides which dashboard pages a user sees (dashboards/registry.py); the clinics decide which rows every
query returns (dashboards/data.py). A user is bound to at least one clinic; there is no "all clinics" wildcard,
so a new clinic is never shown to anyone until it is added to their list.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, TextIO

import bcrypt
import typer
import yaml
from rich.console import Console
from rich.table import Table

from backoffice import settings

ROLES = ("manager", "supervisor", "quality", "admin")
ROLE_HELP = "manager | supervisor | quality | admin"
BCRYPT_ROUNDS = 12
MIN_PASSWORD_LENGTH = 8
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I to misread
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; longer passwords are refused rather than silently truncated
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.@-]{0,63}$")
CLINIC_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
BCRYPT_COST_RE = re.compile(r"^\$2[aby]?\$(\d\d)\$")


class UserError(ValueError):
    """A user command that cannot be carried out, with a message for the person typing it."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    clinics: tuple[str, ...]
    name: str = ""
    password_hash: str = field(default="", repr=False)

    def as_yaml(self) -> dict:
        return {"role": self.role, "clinics": list(self.clinics), "name": self.name,
                "password_hash": self.password_hash}


def users_file() -> Path:
    """The users file (env BACKOFFICE_USERS_FILE, default users.yaml in the data folder beside the warehouse)."""
    return Path(os.environ.get("BACKOFFICE_USERS_FILE", str(settings.data_dir() / "users.yaml"))).expanduser().resolve()


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise UserError(f"user name {username!r}: use 1-64 lower-case letters, digits and . _ @ - (start with a "
                        "letter or digit)")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    return role


def _check_clinics(clinics: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for c in clinics:
        c = c.strip()
        if not CLINIC_RE.match(c):
            raise UserError(f"clinic {c!r}: use the clinic_id from the clinics export (letters, digits, . _ -)")
        if c not in out:
            out.append(c)
    if not out:
        raise UserError("bind the user to at least one clinic: --clinic C01 (repeat for more)")
    return tuple(out)


def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    data = password.encode("utf-8")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(data) > MAX_PASSWORD_BYTES:
        raise UserError(f"the password is longer than bcrypt's {MAX_PASSWORD_BYTES} bytes")
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds)).decode("ascii")


def load_users(path: Path | None = None) -> dict[str, User]:
    """All users in the file; an empty dict when there is no file yet."""
    path = path or users_file()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    users: dict[str, User] = {}
    for username, entry in (doc.get("users") or {}).items():
        entry = entry or {}
        users[str(username)] = User(
            username=str(username),
            role=str(entry.get("role", "")),
            clinics=tuple(str(c) for c in entry.get("clinics") or ()),
            name=str(entry.get("name") or ""),
            password_hash=str(entry.get("password_hash") or ""),
        )
    return users


def save_users(users: dict[str, User], path: Path | None = None) -> Path:
    """Write the file atomically (temp file + rename), readable by its owner only."""
    path = path or users_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"users": {u: users[u].as_yaml() for u in sorted(users)}}
    text = ("# Dashboard users, managed with `backoffice users add/remove/passwd/list`.\n"
            "# bcrypt password hashes only. Keep this file out of version control.\n"
            + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def add_user(username: str, role: str, clinics: Iterable[str], password: str, name: str = "",
             replace: bool = False, path: Path | None = None, rounds: int = BCRYPT_ROUNDS) -> User:
    username = normalise_username(username)
    users = load_users(path)
    if username in users and not replace:
        raise UserError(f"user {username!r} exists: `backoffice users passwd` changes the password, "
                        "`users remove` then `users add` changes role or clinics")
    user = User(username, _check_role(role), _check_clinics(clinics), name, hash_password(password, rounds))
    users[username] = user
    save_users(users, path)
    return user


def remove_user(username: str, path: Path | None = None) -> None:
    username = normalise_username(username)
    users = load_users(path)
    if username not in users:
        raise UserError(f"no user {username!r}")
    del users[username]
    save_users(users, path)


def set_password(username: str, password: str, path: Path | None = None, rounds: int = BCRYPT_ROUNDS) -> None:
    username = normalise_username(username)
    users = load_users(path)
    if username not in users:
        raise UserError(f"no user {username!r}")
    old = users[username]
    users[username] = User(old.username, old.role, old.clinics, old.name, hash_password(password, rounds))
    save_users(users, path)


def bcrypt_cost(password_hash: str | bytes) -> int | None:
    """The cost (log2 rounds) a bcrypt hash was made with; None when it is no bcrypt hash."""
    text = password_hash.decode("ascii") if isinstance(password_hash, bytes) else password_hash
    m = BCRYPT_COST_RE.match(text)
    return int(m.group(1)) if m else None


@functools.cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(rounds))


def dummy_hash(users: dict[str, User]) -> bytes:
    """What a password is checked against when the name is unknown: a hash of the same bcrypt cost as the users'
    own (the highest, BCRYPT_ROUNDS for an empty file), so an unknown name answers as slowly as a known one and the
    answer's time does not tell which names exist."""
    costs = [c for u in users.values() if (c := bcrypt_cost(u.password_hash))]
    return _dummy_hash(max(costs, default=BCRYPT_ROUNDS))


def authenticate(username: str, password: str, path: Path | None = None) -> User | None:
    """The user when the password matches their bcrypt hash; None otherwise (unknown user, bad role, no clinic)."""
    try:
        username = normalise_username(username)
    except UserError:
        username = ""
    users = load_users(path)
    user = users.get(username)
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        return None
    stored = user.password_hash.encode("ascii") if user and bcrypt_cost(user.password_hash) else dummy_hash(users)
    try:
        ok = bcrypt.checkpw(data, stored)
    except ValueError:
        ok = False
    if not ok or user is None or user.role not in ROLES or not user.clinics:
        return None
    return user


def clinics_in(warehouse: Path) -> list[str]:
    """The clinic ids in a warehouse's current clinics master data."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT DISTINCT clinic_id FROM raw.clinics WHERE _is_current ORDER BY 1")
                .fetchall()]


def create_demo_users(clinics: list[str], path: Path | None = None,
                      rounds: int = BCRYPT_ROUNDS) -> list[tuple[User, str]]:
    """One user per role with a fresh random password (the demo prints them). The supervisor is bound to the
    first clinic only, to show the clinic restriction; the others see every clinic of the demo network."""
    created = []
    for role in ROLES:
        bound = clinics[:1] if role == "supervisor" else clinics
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))
        user = add_user(role, role, bound, password, name=f"Demo {role}", replace=True, path=path, rounds=rounds)
        created.append((user, password))
    return created


def print_logins(created: list[tuple[User, str]], console: Console | None = None) -> None:
    table = Table("user", "password", "role", "clinics", title=f"Dashboard logins (stored hashed in {users_file()})")
    for user, password in created:
        table.add_row(user.username, password, user.role, ", ".join(user.clinics))
    (console or Console()).print(table)


# --- `backoffice users ...` ------------------------------------------------------------------------------------

users_app = typer.Typer(help="Dashboard users: add, remove, change passwords, list.", no_args_is_help=True)
_console = Console()


def _fail(exc: UserError) -> typer.Exit:
    _console.print(f"[red]error[/] {exc}")
    return typer.Exit(2)


PASSWORD_ON_ARGV = ("passwords are not taken on the command line (ps and the shell history show it): leave "
                    "--password out to be prompted, or pipe it in with --password-stdin, or pass --password-fd N")


def _read_line(stream: TextIO) -> str:
    """The first line of `stream` without its line ending (a password piped in, or from a file descriptor)."""
    return stream.readline(MAX_PASSWORD_BYTES * 4 + 2).rstrip("\r\n")


def _ask_password(password_argv: str | None, from_stdin: bool, fd: int | None) -> str:
    """The password from a hidden prompt, stdin or a file descriptor; never from argv, where `ps` shows it."""
    if password_argv is not None:
        raise UserError(PASSWORD_ON_ARGV)
    if from_stdin and fd is not None:
        raise UserError("choose one of --password-stdin and --password-fd")
    if from_stdin:
        return _read_line(sys.stdin)
    if fd is not None:
        try:
            with os.fdopen(fd, "r", encoding="utf-8", closefd=False) as fh:
                return _read_line(fh)
        except OSError as exc:
            raise UserError(f"--password-fd {fd}: cannot read ({exc.strerror}); open it for reading, "
                            f"e.g. `{fd}< password.txt`") from exc
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


# Shared by `users add` and `users passwd`. --password stays, hidden, only to refuse it with the reason.
PasswordArgv = Annotated[str | None, typer.Option("--password", hidden=True, help=PASSWORD_ON_ARGV)]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of "
                                                                     "stdin (instead of a prompt)")]
PasswordFd = Annotated[int | None, typer.Option("--password-fd", help="Read the password from the first line of "
                                                                     "this open file descriptor")]


@users_app.command("add")
def add_command(
    username: Annotated[str, typer.Argument(help="Login name (lower case)")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    clinic: Annotated[list[str], typer.Option("--clinic", help="A clinic_id the user may see (repeat)")],
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password: PasswordArgv = None,
    password_stdin: PasswordStdin = False,
    password_fd: PasswordFd = None,
) -> None:
    """Add a user bound to a role and one or more clinics; the password is prompted for (or see --password-stdin)."""
    try:
        normalise_username(username), _check_role(role), _check_clinics(clinic)
        user = add_user(username, role, clinic, _ask_password(password, password_stdin, password_fd), name=name)
    except UserError as exc:
        raise _fail(exc) from exc
    _console.print(f"Added {user.username} ({user.role}; clinics {', '.join(user.clinics)}) to {users_file()}")


@users_app.command("remove")
def remove_command(username: Annotated[str, typer.Argument(help="Login name")]) -> None:
    """Remove a user; their open dashboard sessions end at their next click."""
    try:
        remove_user(username)
    except UserError as exc:
        raise _fail(exc) from exc
    _console.print(f"Removed {username}")


@users_app.command("passwd")
def passwd_command(
    username: Annotated[str, typer.Argument(help="Login name")],
    password: PasswordArgv = None,
    password_stdin: PasswordStdin = False,
    password_fd: PasswordFd = None,
) -> None:
    """Set a new password (prompted for, or see --password-stdin); the user's open sessions end."""
    try:
        if normalise_username(username) not in load_users():
            raise UserError(f"no user {username!r}")
        set_password(username, _ask_password(password, password_stdin, password_fd))
    except UserError as exc:
        raise _fail(exc) from exc
    _console.print(f"Password changed for {username}")


@users_app.command("list")
def list_command() -> None:
    """List users with their role and clinics (never the hashes)."""
    users = load_users()
    table = Table("user", "role", "clinics", "name", title=str(users_file()))
    for u in sorted(users.values(), key=lambda u: u.username):
        table.add_row(u.username, u.role, ", ".join(u.clinics), u.name)
    _console.print(table)
