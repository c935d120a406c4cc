"""Keyed pseudonyms for patient identifiers (HMAC-SHA256 with a per-installation secret).

The HMAC is computed inside DuckDB, set-based, from the two padded keys bound as session variables:
HMAC(K, m) = SHA256((K ^ opad) || SHA256((K ^ ipad) || m)) (RFC 2104). The raw identifier therefore never
leaves the SQL statement that reads it, and the same patient maps to the same pseudonym across files and runs
as long as the secret is the same. `pseudonym()` is the plain-Python reference used by tests.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

import duckdb

from backoffice.settings import secret_file

PSEUDONYM_PREFIX = "p_"
PSEUDONYM_HEX_CHARS = 20  # 80 bits: collision-free for any clinic network's patient count


class SecretError(RuntimeError):
    pass


def load_secret(create: bool = False) -> bytes:
    """The key from BACKOFFICE_SECRET (hex) or the secret file; `create` writes a new file on first run."""
    env = os.environ.get("BACKOFFICE_SECRET")
    if env:
        return bytes.fromhex(env.strip())
    path = secret_file()
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    if not create:
        raise SecretError(
            f"No pseudonymisation secret at {path}. Run `backoffice ingest` once with --create-secret, "
            "or set BACKOFFICE_SECRET / BACKOFFICE_SECRET_FILE. Keep the file: a new secret gives every "
            "patient a new pseudonym."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


def _pads(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def bind_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Bind the padded keys as session variables for `hmac_sql` (parameters, never SQL text)."""
    ipad, opad = _pads(key)
    con.execute("SET VARIABLE backoffice_hmac_ipad = $1", [ipad])
    con.execute("SET VARIABLE backoffice_hmac_opad = $1", [opad])


def hmac_sql(expr: str) -> str:
    """SQL for the pseudonym of the text expression `expr` (NULL stays NULL); needs `bind_key` first."""
    inner = f"unhex(sha256(getvariable('backoffice_hmac_ipad') || encode(trim({expr}))))"
    outer = f"sha256(getvariable('backoffice_hmac_opad') || {inner})"
    return (
        f"CASE WHEN nullif(trim({expr}), '') IS NULL THEN NULL "
        f"ELSE '{PSEUDONYM_PREFIX}' || left({outer}, {PSEUDONYM_HEX_CHARS}) END"
    )


def pseudonym(patient_id: str, key: bytes) -> str:
    """Plain-Python reference of `hmac_sql` (tests and one-off look-ups by an authorised person)."""
    digest = hmac.new(key, patient_id.strip().encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_CHARS]

