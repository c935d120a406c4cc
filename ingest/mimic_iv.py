"""MIMIC-IV (hosp module) lab events mapped into the `lab_specimens` contract: real hospital turnaround times.

`backoffice ingest --format mimic-iv DIR` reads `hosp/labevents.csv[.gz]` (and `hosp/d_labitems.csv[.gz]` beside it
for the test labels) anywhere under DIR. Every row then goes through the normal validation, quarantine,
pseudonymisation and merge, exactly like a CSV export:

| lab_specimens   | MIMIC-IV labevents                                                                     |
|-----------------|----------------------------------------------------------------------------------------|
| specimen_id     | specimen_id (one specimen, many analytes)                                               |
| clinic_id       | one synthetic clinic (default `MIMIC-IV-DEMO`, time zone America/New_York; `--clinic`) |
| patient_id      | subject_id: a patient identifier, pseudonymised by the ingest like every patient id     |
| test_code       | d_labitems `label (fluid) [MIMIC itemid]`: MIMIC-IV 2.x carries no LOINC codes          |
| priority        | priority STAT / ROUTINE (blank stays blank: the row is quarantined, missing_required)   |
| encounter_id    | hadm_id (hospital admission)                                                            |
| ordered_by      | order_provider_id                                                                       |
| collected_at    | charttime (specimen collection, MIMIC documentation)                                    |
| resulted_at     | storetime (result available in the hospital system)                                    |
| status          | final with a storetime, pending without one                                             |
| performing_site | in_house (the hospital's own laboratory)                                                |
| result_value / result_unit / abnormal_flag | value / valueuom / flag `abnormal` -> `A`                    |

Times are the hospital's wall clock, de-identified by a per-patient shift into the years 2110-2202 (intervals
inside one patient are exact); the parser accepts those years. Attribution: MIMIC-IV Clinical Database Demo v2.2,
doi:10.13026/dp1f-ex47, ODbL 1.0.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from ingest.contract import RECORD_TYPES
from ingest.csv_reader import UnreadableFile
from ingest.loader import SourceTable

FORMAT = "mimic-iv"
DEFAULT_CLINIC_ID = "MIMIC-IV-DEMO"
CLINIC_NAME = "MIMIC-IV Clinical Database Demo (hospital laboratory, de-identified)"
TIMEZONE = "America/New_York"
COUNTRY = "US"
LABEVENTS = ("labevents.csv.gz", "labevents.csv")
LABITEMS = ("d_labitems.csv.gz", "d_labitems.csv")
REQUIRED = ("subject_id", "specimen_id", "itemid", "charttime", "storetime", "priority")


def is_labevents_file(path: Path) -> bool:
    return path.name.lower() in LABEVENTS


def discover(paths: Iterable[Path]) -> list[Path]:
    """The labevents file of each named MIMIC-IV folder (searched recursively), or the named file itself."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.is_file() and is_labevents_file(f))
            # labevents.csv and labevents.csv.gz side by side are one table: take the uncompressed one once.
            by_dir: dict[Path, Path] = {}
            for f in found:
                by_dir.setdefault(f.parent, f)
                if f.suffix.lower() == ".csv":
                    by_dir[f.parent] = f
            files.extend(by_dir.values())
        else:
            files.append(path)
    return files


def _header(path: Path) -> list[str]:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def read_text_table(path: Path) -> pa.Table:
    """Every column as text, blanks as NULL, in file order."""
    try:
        names = _header(path)
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                 strings_can_be_null=True),
        )
    except (OSError, StopIteration, UnicodeDecodeError, pa.ArrowInvalid) as exc:
        raise UnreadableFile(f"{path}: not readable as a MIMIC-IV CSV ({exc}).") from exc


def _labitems(labevents: Path) -> pa.Table:
    for name in LABITEMS:
        candidate = labevents.parent / name
        if candidate.exists():
            return read_text_table(candidate)
    # Without d_labitems the test code is the bare itemid.
    return pa.table({n: pa.array([], pa.string()) for n in ("itemid", "label", "fluid", "category")})


