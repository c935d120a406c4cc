"""The marts' key columns are NOT NULL, and their code columns limited to their codes, in the warehouse itself (dbt
contract constraints), not only by a data test: DuckDB refuses a bad row when the model is built, so a daily run
needs no separate not_null or accepted_values test per column."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

MARTS = Path(__file__).resolve().parent.parent / "models" / "marts"


def declared(kind: str) -> set[tuple[str, str]]:
    """(model, column) pairs the marts' YAML declares a constraint of type `kind` on, read from the YAML."""
    pairs = set()
    for path in MARTS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            for column in model.get("columns", []):
                if any(c.get("type") == kind for c in column.get("constraints", [])):
                    pairs.add((model["name"], column["name"]))
    return pairs


@pytest.mark.parametrize(("kind", "duckdb_type", "at_least"), [("not_null", "NOT NULL", 50), ("check", "CHECK", 9)])
def test_declared_constraints_are_in_the_warehouse(handmade, kind, duckdb_type, at_least):
    expected = declared(kind)
    assert len(expected) >= at_least  # NOT NULL: the marts' keys; CHECK: their code columns (status, rule, ...)
    with duckdb.connect(str(handmade.db), read_only=True) as con:
        rows = con.execute("""
            SELECT table_name, unnest(constraint_column_names) FROM duckdb_constraints()
            WHERE constraint_type = $type AND schema_name = 'marts'
        """, {"type": duckdb_type}).fetchall()
    assert set(rows) == expected


def test_a_null_key_or_an_unknown_code_is_refused(handmade, tmp_path):
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
        with pytest.raises(duckdb.ConstraintException, match="CHECK"):
            con.execute("UPDATE marts.fct_competency_status_daily SET status = 'fine'")
        assert con.execute("SELECT count(*) FROM marts.fct_competency_status_daily").fetchone()[0] > 0
