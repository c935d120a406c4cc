"""The pseudonymisation secret: never created silently, never overwritten, and its absence is a clear error."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from backoffice.cli import app

CLINICS = Path(__file__).parent / "fixtures" / "handmade" / "clinics.csv"


def run_ingest(tmp_path: Path, monkeypatch, *extra: str):
    monkeypatch.delenv("BACKOFFICE_SECRET", raising=False)
    monkeypatch.setenv("BACKOFFICE_SECRET_FILE", str(tmp_path / "conf" / "secret"))
    monkeypatch.setenv("BACKOFFICE_DB", str(tmp_path / "w.duckdb"))
    return CliRunner().invoke(app, ["ingest", *extra, str(CLINICS)])


def test_missing_secret_is_an_error_naming_the_file_and_the_fix(tmp_path, monkeypatch):
    result = run_ingest(tmp_path, monkeypatch)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "No pseudonymisation secret at" in text and "--create-secret" in text
    assert str(tmp_path / "conf" / "secret").replace(" ", "") in text.replace(" ", "")
    assert not (tmp_path / "conf" / "secret").exists() and not (tmp_path / "w.duckdb").exists()


def test_created_secret_is_announced_private_and_kept(tmp_path, monkeypatch):
    first = run_ingest(tmp_path, monkeypatch, "--create-secret")
    assert first.exit_code == 0, first.output
    secret = tmp_path / "conf" / "secret"
    assert "Created the pseudonymisation secret" in first.output
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    key = secret.read_text()
    assert len(bytes.fromhex(key.strip())) == 32
    second = run_ingest(tmp_path, monkeypatch, "--create-secret")
    assert second.exit_code == 0, second.output
    assert "Created the pseudonymisation secret" not in second.output
    assert secret.read_text() == key