def mimic_sources(con: duckdb.DuckDBPyConnection, path: Path, clinic_id: str | None) -> list[SourceTable]:
    """All-VARCHAR temp tables for one labevents file: the synthetic clinic (when new) and its lab_specimens."""
    if path.is_dir():
        found = discover([path])
        if not found:
            raise UnreadableFile(f"{path}: no hosp/labevents.csv(.gz) found. Point --format mimic-iv at the MIMIC-IV "
                                 "folder or at labevents.csv.gz.")
        path = found[0]
    events = read_text_table(path)
    missing = [c for c in REQUIRED if c not in events.column_names]
    if missing:
        raise UnreadableFile(f"{path}: column(s) {', '.join(missing)} missing: not a MIMIC-IV hosp/labevents file.")
    for optional in ("hadm_id", "order_provider_id", "value", "valueuom", "flag"):
        if optional not in events.column_names:
            events = events.append_column(optional, pa.nulls(events.num_rows, pa.string()))
    events = events.append_column("_line", pa.array(range(2, events.num_rows + 2), pa.int64()))
    clinic = (clinic_id or DEFAULT_CLINIC_ID).strip()
    sources = []
    known = con.execute("SELECT count(*) FROM raw.clinics WHERE _is_current AND clinic_id = $c", {"c": clinic})
    if known.fetchall()[0][0] == 0:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE src_in_mimic_clinic AS
            SELECT 1::BIGINT AS _line, $c AS clinic_id, $n AS name, $tz AS timezone, $country AS country""",
            {"c": clinic, "n": CLINIC_NAME, "tz": TIMEZONE, "country": COUNTRY},
        )
        sources.append(SourceTable("clinics", "src_in_mimic_clinic", RECORD_TYPES["clinics"].column_names, FORMAT))
    con.register("mimic_labevents", events)
    con.register("mimic_labitems", _labitems(path))
    try:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE src_in_mimic_lab AS
            SELECT
                e._line,
                e.specimen_id,
                $c AS clinic_id,
                e.subject_id AS patient_id,
                CASE WHEN i.label IS NULL THEN 'MIMIC itemid ' || e.itemid
                     ELSE trim(i.label) || coalesce(' (' || i.fluid || ')', '') || ' [MIMIC ' || e.itemid || ']'
                END AS test_code,
                lower(trim(e.priority)) AS priority,
                e.hadm_id AS encounter_id,
                NULL::VARCHAR AS order_id,
                NULL::VARCHAR AS ordered_at,
                e.order_provider_id AS ordered_by,
                e.charttime AS collected_at,
                NULL::VARCHAR AS collected_by,
                NULL::VARCHAR AS received_at,
                e.storetime AS resulted_at,
                NULL::VARCHAR AS verified_at,
                NULL::VARCHAR AS reviewed_at,
                'in_house' AS performing_site,
                NULL::VARCHAR AS reference_lab,
                NULL::VARCHAR AS shipped_at,
                NULL::VARCHAR AS performed_by,
                e.value AS result_value,
                e.valueuom AS result_unit,
                CASE WHEN lower(e.flag) = 'abnormal' THEN 'A' END AS abnormal_flag,
                NULL::VARCHAR AS critical_notified_at,
                CASE WHEN nullif(trim(e.storetime), '') IS NULL THEN 'pending' ELSE 'final' END AS status,
                NULL::VARCHAR AS rejection_reason
            FROM mimic_labevents e
            LEFT JOIN (SELECT DISTINCT ON (itemid) * FROM mimic_labitems) i ON i.itemid = e.itemid
            ORDER BY e._line""",
            {"c": clinic},
        )
    finally:
        con.unregister("mimic_labevents")
        con.unregister("mimic_labitems")
    sources.append(SourceTable("lab_specimens", "src_in_mimic_lab", RECORD_TYPES["lab_specimens"].column_names, FORMAT))
    return sources
