"""`backoffice report`: the printable audit report, from the published serving copy of a simulated warehouse.

The expected figures come from the simulator's planted.json (what was planted in that clinic and month), not from
the marts the report reads, except where the report must list every row of a mart (exceptions, recall trace).
"""

from __future__ import annotations

import hashlib
import html
from datetime import date

import duckdb
import pytest
from typer.testing import CliRunner

from backoffice.cli import app
from backoffice.report import AuditReport, ReportError, collect, parse_period, render
from tests.test_sterility_planted import Planted, planted_warehouse


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Planted:
    return planted_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def target(wh) -> tuple[str, str]:
    """The clinic and month of the first planted positive BI: the report then has a recall trace to show."""
    lp = sorted(wh.lapses("positive_bi"), key=lambda x: (x["clinic_id"], x["key"]["load_id"]))[0]
    (day,) = wh.query("SELECT cycle_date FROM marts.fct_sterilizer_loads WHERE clinic_id = ? AND load_id = ?",
                      [lp["clinic_id"], lp["key"]["load_id"]])[0]
    return lp["clinic_id"], day.strftime("%Y-%m")


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def written(wh, target, tmp_path_factory):
    clinic, period = target
    out = tmp_path_factory.mktemp("report") / "audit.html"
    before = sha(wh.db)
    env = {"BACKOFFICE_DB": str(wh.db), "BACKOFFICE_SERVING_DIR": str(wh.serving)}
    result = CliRunner().invoke(app, ["report", "--period", period, "--clinic", clinic, "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert sha(wh.db) == before, "the report must not write to the warehouse"
    return out.read_text(encoding="utf-8")


def test_parse_period():
    assert parse_period("2026-10") == (date(2026, 10, 1), date(2026, 10, 31))
    assert parse_period("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert parse_period("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    for bad in ("2026-13", "2026-1", "10/2026", ""):
        with pytest.raises(ReportError):
            parse_period(bad)


def test_report_names_clinic_period_and_source(written, target, wh):
    clinic, period = target
    (name,) = wh.query("SELECT name FROM staging.stg_backoffice__clinics WHERE clinic_id = ?", [clinic])[0]
    assert f"{html.escape(name)} ({clinic})" in written
    assert f"Period {period}" in written
    assert "from warehouse-" in written, "read from the published serving copy"
    assert "@page" in written and "@media print" in written, "printable"


def test_rates_count_the_planted_lapses_of_the_month(wh, target):
    """The month's exception counts per rule equal what the simulator planted in that clinic and month."""
    clinic, period = target
    start, end = parse_period(period)
    with duckdb.connect(str(wh.db), read_only=True) as con:
        report = collect(con, clinic, period)
    by_rule = {s["rule_code"]: s for s in report.summary}

    def planted_in_month(kind: str, day_of) -> int:
        return sum(1 for lp in wh.lapses(kind) if lp["clinic_id"] == clinic and start <= day_of(lp) <= end)

    def proc_day(lp):
        (d,) = wh.query("SELECT cast(coalesce(procedure_start_at_local, patient_in_at_local) AS date) "
                        "FROM staging.stg_backoffice__procedures WHERE clinic_id = ? AND procedure_id = ?",
                        [lp["clinic_id"], lp["key"]["procedure_id"]])[0]
        return d

    def load_day(lp):
        (d,) = wh.query("SELECT cycle_date FROM marts.fct_sterilizer_loads WHERE clinic_id = ? AND load_id = ?",
                        [lp["clinic_id"], lp["key"]["load_id"]])[0]
        return d

    def key_day(lp):
        return date.fromisoformat(lp["key"]["date"])

    expected = {
        "bowie_dick_daily": planted_in_month("missed_bowie_dick", key_day),
        "bi_negative": planted_in_month("positive_bi", load_day),
        "implant_bi_release": planted_in_month("implant_released_before_bi", load_day),
        "hld_between_uses": planted_in_month("probe_reuse_without_reprocessing", proc_day),
        "cleaning_between_patients": planted_in_month("skipped_cleaning", proc_day),
        "terminal_clean_daily": planted_in_month("missing_terminal_clean", key_day),
        "chaperone_present": planted_in_month("chaperone_absent", proc_day),
        "interpreter_present": planted_in_month("interpreter_absent", proc_day),
        "load_record_complete": 0,
        "release_indicators_passed": 0,
        "bi_routine_monitoring": 0,
    }
    assert {rule: by_rule[rule]["exceptions"] for rule in expected} == expected
    assert expected["bi_negative"] >= 1
    for s in report.summary:
        if s["checks"]:
            assert s["compliance_pct"] == round(100.0 * (s["checks"] - s["exceptions"]) / s["checks"], 2)
            assert s["meets_target"] == (s["exceptions"] == 0)


def test_report_lists_every_exception_and_recall_patient(written, wh, target):
    clinic, period = target
    start, end = parse_period(period)
    subjects = wh.query("SELECT subject_id FROM marts.fct_sterility_exceptions "
                        "WHERE clinic_id = ? AND exception_date BETWEEN ? AND ?", [clinic, start, end])
    assert subjects
    for (subject,) in subjects:
        assert html.escape(subject) in written
    records = wh.query("SELECT record_id FROM marts.fct_competency_exceptions "
                       "WHERE clinic_id = ? AND exception_date BETWEEN ? AND ?", [clinic, start, end])
    for (record,) in records:
        assert f"<td>{html.escape(record)}</td>" in written
    recall = wh.query("SELECT DISTINCT positive_load_id, load_id, patient_id FROM marts.fct_recall_trace "
                      "WHERE clinic_id = ? AND positive_cycle_date BETWEEN ? AND ?", [clinic, start, end])
    assert any(p for _, _, p in recall), "a recall trace with patients"
    for positive, load, patient in recall:
        assert positive in written and load in written
        if patient:
            assert patient in written
    assert "PAT-" not in written, "patients appear only under their pseudonym"


def test_report_errors_are_plain_messages(wh):
    env = {"BACKOFFICE_DB": str(wh.db), "BACKOFFICE_SERVING_DIR": str(wh.serving)}
    runner = CliRunner()
    bad_clinic = runner.invoke(app, ["report", "--period", "2026-08", "--clinic", "NOPE"], env=env)
    assert bad_clinic.exit_code == 2 and "unknown clinic 'NOPE'" in bad_clinic.output
    bad_period = runner.invoke(app, ["report", "--period", "August", "--clinic", "C01"], env=env)
    assert bad_period.exit_code == 2 and "YYYY-MM" in bad_period.output


def test_report_escapes_what_it_shows():
    report = AuditReport(
        clinic_id="C<1>", clinic_name="Praxis <script>alert(1)</script>", timezone="Europe/Berlin",
        period="2026-10", period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
        generated_at="now", source="x.duckdb", data_through=None,
        sterility_exceptions=[{"exception_date": date(2026, 10, 2), "rule_title": "R", "subject_id": "<b>",
                               "sterilizer_id": None, "load_id": None, "room_id": "PR01", "device_id": None,
                               "procedure_id": "P1", "patient_id": "p_1", "reason": "no_cleaning_logged",
                               "detail": "a & b"}],
    )
    page = render(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;" in page and "a &amp; b" in page
    assert "No positive biological indicator in this period." in page
