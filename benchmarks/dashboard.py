"""Dashboard stage of `make bench`: every page, cold and warm, through Streamlit's AppTest on a published network.

Users: an admin bound to every clinic of the network, and a user bound to one clinic for each other role, each
opening the pages their role may open. Each (user, page) runs in its own process, so peak memory (ru_maxrss) is that
page's (plus the app's imports). In that process the user signs in through the real form, the data cache is
cleared, and the page is run twice:

- cold: no cached query results (the scoped connection to the serving copy, shared by every session of the server,
  stays open, as it does for a running server);
- warm: the same page again, every query answered from the cache.

Per run: wall time of the page, time spent in `dashboards.data.query` (the page's own queries, cache look-ups when
warm), rows those queries returned, plotly payload bytes (the largest chart and all charts) and peak RSS.
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboards" / "streamlit_app.py"


def measure_page(username: str, page: str) -> dict:
    """Run in a fresh process: sign in, clear the data cache, open `page` cold, then warm."""
    import streamlit as st

    from dashboards import data
    from dashboards.testing import signed_in_app

    calls = {"rows": 0, "seconds": 0.0}
    real_query = data.query

    def counted_query(sql: str, params: list | tuple = ()):
        start = time.perf_counter()
        frame = real_query(sql, params)
        calls["seconds"] += time.perf_counter() - start
        calls["rows"] += len(frame)
        return frame

    data.query = counted_query  # pages and loaders look `query` up when they run, after this
    at = signed_in_app(APP, username, timeout=600)
    st.cache_data.clear()
    result: dict = {"user": username, "page": page}
    for run in ("cold", "warm"):
        calls.update(rows=0, seconds=0.0)
        start = time.perf_counter()
        if run == "cold":
            at.switch_page(f"app_pages/{page}.py").run()
        else:
            at.run()
        elapsed = time.perf_counter() - start
        if at.exception:  # recorded, not fatal: the bench shows which page fails for whom
            result["error"] = str(at.exception[0].message).splitlines()[0][:120]
        sizes = [len(c.proto.spec) for c in at.get("plotly_chart")]
        result[run] = {"seconds": elapsed, "query_seconds": calls["seconds"], "rows": calls["rows"],
                       "chart_bytes": sum(sizes), "largest_chart_bytes": max(sizes, default=0)}
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def bench_users(clinics: list[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """An admin of every clinic and, per other role, a user of the first clinic."""
    from backoffice.users import ROLES

    users = {"bench_admin": ("admin", tuple(clinics))}
    users |= {f"bench_{role}_1": (role, (clinics[0],)) for role in ROLES if role != "admin"}
    return users


def network_clinics(serving_dir: Path) -> list[str]:
    import duckdb

    from backoffice.publish import current_serving_file

    path = current_serving_file(serving_dir)
    if path is None:
        raise SystemExit(f"no published serving copy in {serving_dir}")
    with duckdb.connect(str(path), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT DISTINCT clinic_id FROM raw.clinics ORDER BY 1").fetchall()]


def run_dashboards(serving_dir: Path, workdir: Path, pages: list[str] | None = None) -> list[dict]:
    """Every (user, page) in its own process; returns their measurements."""
    from dashboards.registry import pages_for
    from dashboards.testing import write_test_users

    users = bench_users(network_clinics(serving_dir))
    workdir.mkdir(parents=True, exist_ok=True)
    users_file = write_test_users(workdir, users)
    env = os.environ | {"BACKOFFICE_SERVING_DIR": str(serving_dir), "BACKOFFICE_USERS_FILE": str(users_file)}
    results = []
    for username, (role, _) in users.items():
        for spec in pages_for(role):
            if pages and spec.key not in pages:
                continue
            out = subprocess.run([sys.executable, "-m", "benchmarks.dashboard", "--one", username, spec.key],
                                 cwd=ROOT, env=env, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise SystemExit(f"{spec.key} for {username} failed:\n{out.stderr[-3000:]}")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]) | {"role": role})
    return results


def markdown(results: list[dict], clinics: int) -> list[str]:
    """One table row per (user, page): cold / warm time, query time, ratio page / queries, rows, payload, RSS."""
    lines = ["| user | page | cold s | cold queries s | cold ÷ queries | warm s | rows pulled | largest chart | "
             "all charts | peak RSS |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        cold, warm = r["cold"], r["warm"]
        who = f"admin ({clinics} clinics)" if r["role"] == "admin" else f"{r['role']} (1 clinic)"
        if "error" in r:
            lines.append(f"| {who} | {r['page']} | exception: {r['error']} | | | | | | | |")
            continue
        ratio = cold["seconds"] / cold["query_seconds"] if cold["query_seconds"] else float("nan")
        lines.append(f"| {who} | {r['page']} | {cold['seconds']:.2f} | {cold['query_seconds']:.2f} | {ratio:.1f}× "
                     f"| {warm['seconds']:.2f} | {cold['rows']:,} | {cold['largest_chart_bytes'] / 1024:,.0f} KiB "
                     f"| {cold['chart_bytes'] / 1024:,.0f} KiB | {r['peak_rss_mib']:,.0f} MiB |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serving-dir", type=Path, help="published serving copies (BACKOFFICE_SERVING_DIR)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "data" / "bench" / "dashboards")
    parser.add_argument("--page", action="append", help="only these pages (default: all)")
    parser.add_argument("--one", nargs=2, metavar=("USER", "PAGE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_page(*args.one)))
        return
    serving = args.serving_dir or Path(os.environ["BACKOFFICE_SERVING_DIR"])
    results = run_dashboards(serving, args.workdir, args.page)
    print("\n".join(markdown(results, len(network_clinics(serving)))))


if __name__ == "__main__":
    main()
