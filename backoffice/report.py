"""The compliance audit report: one clinic, one month, printable HTML from the sterility and competency marts.

    backoffice report --period 2026-10 --clinic C01 [--out FILE]

Reads the published serving copy (or the warehouse itself, read-only, before the first publish), never writes to
it. Sections: compliance rates per rule for the month and per ISO week against target (domain-standards 3.4 and
4), the sterility / reprocessing / cleaning / patients'-rights exceptions, the competency and certification
exceptions, the recall trace of every positive biological indicator down to pseudonymous patients, staff whose
competency or certification was not current at the end of the month, and the rule definitions with their sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape

from backoffice import settings
from backoffice.file_modes import make_private, private_umask
from backoffice.publish import current_serving_file

TEMPLATES = Path(__file__).parent / "templates"
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Report sections follow the domains in this order (sterilization first, competency last).
DOMAIN_ORDER = """CASE rule_domain WHEN 'sterilization' THEN 1 WHEN 'high_level_disinfection' THEN 2
                  WHEN 'environment' THEN 3 WHEN 'patient_rights' THEN 4 ELSE 5 END"""
REQUIRED_TABLES = (
    "staging.stg_backoffice__clinics",
    "marts.dim_compliance_rules",
    "marts.fct_sterility_checks",
    "marts.fct_competency_checks",
    "marts.fct_sterility_exceptions",
    "marts.fct_competency_exceptions",
    "marts.agg_compliance_weekly",
    "marts.fct_recall_trace",
    "marts.fct_competency_status_daily",
    "marts.fct_certification_status_daily",
)


class ReportError(RuntimeError):
    """The report cannot be written (bad period, unknown clinic, no built warehouse)."""


@dataclass
class AuditReport:
    clinic_id: str
    clinic_name: str
    timezone: str
    period: str
    period_start: date
    period_end: date  # inclusive
    generated_at: str
    source: str
    data_through: date | None
    rules: list[dict[str, Any]] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)
    weeks: list[date] = field(default_factory=list)
    weekly: list[dict[str, Any]] = field(default_factory=list)
    sterility_exceptions: list[dict[str, Any]] = field(default_factory=list)
    competency_summary: list[dict[str, Any]] = field(default_factory=list)
    competency_exceptions: list[dict[str, Any]] = field(default_factory=list)
    recalls: list[dict[str, Any]] = field(default_factory=list)
    staff_not_current: list[dict[str, Any]] = field(default_factory=list)
    status_date: date | None = None

    @property
    def total_exceptions(self) -> int:
        return len(self.sterility_exceptions) + len(self.competency_exceptions)


def parse_period(period: str) -> tuple[date, date]:
    """'2026-10' -> (2026-10-01, 2026-10-31)."""
    m = PERIOD.match(period.strip())
    if not m:
        raise ReportError(f"period must be a month as YYYY-MM, not {period!r}")
    start = date(int(m.group(1)), int(m.group(2)), 1)
    following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def source_database() -> Path:
    """The published serving copy when there is one, else the warehouse (opened read-only)."""
    served = current_serving_file(settings.serving_dir())
    if served is not None:
        return served
    db = settings.warehouse_path()
    if not db.exists():
        raise ReportError(f"no warehouse at {db}: run `backoffice ingest` and `backoffice build` first")
    return db


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def collect(con: duckdb.DuckDBPyConnection, clinic: str, period: str, source: str = "") -> AuditReport:
    """Read everything the report shows for one clinic and month from the marts."""
    start, end = parse_period(period)
    present = {f"{r[0]}.{r[1]}" for r in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if missing:
        raise ReportError(f"the warehouse has no {', '.join(missing)}: run `backoffice build`")
    found = con.execute(
        "SELECT clinic_id, name, timezone FROM staging.stg_backoffice__clinics WHERE clinic_id = ?", [clinic]
    ).fetchone()
    if found is None:
        known = [r[0] for r in con.execute(
            "SELECT clinic_id FROM staging.stg_backoffice__clinics ORDER BY 1").fetchall()]
        raise ReportError(f"unknown clinic {clinic!r}; the warehouse has {', '.join(known) or 'no clinics'}")
    through = con.execute(
        "SELECT max(status_date) FROM marts.fct_competency_status_daily WHERE clinic_id = ?", [clinic]
    ).fetchone()[0]
    report = AuditReport(
        clinic_id=found[0],
        clinic_name=found[1],
        timezone=found[2],
        period=period,
        period_start=start,
        period_end=end,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        source=source,
        data_through=through,
    )
    window = [clinic, start, end]
    report.rules = _rows(con, f"SELECT * FROM marts.dim_compliance_rules ORDER BY {DOMAIN_ORDER}, rule_code", [])
    report.summary = _rows(con, f"""
        WITH checks AS (
            SELECT rule_code, is_compliant FROM marts.fct_sterility_checks
            WHERE clinic_id = ? AND check_date BETWEEN ? AND ?
            UNION ALL
            SELECT rule_code, is_compliant FROM marts.fct_competency_checks
            WHERE clinic_id = ? AND performed_on BETWEEN ? AND ?
        )
        SELECT r.rule_domain, r.rule_code, r.rule_title, r.rule_source, 100.0 * r.target_rate AS target_pct,
               {DOMAIN_ORDER} AS domain_order,
               count(c.rule_code) AS checks, count(*) FILTER (WHERE NOT c.is_compliant) AS exceptions,
               round(100.0 * count(*) FILTER (WHERE c.is_compliant) / nullif(count(c.rule_code), 0), 2)
                   AS compliance_pct
        FROM marts.dim_compliance_rules r
        LEFT JOIN checks c USING (rule_code)
        GROUP BY ALL
        ORDER BY domain_order, rule_code""", window + window)
    for row in report.summary:
        pct = row["compliance_pct"]
        row["meets_target"] = None if pct is None else pct >= row["target_pct"]
    # ISO weeks overlapping the month (a week is reported whole, so its first or last days may fall outside).
    weekly = _rows(con, """
        SELECT week_start, rule_code, checks, exceptions, compliance_pct, target_pct
        FROM marts.agg_compliance_weekly
        WHERE clinic_id = ? AND week_start BETWEEN ? AND ?
        ORDER BY week_start, rule_code""", [clinic, start - timedelta(days=6), end])
    report.weeks = sorted({r["week_start"] for r in weekly})
    by_rule: dict[str, dict[str, Any]] = {}
    for r in weekly:
        by_rule.setdefault(r["rule_code"], {})[r["week_start"]] = r
    titles = {r["rule_code"]: r["rule_title"] for r in report.rules}
    report.weekly = [
        {"rule_code": code, "rule_title": titles.get(code, code), "cells": [cells.get(w) for w in report.weeks]}
        for code, cells in sorted(by_rule.items(), key=lambda kv: kv[0])
    ]
    report.sterility_exceptions = _rows(con, f"""
        SELECT exception_date, rule_code, rule_title, subject_type, subject_id, sterilizer_id, load_id, room_id,
               device_id, procedure_id, patient_id, reason, detail
        FROM marts.fct_sterility_exceptions
        WHERE clinic_id = ? AND exception_date BETWEEN ? AND ?
        ORDER BY {DOMAIN_ORDER}, rule_code, exception_date, subject_id""", window)
    report.competency_exceptions = _rows(con, """
        SELECT exception_date, rule_code, rule_title, staff_id, display_name, role, supervisor_id, performance_type,
               record_id, performed_code, competency_code, certification_code, supervised_by, patient_id, reason,
               detail
        FROM marts.fct_competency_exceptions
        WHERE clinic_id = ? AND exception_date BETWEEN ? AND ?
        ORDER BY staff_id, rule_code, exception_date, record_id""", window)
    report.competency_summary = _rows(con, """
        SELECT staff_id, any_value(display_name) AS display_name, any_value(role) AS role,
               any_value(supervisor_id) AS supervisor_id, rule_title, reason,
               coalesce(certification_code, competency_code) AS item, count(*) AS performances,
               min(exception_date) AS first_date, max(exception_date) AS last_date, any_value(detail) AS detail
        FROM marts.fct_competency_exceptions
        WHERE clinic_id = ? AND exception_date BETWEEN ? AND ?
        GROUP BY staff_id, rule_title, reason, coalesce(certification_code, competency_code)
        ORDER BY staff_id, item, reason""", window)
    positives = _rows(con, """
        SELECT DISTINCT positive_load_id, sterilizer_id, positive_cycle_date, positive_bi_read_at,
               last_negative_bi_started_at, next_negative_bi_started_at
        FROM marts.fct_recall_trace
        WHERE clinic_id = ? AND positive_cycle_date BETWEEN ? AND ?
        ORDER BY positive_cycle_date, positive_load_id""", window)
    for p in positives:
        rows = _rows(con, """
            SELECT load_id, cycle_type, load_started_at_local, load_was_released, is_implant_load, recall_position,
                   procedure_id, procedure_code, room_id, performed_at_local, performed_by, patient_id
            FROM marts.fct_recall_trace
            WHERE clinic_id = ? AND positive_load_id = ?
            ORDER BY load_started_at_local, load_id, performed_at_local, procedure_id""",
            [clinic, p["positive_load_id"]])
        p["rows"] = rows
        p["loads"] = len({r["load_id"] for r in rows})
        p["procedures"] = len({r["procedure_id"] for r in rows if r["procedure_id"]})
        p["patients"] = len({r["patient_id"] for r in rows if r["patient_id"]})
    report.recalls = positives
    # Staff status at the end of the month (or the last day on record, when the export ends earlier).
    report.status_date = min(end, through) if through else None
    if report.status_date and report.status_date >= start:
        status_args = [clinic, report.status_date]
        report.staff_not_current = _rows(con, """
            SELECT staff_id, display_name, role, supervisor_id, 'competency' AS item_type,
                   competency_code AS item_code, status, due_on AS due_or_expired_on
            FROM marts.fct_competency_status_daily
            WHERE clinic_id = ? AND status_date = ? AND status IN ('overdue', 'never_assessed')
            UNION ALL
            SELECT staff_id, display_name, role, supervisor_id, 'certification', certification_code, status,
                   valid_through
            FROM marts.fct_certification_status_daily
            WHERE clinic_id = ? AND status_date = ? AND is_required AND status IN ('expired', 'missing')
            ORDER BY staff_id, item_type, item_code""", status_args + status_args)
    return report


def render(report: AuditReport) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.1f} %"
    env.filters["dt"] = lambda v: "" if v is None else (v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime)
                                                           else str(v))
    return env.get_template("audit_report.html.j2").render(r=report)


def write_report(clinic: str, period: str, out: Path | None = None, database: Path | None = None) -> Path:
    """Write the audit report for `clinic` and `period` (YYYY-MM); returns the file written."""
    parse_period(period)
    db = database or source_database()
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise ReportError(f"cannot open {db} read-only: {exc}") from exc
    try:
        con.execute("SET TimeZone = 'UTC'")
        report = collect(con, clinic, period, source=db.name)
    finally:
        con.close()
    out = out or settings.data_dir() / "reports" / f"audit-{clinic}-{period}.html"
    private_umask()  # the report lists pseudonymous patients: 0600 like the warehouse
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text(render(report), encoding="utf-8")
    make_private(tmp)
    tmp.replace(out)
    return out
