"""Vectorised helpers: random streams, segmented scans, per-day weighted choice and Arrow text columns.

Times are int64 seconds since 1970-01-01 in the clinic's local wall-clock time (naive), dates are int days since
1970-01-01. NA marks a missing time or date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NA = np.iinfo(np.int64).min
DAY = 86_400
EPOCH = date(1970, 1, 1)

STREAMS = {
    name: i
    for i, name in enumerate(
        [
            "clinic",
            "staff",
            "certs",
            "competency",
            "bookings",
            "encounters",
            "exam",
            "procedures",
            "labs",
            "events",
            "sterile",
            "disinfection",
            "lapses",
            "errors",
            "missing",
            "patients",
            "departures",
            "results",
            "cleaning",
        ]
    )
}


def stream(seed: int, clinic_idx: int, name: str, sub: int = 0) -> np.random.Generator:
    """An independent generator per (seed, clinic, purpose): a clinic's data does not depend on other clinics
    nor on how many clinics are simulated, and changing one part of the model does not reshuffle the rest."""
    return np.random.default_rng(np.random.SeedSequence([seed, clinic_idx, STREAMS[name], sub]))


def day_number(d: date) -> int:
    return (d - EPOCH).days


def minutes(x: np.ndarray | float) -> np.ndarray:
    """Float minutes -> int64 seconds."""
    return np.rint(np.asarray(x, dtype=np.float64) * 60.0).astype(np.int64)


def lognormal_minutes(rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float, n: int):
    return np.asarray(median, dtype=np.float64) * np.exp(rng.standard_normal(n) * sigma)


def uniform(rng: np.random.Generator, lo, hi, n: int) -> np.ndarray:
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    return lo + (hi - lo) * rng.random(n)


def group_starts(groups: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal values (groups sorted)."""
    first = np.ones(len(groups), dtype=bool)
    if len(groups) > 1:
        first[1:] = groups[1:] != groups[:-1]
    return first


def exclusive_cumsum_by_group(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Sum of the preceding elements of the same group (groups sorted)."""
    if len(x) == 0:
        return x.copy()
    cs = np.cumsum(x)
    excl = cs - x
    first = group_starts(groups)
    base = np.maximum.accumulate(np.where(first, np.arange(len(x)), 0))
    return excl - excl[base]


def cummax_by_group(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Running maximum restarting at each group (groups sorted). x must lie within +-2**40."""
    if len(x) == 0:
        return x.copy()
    first = group_starts(groups)
    rank = np.cumsum(first).astype(np.int64)
    shift = rank << 42
    return np.maximum.accumulate(x + shift) - shift


def rank_in_group(groups: np.ndarray) -> np.ndarray:
    """0-based position of each element inside its run of equal values (groups sorted)."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    first = group_starts(groups)
    base = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    return np.arange(n) - base


def choose_weighted_rows(rng: np.random.Generator, row: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """For each record pick a column of `weights[row[i]]` with probability proportional to the weights.

    weights: (n_rows, n_cols) non-negative; every row that is referenced must have a positive sum.
    Returns -1 where the referenced row has no positive weight.
    """
    n_rows, n_cols = weights.shape
    if len(row) == 0:
        return np.zeros(0, dtype=np.int64)
    cum = np.cumsum(weights, axis=1)
    tot = cum[:, -1]
    scale = float(tot.max()) + 1.0
    flat = (cum + (np.arange(n_rows) * scale)[:, None]).ravel()
    u = rng.random(len(row)) * tot[row] + row * scale
    idx = np.searchsorted(flat, u, side="right")
    col = idx - row * n_cols
    col = np.clip(col, 0, n_cols - 1)
    return np.where(tot[row] > 0, col, -1)


def choose_by_probs(rng: np.random.Generator, probs: Sequence[float], n: int) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    cum = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(p) - 1)


def add_months(days: np.ndarray, months: int | np.ndarray) -> np.ndarray:
    """Day numbers shifted by calendar months, the day of month clipped to the target month's length."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + np.asarray(months, dtype=np.int64)
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64) - 1
    return (target.astype("datetime64[D]") + np.minimum(dom, last)).astype(np.int64)


def end_of_month_after(days: np.ndarray, months: int | np.ndarray) -> np.ndarray:
    """Last day of the month `months` after the month of each day (certificate expiry)."""
    m = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    m = m + np.asarray(months, dtype=np.int64) + 1
    return m.astype("datetime64[D]").astype(np.int64) - 1


def iso_weekday(days: np.ndarray) -> np.ndarray:
    """1 = Monday ... 7 = Sunday for day numbers since 1970-01-01 (a Thursday)."""
    return (np.asarray(days, dtype=np.int64) + 3) % 7 + 1


# --- Arrow text columns --------------------------------------------------------------------------------------
STR = pa.string()


def col_ts(secs: np.ndarray) -> pa.Array:
    secs = np.asarray(secs, dtype=np.int64)
    mask = secs == NA
    arr = pa.array(np.where(mask, 0, secs), type=pa.int64(), mask=mask).cast(pa.timestamp("s"))
    return pc.cast(arr, STR)


def col_date(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    mask = days == NA
    arr = pa.array(np.where(mask, 0, days).astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())
    return pc.cast(arr, STR)


def col_int(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64), mask=mask), STR)


def col_dec(values: np.ndarray, decimals: int, mask: np.ndarray | None = None) -> pa.Array:
    v = np.round(np.asarray(values, dtype=np.float64), decimals)
    return pc.cast(pa.array(v, mask=mask), STR)


def col_bool(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, dtype=bool), mask=mask), STR)


def col_cat(codes: np.ndarray, vocab: Sequence[str]) -> pa.Array:
    """codes index into vocab; negative codes become null."""
    codes = np.asarray(codes, dtype=np.int64)
    mask = codes < 0
    idx = pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask)
    return pa.array(list(vocab), type=STR).take(idx)


def col_const(value: str | None, n: int) -> pa.Array:
    return pa.array([value] * 1, type=STR).take(pa.array(np.zeros(n, dtype=np.int32)))


def col_id(prefix: str, numbers: np.ndarray, width: int, mask: np.ndarray | None = None) -> pa.Array:
    """prefix + zero-padded number, e.g. ('C01-E', 123, 7) -> 'C01-E0000123'."""
    nums = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64), mask=mask), STR)
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(nums, width, "0"), "")


def col_join(parts: Sequence[pa.Array | str]) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def col_null(n: int) -> pa.Array:
    return pa.nulls(n, type=STR)
