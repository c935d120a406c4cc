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


def secret_file() -> Path:
    """The per-installation pseudonymisation key; outside the repository by default."""
    default = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "clinic-backoffice" / "secret"
    return Path(os.environ.get("BACKOFFICE_SECRET_FILE", str(default))).expanduser().resolve()
