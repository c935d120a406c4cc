"""The `backoffice` command: simulate, ingest, build, serve, and demo (the four in order)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from backoffice import freshness, settings
from backoffice.build import DAILY_DATA_TEST_DAYS, BuildFailed, daily_build
from backoffice.build import build as dbt_build
from backoffice.build_failures import explain
from backoffice.dashboard_secret import streamlit_env
from backoffice.file_modes import private_umask
from backoffice.publish import publish
from backoffice.users import clinics_in, create_demo_users, print_logins, users_app
from ingest.csv_reader import CsvOptions
from ingest.loader import MESSAGE_READERS, FileResult, detect_format
from ingest.pseudonymise import SecretError, load_secret
from ingest.run import discover, ingest_paths

app = typer.Typer(help="Clinic back-office analytics: ingest exports, build the models, serve the dashboards.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
# Piped or logged output gets a width that fits the ingest summary instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 170)
app.add_typer(users_app, name="users")


@app.callback()
def _private_files() -> None:
    """Every file a command creates (warehouse, serving copy, logs, reports) is the owner's alone: 0600."""
    private_umask()


def default_source_dir() -> Path:
    return settings.data_dir() / "source"


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Folder for the simulated CSV exports")] = None,  # type: ignore[assignment]
    clinics: int = 3,
    days: int = 90,
    seed: int = 42,
    error_rate: Annotated[float, typer.Option(help="Share of rows with a planted data-entry error")] = 0.01,
    missing_rate: Annotated[float, typer.Option(help="Share of optional timestamps left blank")] = 0.01,
) -> None:
    """Write a seeded, realistic clinic network's exports (one CSV per record type)."""
    from simulator.generate import SimulationConfig
    from simulator.generate import simulate as run_simulation

    out = out or default_source_dir()
    config = SimulationConfig(clinics=clinics, days=days, seed=seed, error_rate=error_rate, missing_rate=missing_rate)
    with console.status(f"Simulating {clinics} clinics × {days} days (seed {seed})…"):
        counts = run_simulation(out, config, planted_path=out.parent / f"{out.name}-planted.json")
    table = Table("record type", "rows", title=f"Simulated exports in {out}")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)


def _print_results(results: list[FileResult]) -> None:
    table = Table("file", "type", "status", "read", "loaded", "new", "quarantined", "flagged", "top reasons",
                  title="Ingest summary (read = loaded + quarantined)")
    for r in results:
        reasons = ", ".join(f"{code} ({n})" for code, n in r.top_reasons[:3])
        table.add_row(Path(r.source_file).name, r.record_type, r.status, f"{r.rows_read:,}", f"{r.rows_loaded:,}",
                      f"{r.rows_new:,}", f"{r.rows_quarantined:,}", f"{r.rows_flagged:,}", reasons)
    console.print(table)
    for r in results:
        for w in r.warnings:
            console.print(f"[yellow]warning[/] {Path(r.source_file).name}: {w}")
        if r.status == "failed":
            console.print(f"[red]error[/] {r.message}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of exports")] = None,  # type: ignore[assignment]
    record_type: Annotated[str, typer.Option("--type", help="Record type, when the file name does not say")] = None,  # type: ignore[assignment]
    delimiter: Annotated[str, typer.Option(help="CSV delimiter (default: detected)")] = None,  # type: ignore[assignment]
    encoding: Annotated[str, typer.Option(help="utf-8, cp1252 or latin-1 (default: detected)")] = None,  # type: ignore[assignment]
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report without writing")] = False,
    create_secret: Annotated[bool, typer.Option(help="Create the pseudonymisation secret if missing")] = False,
    fmt: Annotated[str, typer.Option("--format", help="csv, hl7v2, fhir or mimic-iv (default: by file suffix)")] = None,  # type: ignore[assignment]
    clinic: Annotated[str, typer.Option(help="Clinic id for HL7/FHIR messages that do not name one")] = None,  # type: ignore[assignment]
) -> None:
    """Load exports into the warehouse's raw schema; bad rows go to raw.quarantine with a reason."""
    paths = paths or [default_source_dir()]
    had_secret = bool(os.environ.get("BACKOFFICE_SECRET")) or settings.secret_file().exists()
    try:
        key = load_secret(create=create_secret)
    except SecretError as exc:
        console.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from exc
    if not had_secret:
        console.print(f"Created the pseudonymisation secret {settings.secret_file()} (mode 600). Back it up and "
                      "keep it: a new secret gives every patient a new pseudonym.")
    files = discover(paths, fmt)
    if not files:
        console.print(f"[red]error[/] no CSV files found in {', '.join(map(str, paths))}")
        raise typer.Exit(2)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} files"),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("ingest", total=len(files))

        def on_file(f: Path) -> None:
            # A message file's name may carry the patient's name or id (Synthea: <given>_<family>_<uuid>.json),
            # which is known only once the file is read: the screen shows its type, the summary its masked name.
            name = f"a {detect_format(f, fmt)} file" if detect_format(f, fmt) in MESSAGE_READERS else f.name
            progress.update(task, description=f"ingest {name}", completed=files.index(f))

        results = ingest_paths(settings.warehouse_path(), paths, key, record_type,
                               CsvOptions(encoding=encoding, delimiter=delimiter), dry_run, on_file, fmt=fmt,
                               clinic_id=clinic)
        progress.update(task, completed=len(files))
    _print_results(results)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@app.command()
