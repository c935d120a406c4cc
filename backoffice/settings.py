"""Where things live: the warehouse file, the serving copy, the pseudonymisation secret.

Every path comes from an environment variable with a default, so the CLI, dbt (profiles.yml reads the
same BACKOFFICE_DB) and the dashboards always agree on one warehouse.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def warehouse_path() -> Path:
    """The DuckDB file ingest writes and dbt builds (env BACKOFFICE_DB, default data/warehouse.duckdb)."""
    return Path(os.environ.get("BACKOFFICE_DB", "data/warehouse.duckdb")).resolve()


def data_dir() -> Path:
    """Folder beside the warehouse for source files, the serving copies and run artefacts."""
    return warehouse_path().parent


def serving_dir() -> Path:
    """Published read-only copies of the warehouse that the dashboards open (env BACKOFFICE_SERVING_DIR)."""
    return Path(os.environ.get("BACKOFFICE_SERVING_DIR", str(data_dir() / "serving"))).resolve()


def _config_file(env: str, name: str) -> Path:
    """File `name` in the per-user config folder (outside any repository), or the path in env `env`."""
    default = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "clinic-backoffice" / name
    return Path(os.environ.get(env, str(default))).expanduser().resolve()


def secret_file() -> Path:
    """The per-installation pseudonymisation key; outside the repository by default."""
    return _config_file("BACKOFFICE_SECRET_FILE", "secret")


def dashboard_secret_file() -> Path:
    """The dashboards' key: signs the session cookie and is Streamlit's server.cookieSecret; outside the repository
    by default (env BACKOFFICE_DASHBOARD_SECRET_FILE), so neither a clone nor a server restart changes it."""
    return _config_file("BACKOFFICE_DASHBOARD_SECRET_FILE", "dashboard-secret")
