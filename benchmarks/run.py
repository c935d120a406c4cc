"""`make bench`: ingest speed against DuckDB's own CSV load, and dbt build times, on a large simulated network.

Each stage runs in its own process so its wall time and peak memory (ru_maxrss) are its own. Results are
printed and appended to BENCHMARKS.md with the machine named. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from backoffice.build import DAILY_DATA_TEST_DAYS

ROOT = Path(__file__).resolve().parent.parent
KEY = "00" * 32

FLOOR = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
for f in sys.argv[2:]:
    name = f.rsplit('/', 1)[-1].split('.')[0]
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_csv('{f}', header = true, all_varchar = true)")
"""

INGEST = """
import sys
from pathlib import Path
from ingest.run import ingest_paths
results = ingest_paths(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]], bytes.fromhex('""" + KEY + """'))
assert all(r.status == 'loaded' for r in results), [r.message for r in results]
print(sum(r.rows_read for r in results if r.record_type in ('lab_specimens', 'procedures')))
"""


BUILD = """
import sys
from pathlib import Path
from backoffice.build import build
if sys.argv[2] == 'full':
    build(Path(sys.argv[1]), full_refresh=True)
elif sys.argv[2] == 'parse':  # the parse a daily run leaves for the next one (same vars: dbt parses partially)
    from backoffice.build import daily_parse
    daily_parse(Path(sys.argv[1]))
else:  # the incremental stage is the scheduled run, `backoffice build --daily`
    from backoffice.build import daily_build
    daily_build(Path(sys.argv[1]))
"""

# "Append one day": move every event-dated raw row of the last local day aside before the full build, and back
# (as newly ingested rows) before the incremental one, so the incremental run sees exactly one new day.
HOLD_BACK = """
import sys, duckdb
from ingest.contract import RECORD_TYPES
con = duckdb.connect(sys.argv[1])
for rt in RECORD_TYPES.values():
    if not rt.event_time:
        continue
    col = rt.event_time + '_local'
    if sys.argv[2] == 'hold':
        last = con.execute(f"SELECT max(CAST({col} AS DATE)) FROM raw.{rt.name}").fetchone()[0]
        con.execute(f"CREATE OR REPLACE TABLE raw.held_{rt.name} AS SELECT * FROM raw.{rt.name} "
                    f"WHERE CAST({col} AS DATE) >= ?", [last])
        con.execute(f"DELETE FROM raw.{rt.name} WHERE CAST({col} AS DATE) >= ?", [last])
    else:
        con.execute(f"INSERT INTO raw.{rt.name} SELECT * REPLACE (now()::TIMESTAMP AS _ingested_at) "
                    f"FROM raw.held_{rt.name}")
        con.execute(f"DROP TABLE raw.held_{rt.name}")
"""


def run_stage(code: str, args: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB and stdout of `python -c code args` in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            env=(os.environ | (env or {})), text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"stage failed ({status}): {code[:60]}")
    return elapsed, usage.ru_maxrss / 1024, out.strip()


def dbt_floor(work: Path, env: dict) -> float:
    """The daily build's time on an almost empty warehouse (1 clinic, 7 days): what the run costs whatever the data,
    the floor under the incremental stage. Median of three, the runs being short and the machine noisy."""
    source, db = work / "source-1x7", work / "floor-dbt.duckdb"
    if not (source / "procedures.csv").exists():
        run_stage("import sys; from pathlib import Path; from simulator.generate import simulate, SimulationConfig; "
                  "simulate(Path(sys.argv[1]), SimulationConfig(clinics=1, days=7))", [str(source)])
    db.unlink(missing_ok=True)
    master = [source / n for n in ("clinics.csv", "rooms.csv", "staff.csv")]
    run_stage(INGEST, [str(p) for p in [db, *master, *sorted(set(source.glob("*.csv")) - set(master))]])
    tiny = env | {"BACKOFFICE_DB": str(db)}
    run_stage(BUILD, [str(db), "full"], tiny)
    run_stage(BUILD, [str(db), "parse"], tiny)
    times = sorted(run_stage(BUILD, [str(db), "incremental"], tiny)[0] for _ in range(3))
    return times[1]