def build(
    full_refresh: bool = False,
    daily: Annotated[bool, typer.Option(
        help=f"A scheduled run: no dbt unit tests (they test the SQL, not the data), and the data tests of the large "
             f"tables on their last {DAILY_DATA_TEST_DAYS} days only; views and seeds unchanged since the last build "
             f"are not re-created. Always schedule the same options: other ones make dbt parse the whole project "
             f"again.")
    ] = False,
) -> None:
    """Run `dbt build` (models and tests), then publish a serving copy for the dashboards."""
    db = settings.warehouse_path()
    try:
        (daily_build if daily else dbt_build)(db, full_refresh=full_refresh)
    except BuildFailed as exc:
        console.print(f"[red]error[/] {escape(str(exc))}", highlight=False)
        for line in explain(exc.failures, full_refresh):
            console.print(line, markup=False, highlight=False)
        raise typer.Exit(1) from exc
    served = publish(db, settings.serving_dir())
    console.print(f"Published {served}")
    report_freshness(db)


def report_freshness(db: Path) -> None:
    """Name the event exports that have not arrived lately (dbt source freshness); never fails the build."""
    try:
        stale = [f for f in freshness.check(db) if f.stale]
    except BuildFailed as exc:
        console.print(f"[yellow]warning[/] source freshness could not be checked: {exc}")
        return
    for f in stale:
        when = f"last loaded {f.last_loaded:%Y-%m-%d %H:%M} UTC" if f.last_loaded else "never loaded"
        console.print(f"[yellow]stale source[/] {f.source}: {when}")
    if not stale:
        console.print("Source freshness: every event export loaded within its window")


@app.command()
def serve(port: int = 8501) -> None:
    """Serve the dashboards (Streamlit) on http://localhost:PORT."""
    entry = settings.REPO_ROOT / "dashboards" / "streamlit_app.py"
    console.print(f"Dashboards: [bold]http://localhost:{port}[/]  (Ctrl+C stops)")
    subprocess.run([sys.executable, "-m", "streamlit", "run", str(entry), "--server.port", str(port),
                    "--server.headless", "true", "--browser.gatherUsageStats", "false",
                    "--client.toolbarMode", "viewer"], env=streamlit_env(os.environ), check=False)


@app.command()
def demo(port: int = 8501, clinics: int = 3, days: int = 90, seed: int = 42) -> None:
    """simulate → ingest → build → serve, on a fresh simulated clinic network."""
    source = default_source_dir()
    simulate(out=source, clinics=clinics, days=days, seed=seed, error_rate=0.01, missing_rate=0.01)
    try:
        ingest(paths=[source], record_type=None, delimiter=None, encoding=None, dry_run=False, create_secret=True,
               fmt=None, clinic=None)
    except typer.Exit as exc:
        if exc.exit_code:
            raise
    build(full_refresh=True)
    print_logins(create_demo_users(clinics_in(settings.warehouse_path())), console)
    serve(port=port)


@app.command()
def report(
    period: Annotated[str, typer.Option(help="Month to report, YYYY-MM")],
    clinic: Annotated[str, typer.Option(help="Clinic id")],
    out: Annotated[Path, typer.Option(help="HTML file (default: data/reports/audit-CLINIC-PERIOD.html)")] = None,  # type: ignore[assignment]
) -> None:
    """Write the printable sterility and competency audit report (rates, exceptions, recall traces) as HTML."""
    from backoffice.report import ReportError, write_report

    try:
        written = write_report(clinic, period, out)
    except ReportError as exc:
        console.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"Audit report: {written}")


if __name__ == "__main__":
    app()
