"""One clinic end to end: arrays -> Arrow text tables in contract column order, plus the planted lapses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ingest.contract import RECORD_TYPES, ROOM_EVENT_TYPES

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
    col_int,
    col_ts,
    lognormal_minutes,
    minutes,
    stream,
    uniform,
)
from .flows import (
    LAB_STATUS,
    Encounters,
    Labs,
    Procedures,
    build_labs,
    build_procedures_and_encounters,
    finish_departures_and_reviews,
)
from .masterdata import (
    WARMUP_DAYS,
    Clinic,
    build_certifications,
    build_clinic,
    build_competency,
    build_staff,
    clinic_tables,
    staff_table,
)
from .sterile import _lapse_count, assign_loads, build_disinfection, build_sterilizer

PROC_STATUS = ("completed", "cancelled", "aborted")


@dataclass
class ClinicOutput:
    clinic_id: str
    tables: dict[str, pa.Table]
    lapses: list[dict]
    protected: dict[str, np.ndarray] = field(default_factory=dict)  # rows kept free of noise


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    return col_id(prefix, np.arange(1, n + 1), width)


def _take(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    idx = np.asarray(idx, dtype=np.int64)
    return arr.take(pa.array(np.maximum(idx, 0), mask=idx < 0))


def _patient_ids(numbers: np.ndarray) -> pa.Array:
    return col_id("PAT-", numbers, 6)


def build_clinic_output(idx: int, seed: int, d0: int, n_days: int, lapse_scale: float, enc_rate) -> ClinicOutput:
    c = build_clinic(idx, seed, d0, n_days, lapse_scale, enc_rate)
    lapses: list[dict] = []
    build_staff(c)
    tables = clinic_tables(c)
    tables["staff"] = staff_table(c)
    tables["certifications"] = build_certifications(c, lapses)
    tables["competency_assessments"] = build_competency(c, lapses)

    procs, enc, extra = build_procedures_and_encounters(c)
    labs = build_labs(c, procs, enc)
    finish_departures_and_reviews(c, enc, labs)
    loads = build_sterilizer(c, lapses)
    assign_loads(c, procs, loads)
    dis_table, devices, dis_extra = build_disinfection(c, procs, lapses)

    lrng = stream(c.seed, c.idx, "lapses", 2)
    protected_p = np.zeros(procs.n, dtype=bool)
    # chaperone / interpreter requested but not present
    for kind, req, present in (
        ("chaperone_absent", extra["chap_req"], procs.chaperone),
        ("interpreter_absent", extra["interp_req"], procs.interpreter),
    ):
        cand = np.flatnonzero(req & (procs.status != 1))
        k = _lapse_count(lrng, len(cand), 0.03, c.lapse_scale)
        chosen = np.sort(lrng.choice(cand, size=k, replace=False)) if k else np.zeros(0, dtype=np.int64)
        present[chosen] = False
        protected_p[chosen] = True
        extra[kind] = chosen
    for use, nxt in dis_extra["probe_lapses"]:
        protected_p[[use, nxt]] = True

    events, ev_lapses = _room_events(c, procs, enc, labs, extra, lrng)
    for prev, nxt in ev_lapses["skipped"]:
        protected_p[[prev, nxt]] = True

    proc_ids = _ids(f"{c.clinic_id}-P", procs.n, 7)
    enc_ids = _ids(f"{c.clinic_id}-E", enc.n, 7)
    tables["encounters"] = _encounter_table(c, enc, enc_ids)
    tables["procedures"] = _procedure_table(c, procs, proc_ids, enc_ids, loads.table["load_id"], devices)
    tables["room_events"] = events
    tables["lab_specimens"] = _lab_table(c, labs, enc_ids)
    tables["sterilizer_cycles"] = loads.table
    tables["disinfection_cycles"] = dis_table

    # lapse records that need ids
    def pid(i: int) -> str:
        return proc_ids[int(i)].as_py()

    for kind in ("chaperone_absent", "interpreter_absent"):
        for i in extra[kind]:
            e = int(procs.encounter[i])
            lapses.append(
                {
                    "kind": kind,
                    "clinic_id": c.clinic_id,
                    "key": {"clinic_id": c.clinic_id, "procedure_id": pid(i)},
                    "detail": {"encounter_id": enc_ids[e].as_py() if e >= 0 else None},
                }
            )
    for use, nxt in dis_extra["probe_lapses"]:
        lapses.append(
            {
                "kind": "probe_reuse_without_reprocessing",
                "clinic_id": c.clinic_id,
                "key": {"clinic_id": c.clinic_id, "procedure_id": pid(nxt)},
                "detail": {"device_id": devices[int(procs.device[nxt])], "previous_procedure_id": pid(use)},
            }
        )
    for prev, nxt in ev_lapses["skipped"]:
        lapses.append(
            {
                "kind": "skipped_cleaning",
                "clinic_id": c.clinic_id,
                "key": {"clinic_id": c.clinic_id, "procedure_id": pid(nxt)},
                "detail": {
                    "room_id": c.rooms[int(procs.room[nxt])].room_id,
                    "previous_procedure_id": pid(prev),
                    "date": str(np.datetime64(int(c.window_days[procs.day[nxt]]), "D")),
                },
            }
        )
    for room, day in ev_lapses["terminal"]:
        lapses.append(
            {
                "kind": "missing_terminal_clean",
                "clinic_id": c.clinic_id,
                "key": {
                    "clinic_id": c.clinic_id,
                    "room_id": c.rooms[int(room)].room_id,
                    "date": str(np.datetime64(int(c.window_days[day]), "D")),
                },
                "detail": {},
            }
        )
    protected_e = np.zeros(enc.n, dtype=bool)
    pe = procs.encounter[protected_p]
    protected_e[pe[pe >= 0]] = True
    for name, t in tables.items():
        expected = RECORD_TYPES[name].column_names
        if t.column_names != expected:
            raise AssertionError(f"{name}: columns {t.column_names} != contract {expected}")
    return ClinicOutput(
        clinic_id=c.clinic_id,
        tables=tables,
        lapses=lapses,
        protected={"procedures": protected_p, "encounters": protected_e},
    )


# ---- tables -------------------------------------------------------------------------------------------------
def _encounter_table(c: Clinic, enc: Encounters, enc_ids: pa.Array) -> pa.Table:
    n = enc.n
    room_ids = pa.array([r.room_id for r in c.rooms], type=pa.string())
    return pa.table(
        {
            "encounter_id": enc_ids,
            "clinic_id": col_const(c.clinic_id, n),
            "patient_id": _patient_ids(enc.patient),
            "arrived_at": col_ts(enc.arrival),
            "exam_room_id": _take(room_ids, enc.exam_room),
            "exam_room_in_at": col_ts(enc.exam_in),
            "exam_room_out_at": col_ts(enc.exam_out),
            "departed_at": col_ts(enc.departed),
            "chaperone_requested": col_bool(enc.chaperone_req),
            "interpreter_requested": col_bool(enc.interpreter_req),
        }
    )


def _procedure_table(
    c: Clinic, p: Procedures, proc_ids: pa.Array, enc_ids: pa.Array, load_ids: pa.Array, devices: list[str]
) -> pa.Table:
    n = p.n
    room_ids = pa.array([r.room_id for r in c.rooms], type=pa.string())
    staff = c.staff_id_array()
    cancelled = p.status == 1
    return pa.table(
        {
            "procedure_id": proc_ids,
            "clinic_id": col_const(c.clinic_id, n),
            "encounter_id": _take(enc_ids, p.encounter),
            "patient_id": _patient_ids(p.patient),
            "procedure_code": col_cat(p.code, ref.PROCEDURE_CODES),
            "room_id": _take(room_ids, p.room),
            "performed_by": _take(staff, p.performer),
            "supervised_by": _take(staff, p.supervisor),
            "scheduled_start_at": col_ts(p.sched),
            "patient_in_at": col_ts(p.p_in),
            "procedure_start_at": col_ts(p.p_start),
            "procedure_end_at": col_ts(p.p_end),
            "patient_out_at": col_ts(p.p_out),
            "status": col_cat(p.status, PROC_STATUS),
            "chaperone_present": col_bool(p.chaperone, mask=cancelled),
            "interpreter_present": col_bool(p.interpreter, mask=cancelled),
            "sterilizer_load_id": _take(load_ids, p.load),
            "device_id": col_cat(p.device, devices) if devices else pa.nulls(n, pa.string()),
        }
    )


def _room_events(c: Clinic, procs: Procedures, enc: Encounters, labs: Labs, extra: dict, lrng):
    rng = stream(c.seed, c.idx, "cleaning")
    W = WARMUP_DAYS
    wdays = c.window_days
    nd = c.n_days
    # cleaning between consecutive patients of a procedure room-day
    nc = np.flatnonzero(procs.status != 1)
    seq = nc[np.lexsort((procs.p_in[nc], procs.group[nc]))]
    same = procs.group[seq][:-1] == procs.group[seq][1:]
    prev, nxt = seq[:-1][same], seq[1:][same]
    k = _lapse_count(lrng, len(prev), 0.003, c.lapse_scale)
    skip = np.zeros(len(prev), dtype=bool)
    if k:
        skip[lrng.choice(len(prev), size=k, replace=False)] = True
    cp, cn = prev[~skip], nxt[~skip]
    ev_room = [procs.room[cp], procs.room[cp]]
    ev_type = [np.zeros(len(cp), dtype=np.int64), np.ones(len(cp), dtype=np.int64)]
    ev_time = [procs.clean_start[cp], procs.clean_end[cp]]
    ev_day = [procs.day[cp], procs.day[cp]]
    del cn
    # terminal cleaning of every room used that day
    n_rooms = len(c.rooms)
    last = np.full(n_rooms * nd, NA, dtype=np.int64)
    np.maximum.at(last, procs.room[nc] * nd + procs.day[nc], procs.p_out[nc])
    hx = enc.exam_room >= 0
    np.maximum.at(last, enc.exam_room[hx] * nd + enc.day[hx], enc.exam_out[hx])
    lab_room = c.room_index("lab")[0]
    ih = labs.in_house & (labs.resulted != NA)
    np.maximum.at(last, lab_room * nd + labs.day[ih], labs.resulted[ih])
    used = np.flatnonzero(last != NA)
    u_room, u_day = used // nd, used % nd
    close = wdays[u_day] * DAY + np.maximum(c.close_min[u_room, W + u_day], 0) * 60
    t_start = np.maximum(close, last[used] + 600) + minutes(uniform(rng, 0, 20, len(used)))
    t_end = t_start + minutes(uniform(rng, 15, 35, len(used)))
    k = _lapse_count(lrng, len(used), 0.005, c.lapse_scale)
    miss = np.zeros(len(used), dtype=bool)
    if k:
        miss[lrng.choice(len(used), size=k, replace=False)] = True
    keep = ~miss
    ev_room += [u_room[keep], u_room[keep]]
    ev_type += [np.full(int(keep.sum()), 2), np.full(int(keep.sum()), 3)]
    ev_time += [t_start[keep], t_end[keep]]
    ev_day += [u_day[keep], u_day[keep]]
    # out of service days
    o_room, o_day = extra["oos_room"], extra["oos_day"]
    o_base = wdays[o_day] * DAY
    o_start = o_base + c.open_min[o_room, W + o_day] * 60 - minutes(uniform(rng, 0, 10, len(o_room)))
    o_end = o_base + c.close_min[o_room, W + o_day] * 60 + minutes(uniform(rng, 0, 30, len(o_room)))
    ev_room += [o_room, o_room]
    ev_type += [np.full(len(o_room), 4), np.full(len(o_room), 5)]
    ev_time += [o_start, o_end]
    ev_day += [o_day, o_day]
    room = np.concatenate(ev_room)
    typ = np.concatenate(ev_type)
    t = np.concatenate(ev_time)
    day = np.concatenate(ev_day)
    o = np.lexsort((typ, room, t))
    room, typ, t, day = room[o], typ[o], t[o], day[o]
    n = len(t)
    w = (c.active[W:, :] & np.isin(c.role, (ref.R_MA, ref.R_NURSE))[None, :]).astype(np.float64)
    staff = choose_weighted_rows(rng, day, w)
    room_ids = pa.array([r.room_id for r in c.rooms], type=pa.string())
    table = pa.table(
        {
            "event_id": _ids(f"{c.clinic_id}-R", n, 8),
            "clinic_id": col_const(c.clinic_id, n),
            "room_id": _take(room_ids, room),
            "event_type": col_cat(typ, ROOM_EVENT_TYPES),
            "occurred_at": col_ts(t),
            "staff_id": _take(c.staff_id_array(), staff),
        }
    )
    lapses = {
        "skipped": list(zip(prev[skip].tolist(), nxt[skip].tolist(), strict=True)),
        "terminal": list(zip(u_room[miss].tolist(), u_day[miss].tolist(), strict=True)),
    }
    return table, lapses


def _assemble(n: int, parts: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """Full-length text column from (rows, values) parts; rows not covered are null."""
    covered = np.zeros(n, dtype=bool)
    rows_all, vals = [], []
    for rows, arr in parts:
        covered[rows] = True
        rows_all.append(rows)
        vals.append(arr)
    rest = np.flatnonzero(~covered)
    rows_all.append(rest)
    vals.append(pa.nulls(len(rest), pa.string()))
    order = np.concatenate(rows_all)
    inv = np.empty(n, dtype=np.int64)
    inv[order] = np.arange(n)
    return pa.concat_arrays([v.cast(pa.string()) for v in vals]).take(pa.array(inv))


def _lab_results(c: Clinic, labs: Labs, rows_final: np.ndarray, rng: np.random.Generator):
    """result_value, result_unit, abnormal_flag, critical flag for rows with a result."""
    n = labs.n
    test = labs.test
    swiss = c.country == "CH"
    val_parts, unit_parts, flag_parts = [], [], []
    critical = np.zeros(n, dtype=bool)
    FLAGS = ("N", "H", "L", "A", "HH", "LL")

    def add(rows, values, unit, flags):
        val_parts.append((rows, values))
        if unit is not None:
            unit_parts.append((rows, col_const(unit, len(rows))))
        flag_parts.append((rows, col_cat(flags, FLAGS)))
        critical[rows] = (flags == 4) | (flags == 5)

    month = (c.window_days[labs.day].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)) % 12 + 1
    winter = (month >= 10) | (month <= 3)
    qual = {ref.T_STREP: (0.25, 0.30), ref.T_FLU: (0.03, 0.15), ref.T_COV: (0.06, 0.10), ref.T_HCG: (0.12, 0.12)}
    for t, (ps, pw) in qual.items():
        rows = rows_final[test[rows_final] == t]
        pos = rng.random(len(rows)) < np.where(winter[rows], pw, ps)
        add(rows, col_cat(pos.astype(np.int64), ("negative", "positive")), None, np.where(pos, 3, 0))
    for t, texts, probs in (
        (ref.T_UA, ("normal", "abnormal"), (0.7, 0.3)),
        (ref.T_LIPID, ("see report", "see report"), (0.6, 0.4)),
        (ref.T_HISTO, ("see report", "see report"), (0.88, 0.12)),
    ):
        rows = rows_final[test[rows_final] == t]
        k = choose_by_probs(rng, probs, len(rows))
        flag = np.where(k == 0, 0, np.where(t == ref.T_LIPID, 1, 3))
        add(rows, col_cat(k, texts), None, flag)
    rows = rows_final[test[rows_final] == ref.T_CBC]
    k = choose_by_probs(rng, (0.80, 0.08, 0.115, 0.005), len(rows))
    add(rows, col_const("see report", len(rows)), None, np.array([0, 1, 2, 5])[k])
    # numeric
    rows = rows_final[test[rows_final] == ref.T_GLU]
    g = np.clip(lognormal_minutes(rng, 105.0, 0.28, len(rows)), 30, 600)
    g = np.where(rng.random(len(rows)) < 0.004, uniform(rng, 410, 560, len(rows)), g)
    flag = np.select([g > 400, g < 45, g > 140, g < 70], [4, 5, 1, 2], 0)
    if swiss:
        add(rows, col_dec(g / 18.0, 1), "mmol/L", flag)
    else:
        add(rows, col_int(np.rint(g)), "mg/dL", flag)
    rows = rows_final[test[rows_final] == ref.T_A1C]
    a = np.clip(rng.normal(6.2, 1.1, len(rows)), 4.3, 13.5)
    add(rows, col_dec(a, 1), "%", np.where(a >= 6.5, 1, 0))
    rows = rows_final[test[rows_final] == ref.T_INR]
    v = np.clip(lognormal_minutes(rng, 2.4, 0.28, len(rows)), 0.8, 8.0)
    add(rows, col_dec(v, 1), None, np.select([v > 4.5, v > 3.0, v < 2.0], [4, 1, 2], 0))
    rows = rows_final[test[rows_final] == ref.T_TSH]
    v = lognormal_minutes(rng, 1.8, 0.6, len(rows))
    add(rows, col_dec(v, 2), "mIU/L", np.select([v > 4.0, v < 0.4], [1, 2], 0))
    rows = rows_final[test[rows_final] == ref.T_CREA]
    v = np.clip(rng.normal(0.95, 0.25, len(rows)), 0.4, 4.0)
    flag = np.select([v > 1.2, v < 0.6], [1, 2], 0)
    if swiss:
        add(rows, col_int(np.rint(v * 88.4)), "umol/L", flag)
    else:
        add(rows, col_dec(v, 2), "mg/dL", flag)
    rows = rows_final[test[rows_final] == ref.T_CRP]
    v = lognormal_minutes(rng, 3.0, 1.0, len(rows))
    add(rows, col_dec(v, 1), "mg/L", np.where(v > 5.0, 1, 0))
    return _assemble(n, val_parts), _assemble(n, unit_parts), _assemble(n, flag_parts), critical


def _lab_table(c: Clinic, labs: Labs, enc_ids: pa.Array) -> pa.Table:
    rng = stream(c.seed, c.idx, "results")
    n = labs.n
    as_of = c.as_of
    # export cut-off: nothing after the end of the window exists yet
    for arr in (labs.received, labs.shipped, labs.resulted, labs.verified, labs.reviewed):
        arr[arr > as_of] = NA
    final_like = (labs.status == 0) | (labs.status == 1)
    labs.status = np.where(final_like & (labs.verified == NA), 2, labs.status)
    labs.reviewed[labs.verified == NA] = NA
    has_value = (labs.status == 0) | (labs.status == 1)
    value, unit, flag, critical = _lab_results(c, labs, np.flatnonzero(has_value), rng)
    notified = np.where(critical, labs.resulted + minutes(lognormal_minutes(rng, 5.0, 0.6, n)), NA)
    notified[notified > as_of] = NA
    # rows in collection order; specimen and order ids by first appearance
    o = np.lexsort((labs.test, labs.spec_key, labs.collected))
    sk = labs.spec_key[o]
    new_spec = np.ones(n, dtype=bool)
    new_spec[1:] = sk[1:] != sk[:-1]
    spec_no = np.cumsum(new_spec)
    ok_ = labs.order_key[o]
    _, first, inv = np.unique(ok_, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    order_no = rank[inv] + 1
    staff = c.staff_id_array()
    labs_names = pa.array([c.main_lab, c.other_lab], type=pa.string())
    oa = pa.array(o)
    return pa.table(
        {
            "specimen_id": col_id(f"{c.clinic_id}-L", spec_no, 7),
            "clinic_id": col_const(c.clinic_id, n),
            "patient_id": _patient_ids(labs.patient[o]),
            "test_code": col_cat(labs.test[o], ref.LAB_CODES),
            "priority": col_cat(labs.priority[o], ("stat", "routine")),
            "encounter_id": _take(enc_ids, labs.encounter[o]),
            "order_id": col_id(f"{c.clinic_id}-O", order_no, 7),
            "ordered_at": col_ts(labs.ordered[o]),
            "ordered_by": _take(staff, labs.ordered_by[o]),
            "collected_at": col_ts(labs.collected[o]),
            "collected_by": _take(staff, labs.collected_by[o]),
            "received_at": col_ts(labs.received[o]),
            "resulted_at": col_ts(labs.resulted[o]),
            "verified_at": col_ts(labs.verified[o]),
            "reviewed_at": col_ts(labs.reviewed[o]),
            "performing_site": col_cat(np.where(labs.in_house[o], 0, 1), ("in_house", "send_out")),
            "reference_lab": _take(labs_names, labs.ref_lab[o]),
            "shipped_at": col_ts(labs.shipped[o]),
            "performed_by": _take(staff, labs.performed_by[o]),
            "result_value": value.take(oa),
            "result_unit": unit.take(oa),
            "abnormal_flag": flag.take(oa),
            "critical_notified_at": col_ts(notified[o]),
            "status": col_cat(labs.status[o], LAB_STATUS),
            "rejection_reason": col_cat(labs.rejection[o], ref.REJECTION_REASONS),
        }
    )
