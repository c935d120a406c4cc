"""models/exposures.yml lists what each dashboard page and the audit report really read (issue 14).

What a page reads is found in its code: the `marts.` / `reference.` tables named in the page and in the
dashboards/queries modules it imports, the reference catalogs behind data.py's name helpers, the clinics source
behind the clinic filter, and backoffice.report's tables for a page that renders the audit report.
raw.ingest_log and raw.quarantine are written by the ingest, not dbt nodes, so no exposure can list them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TABLE = re.compile(r"\b(?:marts|reference)\.([a-z_]+)")
QUERIES_IMPORT = re.compile(r"from dashboards\.queries\.([a-z_]+) import (?:\(([^)]*)\)|([^\n]*))")
CLINICS = re.compile(r"raw\.clinics|stg_backoffice__clinics|clinic_select\(|clinic_and_dates\(|clinic_names\(")
CATALOG_HELPERS = {r"procedure_names\(|catalog_names\(\"procedure\"": "procedure_catalog",
                   r"\btest_names\(|catalog_names\(\"test\"": "lab_test_catalog",
                   r"catalog_names\(\"competency\"": "competency_catalog",
                   r"catalog_names\(\"certification\"": "certification_catalog"}


def nodes(code: str) -> set[str]:
    """dbt nodes (as exposures name them) a piece of code names."""
    found = {f"ref('{name}')" for name in TABLE.findall(code)}
    if CLINICS.search(code):
        found.add("source('backoffice', 'clinics')")
    return found | {f"ref('{seed}')" for pattern, seed in CATALOG_HELPERS.items() if re.search(pattern, code)}


def loader_reads(module: str, names: list[str]) -> set[str]:
    """What the imported `names` (loaders and table constants) of dashboards.queries.`module` read: each loader's
    own code and the module constants it uses, not the rest of the module."""
    source = (ROOT / "dashboards" / "queries" / f"{module}.py").read_text()
    tree = ast.parse(source)
    constants = {t.id: ast.get_source_segment(source, node.value) for node in tree.body
                 if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    found: set[str] = set()
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in constants:
            found |= nodes(constants[name])
        elif name in functions:
            found |= nodes(ast.get_source_segment(source, functions[name]))
            todo += [n.id for n in ast.walk(functions[name]) if isinstance(n, ast.Name)]
    return found


def reads(path: Path) -> set[str]:
    """dbt nodes the code at `path` reads, following the loaders it imports from dashboards.queries."""
    code = path.read_text()
    found = nodes(code)
    for module, in_brackets, on_the_line in QUERIES_IMPORT.findall(code):
        imported = in_brackets or on_the_line
        found |= loader_reads(module, [n.strip() for n in imported.split(",") if n.strip()])
    if "from backoffice import report" in code:
        found |= reads(ROOT / "backoffice" / "report.py")
    return found


def test_exposures_list_what_each_page_and_the_report_read():
    exposures = yaml.safe_load((ROOT / "models" / "exposures.yml").read_text())["exposures"]
    listed = {e["name"]: set(e["depends_on"]) for e in exposures}
    pages = {e["name"]: e["url"].rsplit("/", 1)[-1] for e in exposures if e["type"] == "dashboard"}
    assert sorted(pages.values()) == sorted(p.stem for p in (ROOT / "dashboards" / "app_pages").glob("*.py"))
    for name, key in pages.items():
        assert listed[name] == reads(ROOT / "dashboards" / "app_pages" / f"{key}.py"), name
    assert listed["report_compliance_audit"] == reads(ROOT / "backoffice" / "report.py")
