"""Data-quality noise, planted on the finished text tables and recorded cell by cell.

Data-entry errors (rate `error_rate` per row of encounters, procedures and lab_specimens), one per affected row:
  required_blank            a required column left empty
  bad_timestamp             a timestamp that no parser accepts (hour 25, month 13, day 32, or words)
  unknown_enum              a value outside the column's allowed list
  result_before_collection  lab_specimens.resulted_at set 5-120 min before collected_at
  out_before_in             procedures.patient_out_at set 2-30 min before patient_in_at
Missing values (rate `missing_rate` per filled optional timestamp of the same three files): emptied cells.

Rows involved in a planted compliance lapse are left alone, so each lapse is detectable exactly as planted, and
master data, cleaning events and reprocessing records carry no noise for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest.contract import RECORD_TYPES, Kind

NOISY = ("encounters", "procedures", "lab_specimens")
KINDS = ("required_blank", "bad_timestamp", "unknown_enum", "result_before_collection", "out_before_in")
REASONS = {
    "required_blank": "required field is empty",
    "bad_timestamp": "timestamp text cannot be parsed",
    "unknown_enum": "value is not in the allowed list",
    "result_before_collection": "resulted_at is before collected_at",
    "out_before_in": "patient_out_at is before patient_in_at",
}
KIND_ORDER = np.asarray(KINDS)
KIND_SORTER = np.argsort(KIND_ORDER)
FILE_KINDS = {
    "encounters": ("required_blank", "bad_timestamp"),
    "procedures": ("required_blank", "bad_timestamp", "unknown_enum", "out_before_in"),
    "lab_specimens": ("required_blank", "bad_timestamp", "unknown_enum", "result_before_collection"),
}
BAD_ENUM = {
    "status": ("compelted", "erledigt", "done?", "fianl", "xx"),
    "priority": ("rotine", "sttat", "eilig", "p2"),
    "performing_site": ("lab 2", "site?", "extern-x"),
}
JUNK_TIMESTAMPS = ("unbekannt", "n/a", "??:??", "0000-00-00 00:00:00", "gestern 14 Uhr")
# Optional timestamps that go missing. critical_notified_at stays: an empty one would read as a missed call.
MISSING_SKIP = {"critical_notified_at"}
CELL_LIST_LIMIT = 50_000


@dataclass
class NoiseLog:
    """What was planted in one file of one clinic; record numbers are relative to that slice (1-based)."""

    errors: pa.Table | None = None
    missing_counts: dict[str, int] = field(default_factory=dict)
    missing_records: list[np.ndarray] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)


def _set_cells(col: pa.Array, rows: np.ndarray, values: pa.Array | None) -> pa.Array:
    mask = np.zeros(len(col), dtype=bool)
    mask[rows] = True
    if values is None:
        return pc.if_else(pa.array(mask), pa.nulls(len(col), pa.string()), col)
    order = np.argsort(rows, kind="stable")
    return pc.replace_with_mask(col, pa.array(mask), values.take(pa.array(order)))


def _shift_ts(text: pa.Array, seconds: np.ndarray) -> pa.Array:
    ts = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="s")
    shifted = pa.array(ts.cast(pa.int64()).to_numpy(zero_copy_only=False) + seconds).cast(pa.timestamp("s"))
    return pc.cast(shifted, pa.string())


def apply_noise(
    name: str,
    table: pa.Table,
    protected: np.ndarray | None,
    error_rate: float,
    missing_rate: float,
    rng: np.random.Generator,
) -> tuple[pa.Table, NoiseLog]:
    log = NoiseLog()
    if name not in NOISY or table.num_rows == 0:
        return table, log
    rt = RECORD_TYPES[name]
    n = table.num_rows
    cols = {cn: table[cn].combine_chunks() for cn in table.column_names}
    free = np.ones(n, dtype=bool) if protected is None else ~protected
    ts_cols = [c.name for c in rt.columns if c.kind == Kind.TIMESTAMP]
    required = [c.name for c in rt.columns if c.required]
    enum_cols = [c.name for c in rt.columns if c.kind == Kind.ENUM]
    nonnull = {cn: pc.is_valid(cols[cn]).to_numpy(zero_copy_only=False) for cn in ts_cols}

    # ---- errors ----
    cand = np.flatnonzero(free)
    n_err = int(rng.binomial(len(cand), error_rate)) if error_rate > 0 else 0
    err_rows = np.sort(rng.choice(cand, size=n_err, replace=False)) if n_err else np.zeros(0, dtype=np.int64)
    kinds = np.asarray(FILE_KINDS[name])
    kind = kinds[rng.integers(0, len(kinds), n_err)]
    if name == "procedures":
        ok_obi = nonnull["patient_in_at"][err_rows] & nonnull["patient_out_at"][err_rows]
        kind = np.where((kind == "out_before_in") & ~ok_obi, "required_blank", kind)
    if name == "lab_specimens":
        ok_rbc = nonnull["resulted_at"][err_rows]
        kind = np.where((kind == "result_before_collection") & ~ok_rbc, "required_blank", kind)
    # per error: the column and the planted text
    col_names = rt.column_names
    err_col = np.full(n_err, -1, dtype=np.int64)  # index into col_names
    planted_parts: list[tuple[np.ndarray, pa.Array]] = []
    changes: dict[str, list[tuple[np.ndarray, pa.Array | None]]] = {}

    def change(cn: str, rows_idx: np.ndarray, values: pa.Array | None) -> None:
        err_col[rows_idx] = col_names.index(cn)
        changes.setdefault(cn, []).append((err_rows[rows_idx], values))
        planted_parts.append((rows_idx, values if values is not None else pa.nulls(len(rows_idx), pa.string())))

    sel = np.flatnonzero(kind == "required_blank")
    if len(sel):
        which = rng.integers(0, len(required), len(sel))
        for j, cn in enumerate(required):
            s = sel[which == j]
            if len(s):
                change(cn, s, None)
    sel = np.flatnonzero(kind == "bad_timestamp")
    if len(sel):
        avail = np.stack([nonnull[cn][err_rows[sel]] for cn in ts_cols], axis=1)
        pick = np.argmax(avail * rng.random(avail.shape), axis=1)
        variant = rng.integers(0, 4, len(sel))
        for j, cn in enumerate(ts_cols):
            for v in range(4):
                s = sel[(pick == j) & (variant == v)]
                if len(s) == 0:
                    continue
                orig = cols[cn].take(pa.array(err_rows[s]))
                if v == 0:
                    new = pc.utf8_replace_slice(orig, 11, 13, "25")
                elif v == 1:
                    new = pc.utf8_replace_slice(orig, 5, 7, "13")
                elif v == 2:
                    new = pc.utf8_replace_slice(orig, 8, 10, "32")
                else:
                    junk = pa.array(JUNK_TIMESTAMPS, type=pa.string())
                    new = junk.take(pa.array(rng.integers(0, len(JUNK_TIMESTAMPS), len(s))))
                change(cn, s, new)
    sel = np.flatnonzero(kind == "unknown_enum")
    if len(sel):
        which = rng.integers(0, len(enum_cols), len(sel))
        for j, cn in enumerate(enum_cols):
            s = sel[which == j]
            if len(s):
                vocab = pa.array(BAD_ENUM[cn], type=pa.string())
                change(cn, s, vocab.take(pa.array(rng.integers(0, len(vocab), len(s)))))
    sel = np.flatnonzero(kind == "out_before_in")
    if len(sel):
        base = cols["patient_in_at"].take(pa.array(err_rows[sel]))
        change("patient_out_at", sel, _shift_ts(base, -60 * rng.integers(2, 31, len(sel))))
    sel = np.flatnonzero(kind == "result_before_collection")
    if len(sel):
        base = cols["collected_at"].take(pa.array(err_rows[sel]))
        change("resulted_at", sel, _shift_ts(base, -60 * rng.integers(5, 121, len(sel))))

    if n_err:
        # originals before changing anything
        originals = []
        for j in np.unique(err_col):
            cn = col_names[int(j)]
            idx = np.flatnonzero(err_col == j)
            originals.append((idx, cols[cn].take(pa.array(err_rows[idx]))))
        orig_all = _gather(n_err, originals)
        planted_all = _gather(n_err, planted_parts)
        key = {k: cols[k].take(pa.array(err_rows)) for k in rt.key}
        for cn, parts in changes.items():
            rows = np.concatenate([p[0] for p in parts])
            if all(p[1] is None for p in parts):
                cols[cn] = _set_cells(cols[cn], rows, None)
            else:
                vals = pa.concat_arrays(
                    [p[1] if p[1] is not None else pa.nulls(len(p[0]), pa.string()) for p in parts]
                )
                cols[cn] = _set_cells(cols[cn], rows, vals)
        rec = err_rows + 1
        log.errors = (
            pa.table(
                {
                    "file": pa.array([f"{name}.csv"] * n_err, type=pa.string()),
                    "record_type": pa.array([name] * n_err, type=pa.string()),
                    "record": pa.array(rec, type=pa.int64()),
                    "line": pa.array(rec + 1, type=pa.int64()),
                    "kind": pa.array(kind, type=pa.string()),
                    "column": pa.array(col_names, type=pa.string()).take(pa.array(err_col)),
                    "original": orig_all,
                    "planted": planted_all,
                    "reason": pa.array([REASONS[k] for k in KINDS], type=pa.string()).take(
                        pa.array(KIND_SORTER[np.searchsorted(KIND_ORDER, kind, sorter=KIND_SORTER)])
                    ),
                    "key": pa.StructArray.from_arrays(list(key.values()), names=list(key.keys())),
                }
            )
        )

    # ---- missing optional timestamps (not on error rows) ----
    if missing_rate > 0:
        clean = free.copy()
        clean[err_rows] = False
        for cn in rt.column_names:
            colspec = rt.column(cn)
            if colspec.kind != Kind.TIMESTAMP or colspec.required or cn in MISSING_SKIP:
                continue
            cand_m = clean & nonnull[cn]
            hit = cand_m & (rng.random(n) < missing_rate)
            rows = np.flatnonzero(hit)
            if len(rows) == 0:
                continue
            cols[cn] = _set_cells(cols[cn], rows, None)
            log.missing_counts[cn] = len(rows)
            log.missing_records.append(rows + 1)
            log.missing_columns.append(cn)
    return pa.table({cn: cols[cn] for cn in table.column_names}), log


def _gather(n: int, parts: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    order = np.concatenate([p[0] for p in parts])
    inv = np.empty(n, dtype=np.int64)
    inv[order] = np.arange(n)
    return pa.concat_arrays([p[1].cast(pa.string()) for p in parts]).take(pa.array(inv))
