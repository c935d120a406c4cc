"""What a failed `dbt build` means for the person who ran `backoffice build`.

A failed build publishes nothing, so the dashboards stay on the previous build's data: the message must say which
tests and models failed and what to do next, not only that dbt failed. dbt lists every node it ran, with its status
and message, in run_results.json in its target folder; this module reads it and gives each failure its remedy.
Messages carry no row values (a failing data test reports a count; the warehouse holds pseudonyms only)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FAILED = ("fail", "error", "runtime error")
FULL_REFRESH = "backoffice build --full-refresh"


@dataclass(frozen=True)
class Failure:
    """One node dbt could not build or whose test failed."""

    name: str
    kind: str  # model, test, unit_test, seed, snapshot
    status: str  # fail (a test found rows) or error (the node could not run)
    message: str
    compiled_path: str | None  # the test's query, to look at the failing rows


def read_failures(target: Path, not_before: float) -> list[Failure]:
    """The failed nodes of dbt's run_results.json in `target` (dbt's target folder), with the compiled query of each
    test from the manifest beside it; none when the file is older than `not_before` (a POSIX time: the run that
    failed did not get as far as writing it, so it describes an earlier run)."""
    run_results, manifest = target / "run_results.json", target / "manifest.json"
    if not run_results.exists() or run_results.stat().st_mtime < not_before:
        return []
    nodes = json.loads(manifest.read_text())["nodes"] if manifest.exists() else {}
    failures = []
    for r in json.loads(run_results.read_text())["results"]:
        if r["status"] not in FAILED:
            continue
        node = nodes.get(r["unique_id"], {})
        kind, _, rest = r["unique_id"].partition(".")
        failures.append(Failure(
            name=node.get("name") or rest.partition(".")[2], kind=kind, status=r["status"],
            message=" ".join(str(r.get("message") or "").split()),
            compiled_path=node.get("compiled_path") if kind == "test" else None))
    return failures


def remedy(failure: Failure, full_refresh: bool) -> str:
    """What to do about one failure. After an incremental build, a failing data test usually means the incremental
    tables drifted from the raw data (records a corrected re-export moved, a changed seed or var): a full refresh
    rebuilds them. A test that fails after a full refresh, or a broken contract, is an error in the data."""
    where = f" The query that finds the rows: {failure.compiled_path}." if failure.compiled_path else ""
    if failure.kind == "unit_test":
        return ("A model's SQL no longer gives its expected result (or the unit test cannot run): a code error, not "
                "a data error. Report it.")
    if failure.kind == "test" and failure.status == "fail":
        if not full_refresh:
            return (f"Run `{FULL_REFRESH}`: it rebuilds the incremental tables from the raw data (records a corrected "
                    f"re-export moved, a changed seed or var). If the same test fails again, the data breaks the "
                    f"rule: correct the export and ingest it again.{where}")
        return f"The data breaks this rule: correct the export named by the failing rows and ingest it again.{where}"
    if "constraint" in failure.message.lower():
        return ("A row breaks the model's contract (a code outside the allowed values, or a missing key): correct "
                "the export and ingest it again.")
    if not full_refresh:
        return (f"Run `{FULL_REFRESH}` (needed after a new release or a changed seed or var); if it fails again, "
                "report this message with logs/dbt.log.")
    return "Report this message with logs/dbt.log."


def explain(failures: list[Failure], full_refresh: bool) -> list[str]:
    """The lines `backoffice build` prints after a failed build: each failure and its remedy."""
    lines = ["Nothing was published: the dashboards still show the previous build."]
    for f in failures:
        lines.append(f"- {f.kind} {f.name} ({f.status}): {f.message}")
        lines.append(f"  What to do: {remedy(f, full_refresh)}")
    if not failures:
        lines.append("dbt stopped before it ran any model or test: see the dbt messages above and logs/dbt.log.")
    return lines
