"""The marts' key columns are NOT NULL in the warehouse itself (dbt contract constraints), not only by a data test:
DuckDB refuses a NULL when the model is built, so a daily run needs no separate not_null test per column."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

MARTS = Path(__file__).resolve().parent.parent / "models" / "marts"


def declared_not_null() -> set[tuple[str, str]]:
    """(model, column) pairs the marts' YAML declares `constraints: [{type: not_null}]` on, read from the YAML."""
    pairs = set()
    for path in MARTS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            for column in model.get("columns", []):
                if any(c.get("type") == "not_null" for c in column.get("constraints", [])):
                    pairs.add((model["name"], column["name"]))
    return pairs


def test_declared_not_null_columns_are_constraints_in_the_warehouse(handmade):
    declared = declared_not_null()
    assert len(declared) > 50  # the marts' keys: clinic, day, test, room, staff, rule ...
    with duckdb.connect(str(handmade.db), read_only=True) as con:
        rows = con.execute("""
            SELECT table_name, unnest(constraint_column_names) FROM duckdb_constraints()
            WHERE constraint_type = 'NOT NULL' AND schema_name = 'marts'
        """).fetchall()
    assert set(rows) == declared


def test_a_null_key_is_refused(handmade, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(handmade.db, db)
    with duckdb.connect(str(db)) as con:
        for table in ("fct_lab_turnaround", "dim_compliance_rules"):
            assert con.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0] > 0
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("INSERT INTO marts.fct_lab_turnaround SELECT * REPLACE (NULL AS clinic_id) "
                        "FROM marts.fct_lab_turnaround LIMIT 1")
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("UPDATE marts.dim_compliance_rules SET rule_code = NULL")  # a table, not incremental
