"""Steam sterilizer cycles and high-level disinfection of ultrasound probes and specula.

Sterilizers: a weekly leak test, a daily Bowie-Dick test as the first cycle of each day of use, then loads
(mostly pre-vacuum). A biological indicator (BI) runs in the first pre-vacuum load of each week and in every
load with an implant; implant loads are quarantined until the BI is read. Procedures that need a sterile set
take one from a load released before the patient came in.

Probes: two per ultrasound room, used alternately; each use is followed by an HLD cycle that ends before the
same probe's next use. Specula sets go through a thermal washer-disinfector after the day's ear irrigations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import reference as ref
from .arrays import (
    DAY,
    NA,
    choose_by_probs,
    choose_weighted_rows,
    col_bool,
    col_cat,
    col_const,
    col_dec,
    col_id,
    col_join,
    col_ts,
    minutes,
    stream,
    uniform,
)
from .flows import Procedures
from .masterdata import WARMUP_DAYS, Clinic

CYCLE_TYPES = ("prevacuum", "gravity", "immediate_use", "bowie_dick", "leak_test")
CT_PREVAC, CT_GRAVITY, CT_IMMEDIATE, CT_BD, CT_LEAK = range(5)
BI_RESULTS = ("negative", "positive", "pending", "not_tested")


def _lapse_count(rng: np.random.Generator, n_opportunities: int, rate: float, scale: float) -> int:
    if scale <= 0 or n_opportunities == 0:
        return 0
    return int(min(n_opportunities, max(1, rng.binomial(n_opportunities, min(1.0, rate * scale)))))


@dataclass
class Loads:
    table: pa.Table
    released: np.ndarray  # per output row
    usable: np.ndarray  # bool: a set from this load may be used for procedures


def yymmdd(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return (y % 100) * 10000 + m * 100 + dd


def build_sterilizer(c: Clinic, lapses: list[dict]) -> Loads:
    rng = stream(c.seed, c.idx, "sterile")
    ste = c.room_index("sterile_processing")[0]
    n_ster = 1 if c.n_proc <= 3 else 2
    ster_names = [f"ST{i + 1}" for i in range(n_ster)]
    e_idx = np.flatnonzero(c.open_min[ste] >= 0)  # ext-day indices with the sterile room open
    sd_ster = np.repeat(np.arange(n_ster), len(e_idx))
    sd_e = np.tile(e_idx, n_ster)
    sd_day = c.ext_days[sd_e]
    n_sd = len(sd_e)
    week = (sd_day + 3) // 7
    key = sd_ster * 10**7 + week
    week_first = np.ones(n_sd, dtype=bool)
    week_first[1:] = key[1:] != key[:-1]
    o = c.open_min[ste, sd_e] * 60
    cl = c.close_min[ste, sd_e] * 60
    K = 9
    saturday = (sd_day + 3) % 7 + 1 == 6
    lam = np.where(saturday, 0.8, 2.2 if n_ster == 1 else 1.5)
    n_loads = np.clip(1 + rng.poisson(lam), 1, 7)
    present = np.zeros((n_sd, K), dtype=bool)
    present[:, 0] = week_first
    present[:, 1] = True
    present[:, 2:] = np.arange(K - 2)[None, :] < n_loads[:, None]
    ctype = np.zeros((n_sd, K), dtype=np.int64)
    ctype[:, 0] = CT_LEAK
    ctype[:, 1] = CT_BD
    ctype[:, 2:] = choose_by_probs(rng, (0.93, 0.05, 0.02), n_sd * (K - 2)).reshape(n_sd, K - 2)
    dur_min = np.select(
        [ctype == CT_LEAK, ctype == CT_BD, ctype == CT_PREVAC, ctype == CT_GRAVITY],
        [uniform(rng, 15, 20, (n_sd, K)), uniform(rng, 18, 24, (n_sd, K)), uniform(rng, 42, 58, (n_sd, K)),
         uniform(rng, 50, 70, (n_sd, K))],
        uniform(rng, 12, 18, (n_sd, K)),
    )
    gap_min = np.zeros((n_sd, K))
    gap_min[:, 1] = np.where(week_first, uniform(rng, 1, 5, n_sd), 0)
    gap_min[:, 2] = uniform(rng, 15, 90, n_sd)
    gap_min[:, 3:] = uniform(rng, 10, 150, (n_sd, K - 3))
    dur = np.where(present, minutes(dur_min), 0)
    gap = np.where(present, minutes(gap_min), 0)
    t0 = (o + minutes(uniform(rng, 0, 15, n_sd)))[:, None]
    start = t0 + np.cumsum(gap + dur, axis=1) - dur
    end = start + dur
    present &= (end <= cl[:, None] + 90 * 60) | (np.arange(K)[None, :] < 2)
    # flatten
    ri, ki = np.nonzero(present)
    base = sd_day[ri] * DAY
    started = base + start[ri, ki]
    ended = base + end[ri, ki]
    typ = ctype[ri, ki]
    ster = sd_ster[ri]
    day = sd_day[ri]
    e_day = sd_e[ri]
    n = len(ri)
    in_window = day >= c.d0
    is_load = typ <= CT_IMMEDIATE
    prevac = typ == CT_PREVAC
    # weekly BI: first pre-vacuum load of the week on each sterilizer, whatever day it runs (CDC 2008: at least
    # weekly). Rows are in sterilizer, day, cycle order, so the first row per (sterilizer, week) key is the earliest.
    first_prevac = np.zeros(n, dtype=bool)
    cand = np.flatnonzero(prevac)
    if len(cand):
        _, first = np.unique(key[ri[cand]], return_index=True)
        first_prevac[cand[first]] = True
    implant = prevac & (rng.random(n) < 0.02) & ~first_prevac
    win_prevac = np.flatnonzero(prevac & in_window & ~first_prevac)
    if c.lapse_scale > 0 and not (implant & in_window).any() and len(win_prevac):
        implant[rng.choice(win_prevac)] = True
    has_bi = first_prevac | implant
    phys_pass = np.where(is_load, rng.random(n) >= 0.003, True)
    ci = np.where(typ == CT_LEAK, 2, np.where(is_load & (rng.random(n) < 0.002), 1, 0))  # pass fail not_used
    ok = phys_pass & (ci != 1)
    bi_read = np.where(has_bi, ended + minutes(uniform(rng, 40, 180, n)), NA)
    bi_res = np.where(has_bi, 0, 3)
    released = np.where(
        is_load & ok,
        np.where(implant, bi_read + minutes(uniform(rng, 5, 25, n)), ended + minutes(uniform(rng, 5, 30, n))),
        NA,
    )
    exposure_t = np.select(
        [typ == CT_GRAVITY, typ == CT_LEAK], [121.0 + uniform(rng, 0, 0.8, n), np.nan], 134.0 + uniform(rng, 0, 0.6, n)
    )
    exposure_m = np.select(
        [typ == CT_PREVAC, typ == CT_GRAVITY, typ == CT_IMMEDIATE, typ == CT_BD], [5.5, 20.0, 4.0, 3.5], np.nan
    )
    keep = np.ones(n, dtype=bool)
    # ---- lapses -------------------------------------------------------------------------------------------
    lrng = stream(c.seed, c.idx, "lapses")
    bd_rows = np.flatnonzero((typ == CT_BD) & in_window)
    has_prevac_day = np.zeros(n_sd, dtype=bool)
    has_prevac_day[ri[prevac]] = True
    bd_cand = bd_rows[has_prevac_day[ri[bd_rows]]]
    missed = lrng.choice(bd_cand, size=_lapse_count(lrng, len(bd_cand), 0.01, c.lapse_scale), replace=False)
    keep[missed] = False
    pos_cand = np.flatnonzero(first_prevac & in_window & (bi_read != NA) & (bi_read <= c.as_of))
    positive = lrng.choice(pos_cand, size=_lapse_count(lrng, len(pos_cand), 0.02, c.lapse_scale), replace=False)
    bi_res[positive] = 1
    imp_cand = np.flatnonzero(implant & in_window & ok)
    early = lrng.choice(imp_cand, size=_lapse_count(lrng, len(imp_cand), 0.10, c.lapse_scale), replace=False)
    released[early] = ended[early] + minutes(uniform(lrng, 5, 20, len(early)))
    # ---- export cut-off: what has not happened yet is empty -----------------------------------------------
    pending = has_bi & (bi_read > c.as_of)
    bi_res[pending] = 2
    bi_read[pending] = NA
    released[released > c.as_of] = NA
    # ---- rows, ids ----------------------------------------------------------------------------------------
    idx = np.flatnonzero(keep)
    order = idx[np.lexsort((ster[idx], started[idx]))]
    rank = np.zeros(n, dtype=np.int64)
    # cycle number within sterilizer-day among kept cycles (in time order)
    o2 = idx[np.lexsort((started[idx], ri[idx]))]
    grp = ri[o2]
    first = np.ones(len(o2), dtype=bool)
    first[1:] = grp[1:] != grp[:-1]
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(o2)), 0))
    rank[o2] = np.arange(len(o2)) - run_start + 1
    r = order
    m = len(r)
    ster_arr = col_cat(ster[r], ster_names)
    load_id = col_join([ster_arr, "-", col_id("", yymmdd(day[r]), 6), "-", col_id("", rank[r], 2)])
    staff_w = (c.active & np.isin(c.role, (ref.R_MA, ref.R_NURSE, ref.R_SUP))[None, :]).astype(np.float64)
    rel_w = (c.active & np.isin(c.role, (ref.R_SUP, ref.R_NURSE))[None, :]).astype(np.float64)
    operator = choose_weighted_rows(rng, e_day[r], staff_w)
    rel_by = choose_weighted_rows(rng, e_day[r], rel_w)
    rel_by = np.where(released[r] == NA, -1, rel_by)
    staff = c.staff_id_array()
    ym = (yymmdd(day[r]) // 100)
    half = ((yymmdd(day[r]) % 100) > 15).astype(np.int64)
    bi_lot = col_join(["BI", col_id("", ym, 4, mask=~has_bi[r]), "-", col_cat(half, ("A", "B"))])
    table = pa.table(
        {
            "load_id": load_id,
            "clinic_id": col_const(c.clinic_id, m),
            "sterilizer_id": ster_arr,
            "cycle_type": col_cat(typ[r], CYCLE_TYPES),
            "started_at": col_ts(started[r]),
            "ended_at": col_ts(ended[r]),
            "operator_id": staff.take(pa.array(operator)),
            "exposure_temp_c": col_dec(exposure_t[r], 1, mask=np.isnan(exposure_t[r])),
            "exposure_minutes": col_dec(exposure_m[r], 1, mask=np.isnan(exposure_m[r])),
            "physical_pass": col_bool(phys_pass[r]),
            "ci_result": col_cat(ci[r], ("pass", "fail", "not_used")),
            "bi_result": col_cat(bi_res[r], BI_RESULTS),
            "bi_lot": bi_lot,
            "bi_read_at": col_ts(bi_read[r]),
            "contains_implant": col_bool(implant[r]),
            "released_at": col_ts(released[r]),
            "released_by": staff.take(pa.array(rel_by, mask=rel_by < 0)),
        }
    )
    # lapse records (ids of kept rows; a missed Bowie-Dick has no row, it is keyed by sterilizer and date)
    pos_in_out = np.full(n, -1, dtype=np.int64)
    pos_in_out[r] = np.arange(m)
    for i in missed:
        lapses.append(
            {
                "kind": "missed_bowie_dick",
                "clinic_id": c.clinic_id,
                "key": {"clinic_id": c.clinic_id, "sterilizer_id": ster_names[ster[i]], "date": _iso(day[i])},
                "detail": {},
            }
        )
    for kind, rows in (("positive_bi", positive), ("implant_released_before_bi", early)):
        for i in rows:
            detail = {}
            if kind == "implant_released_before_bi":
                detail = {
                    "released_at": _ts(released[i]),
                    "bi_read_at": _ts(bi_read[i]) if bi_read[i] != NA else None,
                }
            lapses.append(
                {
                    "kind": kind,
                    "clinic_id": c.clinic_id,
                    "key": {"clinic_id": c.clinic_id, "load_id": load_id[int(pos_in_out[i])].as_py()},
                    "detail": detail,
                }
            )
    usable = (
        np.isin(typ[r], (CT_PREVAC, CT_GRAVITY)) & ~implant[r] & (released[r] != NA)
    )
    return Loads(table=table, released=released[r], usable=usable)


def assign_loads(c: Clinic, procs: Procedures, loads: Loads) -> None:
    rng = stream(c.seed, c.idx, "sterile", 1)
    cand = np.flatnonzero(loads.usable)
    rel = loads.released[cand]
    o = np.argsort(rel, kind="stable")
    cand, rel = cand[o], rel[o]
    need = np.flatnonzero(np.isin(procs.code, ref.CRITICAL_PROCS) & (procs.status != 1))
    t = procs.p_in[need] - 10 * 60
    hi = np.searchsorted(rel, t, side="right") - 1
    back = rng.geometric(0.3, len(need)) - 1
    pick = np.maximum(hi - back, 0)
    procs.load[need] = np.where(hi >= 0, cand[np.minimum(pick, len(cand) - 1)] if len(cand) else -1, -1)


def build_disinfection(c: Clinic, procs: Procedures, lapses: list[dict]) -> tuple[pa.Table, list[str], dict]:
    """Returns the disinfection table, the clinic's device ids and the planted probe lapses (indices)."""
    rng = stream(c.seed, c.idx, "disinfection")
    us_rooms = [i for i, r in enumerate(c.rooms) if r.profile == "ultrasound"]
    devices: list[str] = []
    for r in us_rooms:
        devices += [f"USP-{c.rooms[r].room_id}-A", f"USP-{c.rooms[r].room_id}-B"]
    spec_dev = len(devices)
    devices += ["SPEC-SET-1", "SPEC-SET-2"]
    method_i = 0 if rng.random() < 0.6 else 1
    m_name, m_temp, m_exp, _ = ref.PROBE_METHODS[method_i]
    # probe uses, in time order per room
    starts, ends, devs, kinds, days = [], [], [], [], []
    probe_pairs = []  # (use, next use, cycle index among probe cycles)
    for j, r in enumerate(us_rooms):
        uses = np.flatnonzero((procs.code == ref.P_USB) & (procs.status != 1) & (procs.room == r))
        uses = uses[np.argsort(procs.p_in[uses], kind="stable")]
        probe = np.arange(len(uses)) % 2
        procs.device[uses] = 2 * j + probe
        nxt = np.full(len(uses), -1)
        nxt[:-2] = uses[2:]
        out = procs.p_out[uses]
        s = out + minutes(uniform(rng, 3, 15, len(uses)))
        has_next = nxt >= 0
        limit = np.where(has_next, procs.p_in[np.maximum(nxt, 0)] - minutes(m_exp + 3), s)
        s = np.maximum(np.minimum(s, limit), out + 60)
        e = s + minutes(m_exp + uniform(rng, 0.5, 2, len(uses)))
        base = sum(len(x) for x in starts)
        starts.append(s)
        ends.append(e)
        devs.append(2 * j + probe)
        kinds.append(np.zeros(len(uses), dtype=np.int64))
        days.append(procs.day[uses])
        hn = np.flatnonzero(has_next)
        probe_pairs.append((uses[hn], nxt[hn], base + hn))
    # specula: washer-disinfector after the last ear irrigation of the day (a second set at midday when busy)
    ear = (procs.code == ref.P_EAR) & (procs.status != 1)
    ear_days = np.unique(procs.day[ear])
    if len(ear_days):
        last_out = np.full(c.n_days, NA, dtype=np.int64)
        np.maximum.at(last_out, procs.day[ear], procs.p_out[ear])
        cnt = np.bincount(procs.day[ear], minlength=c.n_days)
        s1 = last_out[ear_days] + minutes(uniform(rng, 5, 30, len(ear_days)))
        busy = ear_days[cnt[ear_days] >= 8]
        s2 = c.window_days[busy] * DAY + minutes(uniform(rng, 12.5 * 60, 13.5 * 60, len(busy)))
        for s, d, dv in ((s1, ear_days, spec_dev), (s2, busy, spec_dev + 1)):
            starts.append(s)
            ends.append(s + minutes(ref.SPECULA_METHOD[2] + uniform(rng, 20, 35, len(s))))
            devs.append(np.full(len(s), dv))
            kinds.append(np.ones(len(s), dtype=np.int64))
            days.append(d)
    start = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    end = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
    dev = np.concatenate(devs) if devs else np.zeros(0, dtype=np.int64)
    kind = np.concatenate(kinds) if kinds else np.zeros(0, dtype=np.int64)
    day = np.concatenate(days) if days else np.zeros(0, dtype=np.int64)
    n = len(start)
    keep = np.ones(n, dtype=bool)
    lrng = stream(c.seed, c.idx, "lapses", 1)
    pu = np.concatenate([p[0] for p in probe_pairs]) if probe_pairs else np.zeros(0, dtype=np.int64)
    pn = np.concatenate([p[1] for p in probe_pairs]) if probe_pairs else np.zeros(0, dtype=np.int64)
    pc_ = np.concatenate([p[2] for p in probe_pairs]) if probe_pairs else np.zeros(0, dtype=np.int64)
    k = _lapse_count(lrng, len(pu), 0.005, c.lapse_scale)
    chosen = lrng.choice(len(pu), size=k, replace=False) if k else np.zeros(0, dtype=np.int64)
    keep[pc_[chosen]] = False
    planted = list(zip(pu[chosen].tolist(), pn[chosen].tolist(), strict=True))
    idx = np.flatnonzero(keep)
    r = idx[np.lexsort((dev[idx], start[idx]))]
    m = len(r)
    probe_row = kind[r] == 0
    temp = np.where(probe_row, m_temp + uniform(rng, 0, 1.0, m), ref.SPECULA_METHOD[1] + uniform(rng, 0, 3, m))
    exp = np.where(probe_row, m_exp, ref.SPECULA_METHOD[2])
    lot_no = 40000 + c.idx * 100 + (c.window_days[day[r]] // 14) % 100
    lot = col_join([("TRC-" if method_i == 0 else "OPA-"), col_id("", lot_no, 5, mask=~probe_row)])
    op_w = (c.active[WARMUP_DAYS:, :] & np.isin(c.role, (ref.R_MA, ref.R_NURSE))[None, :]).astype(np.float64)
    operator = choose_weighted_rows(rng, day[r], op_w)
    table = pa.table(
        {
            "cycle_id": col_id(f"{c.clinic_id}-D", np.arange(1, m + 1), 7),
            "clinic_id": col_const(c.clinic_id, m),
            "device_id": col_cat(dev[r], devices),
            "method": col_cat(np.where(probe_row, 0, 1), (m_name, ref.SPECULA_METHOD[0])),
            "started_at": col_ts(start[r]),
            "ended_at": col_ts(end[r]),
            "exposure_minutes": col_dec(exp, 1),
            "temperature_c": col_dec(temp, 1),
            "solution_lot": lot,
            "mec_test_pass": col_bool(np.ones(m, dtype=bool), mask=~probe_row),
            "operator_id": c.staff_id_array().take(pa.array(operator)),
        }
    )
    return table, devices, {"probe_lapses": planted}


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _ts(sec: int) -> str:
    return str(np.datetime64(int(sec), "s")).replace("T", " ")
