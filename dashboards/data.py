"""The dashboards' only way into the data: read-only, clinic-restricted queries on the published serving copy.

The app never opens the warehouse that ingest and dbt write (DuckDB allows one writer or many readers, not
both): it follows the `CURRENT` pointer that `backoffice build` swaps atomically after each successful build.

Clinic restriction, enforced here and not by the pages: each query runs on a fresh in-memory DuckDB that
attaches the serving copy read-only under a random alias and exposes, under the usual names, views that keep
only the signed-in user's clinics:

- every table in `marts` and `reference` with a `clinic_id` column: `WHERE clinic_id IN (the user's clinics)`;
- `reference` tables without `clinic_id` (test and procedure catalogs): as they are;
- a `marts` table without `clinic_id` is not exposed at all unless listed in UNSCOPED (default deny);
- `raw.ingest_log` (one row per file, no patient data): the files with rows of the user's clinics;
  `raw.quarantine` without the row text and free-text reason (only file, line, reason code and `clinic_id`): the
  rows of the user's clinics, by the row's own clinic or else its file's (dashboards/file_attribution.py); files and
  rows that belong to no clinic only for administrators;
- `raw.clinics` and `staging.stg_backoffice__clinics`: the user's clinics' names and time zones (the audit
  report reads the latter);
- `marts.dim_compliance_rules`: the compliance rules' definitions and sources (no clinic, no patient).

Then file access and configuration changes are switched off, so a page cannot attach or read any file (the
serving copy included) other than through these views.
Results are cached per (serving file, clinics, network rows, SQL, parameters) with a TTL: a new publication is a
new file name, so the cache moves to the new copy at once. SQL takes bound parameters only.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from backoffice.publish import current_serving_file
from backoffice.settings import serving_dir
from dashboards.file_attribution import (
    attributed_quarantine_sql,
    file_visible_sql,
    load_attribution,
    row_visible_sql,
)

CACHE_TTL_SECONDS = 300
EXPOSED_SCHEMAS = ("marts", "reference")
# (schema, table) of clinic-less marts a page may read
UNSCOPED: frozenset[tuple[str, str]] = frozenset({("marts", "dim_compliance_rules")})
RAW_VIEWS = {
    ("raw", "ingest_log"): "SELECT *, regexp_extract(source_file, '[^/\\\\]+$') AS file_name FROM {src} "
                           "WHERE {file_visible}",
    ("raw", "quarantine"): """SELECT batch_id, regexp_extract(source_file, '[^/\\\\]+$') AS file_name, source_line,
                                     record_type, reason_code, reason_codes, ingested_at, clinic_id
                              FROM ({attributed}) WHERE {row_visible}""",
    ("raw", "clinics"): "SELECT clinic_id, name, timezone FROM {src} WHERE _is_current AND {scope}",
    ("staging", "stg_backoffice__clinics"): "SELECT clinic_id, name, timezone, country FROM {src} WHERE {scope}",
}
_STAMP = re.compile(r"warehouse-(\d{8}T\d{12})\.duckdb$")


class NotSignedIn(RuntimeError):
    """A query was attempted without a signed-in user; the page should never have run."""


def serving_file() -> Path | None:
    return current_serving_file(serving_dir())


def user_scope() -> tuple[tuple[str, ...], bool]:
    """The signed-in user's clinics, and whether they also see the ingest log's and quarantine's rows that belong
    to no clinic: only administrators (a file or row of the whole network may carry any clinic's data)."""
    from dashboards.auth import current_user

    user = current_user()
    if user is None:
        raise NotSignedIn("no signed-in user")
    return tuple(sorted(user.clinics)), user.role == "admin"


def allowed_clinics() -> tuple[str, ...]:
    return user_scope()[0]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def scoped_connection(serving: str, clinics: tuple[str, ...], network: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory connection whose tables are views of the serving copy restricted to `clinics`.

    `network`: also the ingest log's and quarantine's rows that belong to no clinic (administrators).
    """
    con = duckdb.connect(":memory:")
    try:
        alias = "served_" + secrets.token_hex(8)
        con.execute(f"ATTACH '{serving.replace(chr(39), chr(39) * 2)}' AS {alias} (READ_ONLY)")
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE TABLE main._allowed_clinics AS SELECT unnest($c::VARCHAR[]) AS clinic_id",
                    {"c": list(clinics)})
        scope = "clinic_id IN (SELECT clinic_id FROM main._allowed_clinics)"
        rows = con.execute(
            """SELECT t.table_schema, t.table_name,
                      bool_or(c.column_name = 'clinic_id') AS has_clinic
               FROM information_schema.tables t
               JOIN information_schema.columns c USING (table_catalog, table_schema, table_name)
               WHERE t.table_catalog = $cat
                 AND (t.table_type = 'BASE TABLE' OR list_contains($views, t.table_schema || '.' || t.table_name))
               GROUP BY ALL""",
            {"cat": alias, "views": [f"{schema}.{table}" for schema, table in RAW_VIEWS]},
        ).fetchall()
        load_attribution(con, serving)
        for schema, table, has_clinic in rows:
            src = f"{alias}.{_quote(schema)}.{_quote(table)}"
            if (schema, table) in RAW_VIEWS:
                body = RAW_VIEWS[(schema, table)].format(
                    src=src, scope=scope, attributed=attributed_quarantine_sql(src),
                    file_visible=file_visible_sql(scope, network), row_visible=row_visible_sql(scope, network))
            elif schema in EXPOSED_SCHEMAS and has_clinic:
                body = f"SELECT * FROM {src} WHERE {scope}"
            elif schema == "reference" or (schema, table) in UNSCOPED:
                body = f"SELECT * FROM {src}"
            else:
                continue
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
            con.execute(f"CREATE VIEW {_quote(schema)}.{_quote(table)} AS {body}")
        con.execute("SET enable_external_access = false")
        con.execute("SET disabled_filesystems = 'LocalFileSystem'")  # not even the serving copy a second time
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _close(con: duckdb.DuckDBPyConnection) -> None:
    con.close()


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False, on_release=_close)
def _shared_connection(serving: str, clinics: tuple[str, ...], network: bool = False) -> duckdb.DuckDBPyConnection:
    """One scoped connection per (serving copy, clinic set, network rows), shared by sessions; each query takes its
    own cursor."""
    return scoped_connection(serving, clinics, network)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=1024)
def _cached_query(serving: str, clinics: tuple[str, ...], network: bool, sql: str, params: tuple) -> pd.DataFrame:
    with _shared_connection(serving, clinics, network).cursor() as cur:
        return cur.execute(sql, list(params)).df()


def query(sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run a read-only query on the current serving copy, restricted to the signed-in user's clinics.

    An empty frame before the first build. If a copy is pruned between reading the pointer and opening it,
    the pointer is read again once.
    """
    clinics, network = user_scope()
    for attempt in range(2):
        path = serving_file()
        if path is None:
            return pd.DataFrame()
        try:
            return _cached_query(str(path), clinics, network, sql, tuple(params))
        except duckdb.IOException:
            if attempt or serving_file() == path:
                raise
    raise AssertionError("unreachable")


@contextmanager
def clinic_cursor(clinic: str) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    """A cursor on the current serving copy whose tables hold only `clinic`'s rows, and that copy's path.

    For code that takes a connection rather than SQL (backoffice.report's audit report): the same scoped views as
    `query`, restricted to one clinic, which must be one of the signed-in user's.
    """
    if clinic not in allowed_clinics():
        raise PermissionError(f"clinic {clinic!r} is not one of the signed-in user's clinics")
    path = serving_file()
    if path is None:
        raise FileNotFoundError("no published serving copy yet")
    with _shared_connection(str(path), (clinic,)).cursor() as cur:
        yield cur, path


def has_table(qualified: str) -> bool:
    """Whether the serving copy exposes `schema.table` to this user (False before the first build)."""
    schema, _, table = qualified.partition(".")
    found = query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ? "
                  "AND table_catalog = current_database()", [schema, table])
    return not found.empty and int(found["n"].iloc[0]) > 0


def published_at() -> datetime | None:
    """When the current serving copy was published (UTC), from its file name."""
    path = serving_file()
    if path is None:
        return None
    m = _STAMP.search(path.name)
    if m:
        return datetime.strptime(m.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def last_ingest() -> datetime | None:
    """When the last file finished loading (UTC), from raw.ingest_log."""
    if not has_table("raw.ingest_log"):
        return None
    df = query("SELECT max(finished_at) AS last FROM raw.ingest_log WHERE status = 'loaded'")
    if df.empty or pd.isna(df["last"].iloc[0]):
        return None
    return pd.Timestamp(df["last"].iloc[0]).to_pydatetime().replace(tzinfo=UTC)


def clinic_names() -> dict[str, str]:
    """clinic_id -> name for the user's clinics (empty before the first build)."""
    if not has_table("raw.clinics"):
        return {}
    df = query("SELECT clinic_id, name FROM raw.clinics ORDER BY clinic_id")
    return dict(zip(df["clinic_id"], df["name"], strict=True))


# Reference catalogs with a German name column beside the English one: kind -> (seed, code column, name column).
CATALOGS = {
    "procedure": ("reference.procedure_catalog", "procedure_code", "procedure_name"),
    "test": ("reference.lab_test_catalog", "test_code", "test_name"),
    "competency": ("reference.competency_catalog", "competency_code", "competency_name"),
    "certification": ("reference.certification_catalog", "certification_code", "certification_name"),
}


def catalog_names(kind: str, lang: str) -> dict[str, str]:
    """code -> its name in `lang` from the reference catalog of `kind` (English where it has no German name)."""
    table, code, name = CATALOGS[kind]
    if not has_table(table):
        return {}
    df = query(f"SELECT {code} AS code, {name} AS en, {name}_de AS de FROM {table}")
    names = df["de"].fillna(df["en"]) if lang == "de" else df["en"]
    return dict(zip(df["code"], names, strict=True))


def procedure_names(lang: str) -> dict[str, str]:
    """procedure_code -> its name in `lang` (procedure catalog)."""
    return catalog_names("procedure", lang)


def test_names(lang: str) -> dict[str, str]:
    """test_code (LOINC) -> its name in `lang` (lab test catalog)."""
    return catalog_names("test", lang)
