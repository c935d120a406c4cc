"""No patient identifier stored anywhere (issue 12): ingest every HL7 v2 and FHIR fixture through the CLI, then scan
every text column of every table of the warehouse, the CLI's report and the ingest log for every identifier value
found in the sources.

The identifier values are read from the source files here, independently of the ingest's own readers: PID-2/3/4/19
(first component of each repetition), PID-5 family and given names, PID-7; the `urn:uuid` of Patient
entries, Patient.identifier values, name parts and birthDate. In a row from its own file (by file hash) a value
must not be a whole value or a whole token (between HL7, JSON or path separators), and one of 6 characters or more
not even a part of one; a name, MRN or UUID (6+ characters with a letter) must not appear in any stored text.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from backoffice.cli import app
from tests.conftest import FIXTURES, TEST_KEY

SOURCES = sorted([*(FIXTURES / "real" / "hl7v2").rglob("*.hl7"), *(FIXTURES / "real" / "fhir-r4").rglob("*.json"),
                  *(FIXTURES / "messages").glob("*.*")])
SOURCES = [p for p in SOURCES if p.suffix in (".hl7", ".json") and p.name != "package.json"]
TOKENS = re.compile(r"[|^~&\\\r\n\"{}:,\[\]/._\- ]+")
LONG = 6


def hl7_identifiers(text: str) -> set[str]:
    found: set[str] = set()
    for line in re.split(r"[\r\n]+", text.lstrip("\ufeff")):
        if not line.startswith("PID|"):
            continue
        fields = line.split("|") + [""] * 20
        for f in (2, 3, 4, 19):
            found |= {rep.split("^")[0] for rep in fields[f].split("~")}
        for rep in fields[5].split("~"):
            comps = rep.split("^") + [""]
            found |= {comps[0].split("&")[0], comps[1]}
        found.add(fields[7].split("^")[0])
    return {v for v in found if v.strip()}


def fhir_identifiers(data: object) -> set[str]:
    found: set[str] = set()
    entries = data.get("entry", []) if data.get("resourceType") == "Bundle" else [{"resource": data}]
    for entry in entries:
        r = entry.get("resource") or {}
        if r.get("resourceType") != "Patient":
            continue
        url = entry.get("fullUrl") or ""
        if url.startswith("urn:uuid:"):
            found.add(url.removeprefix("urn:uuid:"))
        found |= {i.get("value", "") for i in r.get("identifier", [])}
        found.add(r.get("birthDate", ""))
        for name in r.get("name", []):
            found |= {name.get("family", ""), *name.get("given", [])}
    return {v for v in found if v}


def identifiers(path: Path) -> set[str]:
    text = path.read_bytes().decode("utf-8-sig")
    return hl7_identifiers(text) if path.suffix == ".hl7" else fhir_identifiers(json.loads(text))


def text_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str | None]]:
    """(schema, table, column, file-hash column) of every VARCHAR or VARCHAR[] column of every table."""
    cols = con.execute("""SELECT table_schema, table_name, column_name FROM information_schema.columns
                          WHERE data_type IN ('VARCHAR', 'VARCHAR[]') ORDER BY ALL""").fetchall()
    hash_cols = {(s, t): c for s, t, c in con.execute(
        """SELECT table_schema, table_name, column_name FROM information_schema.columns
           WHERE column_name IN ('_file_hash', 'file_hash')""").fetchall()}
    return [(s, t, c, hash_cols.get((s, t))) for s, t, c in cols]


def leaks(value: str, ids: set[str]) -> set[str]:
    tokens = set(TOKENS.split(value)) | {value}
    return {i for i in ids if (len(i) >= LONG and i in value) or i in tokens}


def test_no_identifier_of_any_fixture_is_stored_logged_or_reported(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    clinics = tmp_path / "clinics.csv"
    clinics.write_text("clinic_id,name,timezone\nC01,Praxis,Europe/Berlin\n")
    monkeypatch.setenv("BACKOFFICE_SECRET", TEST_KEY.hex())
    monkeypatch.setenv("BACKOFFICE_DB", str(db))
    out = CliRunner().invoke(app, ["ingest", "--clinic", "C01", str(clinics), *map(str, SOURCES)],
                             terminal_width=300)
    assert out.exit_code == 0, out.output
    by_hash = {hashlib.sha256(p.read_bytes()).hexdigest(): identifiers(p) for p in SOURCES}
    every = set().union(*by_hash.values())
    assert {"8c95253e-8ee8-9ae8-6d40-021d702dc78e", "Rath779", "MRN-4471-2", "ALT-778812", "PATID1234"} <= every
    # The report names every file: no identifier of 6+ characters with a letter in it (a name, an MRN, a UUID);
    # a 6+ digit number (a birth date, PID-4 000000) may be part of another number in a report of many files.
    named = {i for i in every if len(i) >= LONG and re.search(r"[^\d]", i)}
    found = [("CLI report", value) for value in leaks(out.output, named)]
    with duckdb.connect(str(db), read_only=True) as con:
        for schema, table, column, hash_col in text_columns(con):
            values = con.execute(
                f"SELECT DISTINCT {hash_col or 'NULL'}, CAST({column} AS VARCHAR) FROM {schema}.{table} "
                f"WHERE {column} IS NOT NULL").fetchall()
            for file_hash, value in values:
                own = by_hash.get(file_hash, set())
                found += [(f"{schema}.{table}.{column}", v) for v in leaks(value, named | own)]
        rows = con.execute("SELECT count(*) FROM raw.lab_specimens").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0]
    assert rows > 40 and quarantined > 5  # the scan saw real data
    assert found == [], "\n".join(map(str, found))


def test_the_progress_line_does_not_show_a_message_files_name(tmp_path, monkeypatch):
    """The CLI's progress line named the file being read (`ingest Cris921_Rath779_<uuid>.json`) before its
    identifiers were known; now it names the format, and the summary the masked name."""
    monkeypatch.setenv("BACKOFFICE_SECRET", TEST_KEY.hex())
    monkeypatch.setenv("BACKOFFICE_DB", str(tmp_path / "w.duckdb"))
    synthea = FIXTURES / "messages" / "Cris921_Rath779_8c95253e-8ee8-9ae8-6d40-021d702dc78e.json"
    out = CliRunner().invoke(app, ["ingest", "--clinic", "C01", str(synthea)], terminal_width=300)
    assert out.exit_code == 0, out.output
    assert "***_***_***.json" in out.output
    assert not leaks(out.output, identifiers(synthea))