def dashboard_stage(db: Path, work: Path, clinics: int, record) -> None:
    """Publish the built network and open every page cold and warm for an admin of all clinics and a one-clinic
    user of each role (benchmarks/dashboard.py)."""
    from backoffice.publish import publish
    from benchmarks.dashboard import markdown, run_dashboards

    publish(db, work / "serving")
    record("")
    record("Dashboards: every page through AppTest in its own process, cold (data cache cleared; the shared "
           "connection to the serving copy open) and warm (the same page again); query time = time in "
           "dashboards.data.query; rows = rows those queries returned; payload = plotly JSON.")
    record("")
    for line in markdown(run_dashboards(work / "serving", work / "dashboards"), clinics):
        record(line)


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clinics", type=int, default=150)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--skip-dbt", action="store_true")
    args = parser.parse_args()
    work = args.workdir
    source = work / f"source-{args.clinics}x{args.days}"
    work.mkdir(parents=True, exist_ok=True)
    if not (source / "procedures.csv").exists():
        t, rss, _ = run_stage(
            "import sys; from pathlib import Path; from simulator.generate import simulate, SimulationConfig; "
            "simulate(Path(sys.argv[1]), SimulationConfig(clinics=int(sys.argv[2]), days=int(sys.argv[3])))",
            [str(source), str(args.clinics), str(args.days)],
        )
        print(f"simulate: {t:.1f} s, peak {rss:.0f} MiB")
    big = [str(source / "lab_specimens.csv"), str(source / "procedures.csv")]
    master = [str(source / n) for n in ("clinics.csv", "rooms.csv", "staff.csv")]
    sizes = sum(Path(f).stat().st_size for f in big) / 2**20

    lines: list[str] = []

    def record(line: str) -> None:
        """Print each result as soon as it exists: a long run stopped half-way still leaves its numbers."""
        lines.append(line)
        print(line, flush=True)

    for line in (f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {args.clinics} clinics × {args.days} days", "",
                 f"Machine: {machine()}. Large files: lab_specimens.csv + procedures.csv, {sizes:,.0f} MiB.", "",
                 "| stage | wall time | peak memory |", "|---|---|---|"):
        record(line)
    floor_db = work / "floor.duckdb"
    floor_db.unlink(missing_ok=True)
    floor_t, floor_rss, _ = run_stage(FLOOR, [str(floor_db), *big])
    record(f"| DuckDB `read_csv` (all columns as text) into a table (floor) | {floor_t:.1f} s | {floor_rss:,.0f} MiB |")

    ingest_db = work / "ingest.duckdb"
    ingest_db.unlink(missing_ok=True)
    run_stage(INGEST, [str(ingest_db), *master])
    ingest_t, ingest_rss, rows = run_stage(INGEST, [str(ingest_db), *big])
    rows = int(rows.splitlines()[-1])  # DuckDB may print a progress bar before the count
    record(f"| `backoffice ingest` of the same {rows:,} rows (validate, pseudonymise, merge) | {ingest_t:.1f} s "
           f"| {ingest_rss:,.0f} MiB |")
    record(f"| ratio ingest / floor | {ingest_t / floor_t:.2f}× | |")
    if not args.skip_dbt:
        env = {"BACKOFFICE_DB": str(ingest_db)}
        rest = [str(p) for p in sorted(source.glob("*.csv")) if str(p) not in big + master]
        rest_t, _, _ = run_stage(INGEST, [str(ingest_db), *rest])
        record(f"| `backoffice ingest` of the other record types | {rest_t:.1f} s | |")
        run_stage(HOLD_BACK, [str(ingest_db), "hold"])
        build_t, build_rss, _ = run_stage(BUILD, [str(ingest_db), "full"], env)
        record(f"| `dbt build --full-refresh` without the last day (all models and tests) | {build_t:.1f} s "
               f"| {build_rss:,.0f} MiB |")
        # A daily run follows the previous daily run, whose vars it shares, so dbt parses only what changed; the full
        # build's vars differ (none), so parse once with the daily run's vars, untimed, as that previous run would.
        run_stage(BUILD, [str(ingest_db), "parse"], env)
        run_stage(HOLD_BACK, [str(ingest_db), "append"])
        inc_t, inc_rss, _ = run_stage(BUILD, [str(ingest_db), "incremental"], env)
        record(f"| `dbt build` after appending the last day (`backoffice build --daily`: incremental models; without "
               f"the unit tests; views and seeds unchanged since the last build not re-created; generic data tests on "
               f"the last {DAILY_DATA_TEST_DAYS} days of the large tables, whole tables otherwise; "
               f"after a `dbt parse` with the same vars, as a daily run follows the previous one) "
               f"| {inc_t:.1f} s | {inc_rss:,.0f} MiB |")
        record(f"| ratio incremental / full | {100 * inc_t / build_t:.1f} % | |")
        # The same run once more, with no new data: what an incremental run costs whatever the new data (dbt's
        # start-up and per-node work, reading each model's sources, the data tests).
        again_t, _, _ = run_stage(BUILD, [str(ingest_db), "incremental"], env)
        record(f"| the same incremental `dbt build` again, no new data (its fixed cost) | {again_t:.1f} s | |")
        floor_t = dbt_floor(work, env)
        record(f"| the same incremental `dbt build` on a warehouse of 1 clinic × 7 days, median of 3 (the floor "
               f"under it: dbt's start-up and its work per model and test, whatever the data) | {floor_t:.1f} s "
               f"= {100 * floor_t / build_t:.1f} % of the full build | |")
        dashboard_stage(ingest_db, work, args.clinics, record)
    report = "\n".join(lines) + "\n"
    print(report)
    bench_md = ROOT / "BENCHMARKS.md"
    if not bench_md.exists():
        bench_md.write_text("# Benchmarks\n\nWritten by `make bench` (benchmarks/run.py). Newest first.\n\n")
    head, _, tail = bench_md.read_text().partition("\n## ")
    bench_md.write_text(head.rstrip() + "\n\n" + report + ("\n## " + tail if tail else ""))


if __name__ == "__main__":
    main()
