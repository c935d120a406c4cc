"""Patient flow of one clinic, vectorised over all days and rooms at once.

Order of construction:
  1. procedure-room booking books (slots per room-day, idle gaps, lunch) -> scheduled starts
  2. patient arrivals: booked procedure patients plus walk-ins with peaks mid-morning and after lunch
  3. exam-room queues (first come, first served per room) -> exam in/out
  4. procedure-room queues: patient in = max(ready, previous patient out + cleaning) -> late starts propagate
  5. lab specimens (rapid tests in the exam room, blood at VENIPUNCTURE, histology at biopsies/excisions)
  6. departures (most patients wait for their rapid results), room cleaning events, chaperones/interpreters

Every time is int64 seconds of naive local time; queues work on seconds-of-day within a room-day group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import reference as ref
from .arrays import (
    DAY,
    NA,
    choose_by_probs,
    choose_weighted_rows,
    cummax_by_group,
    exclusive_cumsum_by_group,
    lognormal_minutes,
    minutes,
    stream,
    uniform,
)
from .masterdata import DEFAULT_ENCOUNTERS_PER_ROOM_DAY, WARMUP_DAYS, Clinic

VERY_EARLY = -(2**38)
P_EXAM_FIRST = np.array([0.6, 0.25, 0.7, 0.6, 0.7, 0.3])  # procedure patients seen in an exam room first
PROC_ROLES = {
    ref.P_EAR: None,  # skill-based (EAR_IRRIGATION competency)
    ref.P_VENI: None,
    ref.P_WOUND: None,
    ref.P_USB: (ref.R_PHYS,),
    ref.P_SURG: (ref.R_PHYS,),
    ref.P_SUT: (ref.R_PHYS,),
}
SKILL_OF_PROC = {ref.P_EAR: "EAR_IRRIGATION", ref.P_VENI: "VENIPUNCTURE", ref.P_WOUND: "WOUND_CHECK"}


@dataclass
class Procedures:
    n: int
    group: np.ndarray  # room-day group (sorted)
    room: np.ndarray  # index into clinic.rooms
    day: np.ndarray  # window day index
    code: np.ndarray
    status: np.ndarray  # 0 completed, 1 cancelled, 2 aborted
    sched: np.ndarray  # absolute seconds
    p_in: np.ndarray
    p_start: np.ndarray
    p_end: np.ndarray
    p_out: np.ndarray
    clean_start: np.ndarray
    clean_end: np.ndarray
    performer: np.ndarray
    supervisor: np.ndarray  # staff index or -1
    patient: np.ndarray
    encounter: np.ndarray  # index into Encounters or -1
    chaperone: np.ndarray  # present (bool); meaningful when not cancelled
    interpreter: np.ndarray
    load: np.ndarray  # index into sterilizer loads or -1 (filled later)
    device: np.ndarray  # index into devices or -1 (filled later)


@dataclass
class Encounters:
    n: int
    day: np.ndarray
    arrival: np.ndarray
    exam_room: np.ndarray  # index into clinic.rooms or -1
    exam_in: np.ndarray
    exam_out: np.ndarray
    departed: np.ndarray
    patient: np.ndarray
    chaperone_req: np.ndarray
    interpreter_req: np.ndarray
    procedure: np.ndarray  # index into Procedures or -1


@dataclass
class Labs:
    n: int
    encounter: np.ndarray
    test: np.ndarray
    spec_key: np.ndarray
    order_key: np.ndarray
    patient: np.ndarray
    priority: np.ndarray  # 0 stat 1 routine
    ordered: np.ndarray
    ordered_by: np.ndarray
    collected: np.ndarray
    collected_by: np.ndarray
    received: np.ndarray
    resulted: np.ndarray
    verified: np.ndarray
    reviewed: np.ndarray
    in_house: np.ndarray
    ref_lab: np.ndarray  # 0 main, 1 other, -1 none
    shipped: np.ndarray
    performed_by: np.ndarray
    status: np.ndarray  # index into LAB_STATUS
    rejection: np.ndarray  # index into REJECTION_REASONS or -1
    day: np.ndarray


LAB_STATUS = ("final", "corrected", "pending", "cancelled", "rejected")


def _role_weights(c: Clinic, roles: tuple[int, ...]) -> np.ndarray:
    return (c.active[WARMUP_DAYS:, :] & np.isin(c.role, roles)[None, :]).astype(np.float64)


def _sample_time_of_day(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Arrival times (seconds of day) in [lo, hi): peaks around 10:00 and 14:45, a lunch dip, a flat floor."""
    n = len(lo)
    out = np.zeros(n, dtype=np.float64)
    pending = np.ones(n, dtype=bool)
    for _ in range(8):
        idx = np.flatnonzero(pending)
        if len(idx) == 0:
            break
        comp = choose_by_probs(rng, (0.45, 0.32, 0.23), len(idx))
        t = np.where(
            comp == 0,
            rng.normal(10.0 * 3600, 85 * 60, len(idx)),
            np.where(comp == 1, rng.normal(14.75 * 3600, 70 * 60, len(idx)), uniform(rng, lo[idx], hi[idx], len(idx))),
        )
        ok = (t >= lo[idx]) & (t < hi[idx])
        out[idx[ok]] = t[ok]
        pending[idx[ok]] = False
    idx = np.flatnonzero(pending)
    out[idx] = uniform(rng, lo[idx], hi[idx], len(idx))
    return np.rint(out).astype(np.int64)


def _patients(c: Clinic, rng: np.random.Generator, n: int) -> np.ndarray:
    """Patient numbers: a clinic-specific pool, a few regulars come often."""
    pool = patient_pool_size(c.n_days)
    local = np.floor(pool * rng.random(n) ** 1.6).astype(np.int64)
    return c.idx * pool + local + 1


def patient_pool_size(n_days: int) -> int:
    return max(500, 40 * n_days)


def build_procedures_and_encounters(c: Clinic) -> tuple[Procedures, Encounters, dict]:
    W = WARMUP_DAYS
    nd = c.n_days
    wdays = c.window_days
    rng = stream(c.seed, c.idx, "bookings")
    scale = c.enc_rate / DEFAULT_ENCOUNTERS_PER_ROOM_DAY
    proc_rooms = c.room_index("procedure")
    exam_rooms = c.room_index("exam")
    prof_names = list(ref.ROOM_PROFILES)

    # ---- 1. booking books ----------------------------------------------------------------------------------
    g_room, g_day = [], []
    for r in proc_rooms:
        d = np.flatnonzero(c.open_min[r, W:] >= 0)
        g_room.append(np.full(len(d), r))
        g_day.append(d)
    g_room_a = np.concatenate(g_room) if g_room else np.zeros(0, dtype=np.int64)
    g_day_a = np.concatenate(g_day) if g_day else np.zeros(0, dtype=np.int64)
    oos = rng.random(len(g_room_a)) < 0.01  # room out of service for the day: nothing booked
    oos_room, oos_day = g_room_a[oos], g_day_a[oos]
    g_room_a, g_day_a = g_room_a[~oos], g_day_a[~oos]
    G = len(g_room_a)
    K = 64
    g_open = c.open_min[g_room_a, W + g_day_a] * 60
    g_close = c.close_min[g_room_a, W + g_day_a] * 60
    g_prof = np.array([prof_names.index(c.rooms[r].profile) for r in g_room_a], dtype=np.int64)
    codes = np.zeros((G, K), dtype=np.int64)
    for p, name in enumerate(prof_names):
        m = g_prof == p
        if m.any():
            codes[m] = choose_by_probs(rng, ref.ROOM_PROFILES[name][0], int(m.sum()) * K).reshape(-1, K)
    p0 = np.array([ref.ROOM_PROFILES[name][1] for name in prof_names])[g_prof]
    p_idle = np.clip(1.0 - (1.0 - p0) * scale, 0.0, 0.9)
    slot = np.asarray(ref.PROC_SLOT)[codes] * 60
    idle = rng.random((G, K)) < p_idle[:, None]
    gap = idle * 300 * (1 + np.minimum(rng.geometric(0.35, (G, K)), 11))
    start = g_open[:, None] + np.cumsum(gap + slot, axis=1) - slot
    lunch_at = 12 * 3600 + 300 * rng.integers(0, 10, G)
    lunch_len = np.where(g_prof == prof_names.index("blood"), 1800, 300 * rng.integers(6, 13, G))
    start = start + (start >= lunch_at[:, None]) * lunch_len[:, None]
    valid = start + slot <= g_close[:, None]
    gi, _ = np.nonzero(valid)  # row-major: grouped by room-day, in time order
    n_p = len(gi)
    code = codes[valid]
    sched_sod = start[valid]
    p_day = g_day_a[gi]
    p_room = g_room_a[gi]

    rng = stream(c.seed, c.idx, "procedures")
    u = rng.random(n_p)
    status = np.where(u < 0.03, 1, np.where(u < 0.035, 2, 0))
    cancelled = status == 1
    has_exam = (rng.random(n_p) < P_EXAM_FIRST[code]) & ~cancelled
    # ---- 2. arrivals of procedure patients ------------------------------------------------------------------
    lead = np.where(has_exam, uniform(rng, 25, 45, n_p), uniform(rng, 5, 25, n_p))
    mix = choose_by_probs(rng, (0.88, 0.09, 0.03), n_p)
    late = np.where(
        mix == 0, uniform(rng, -6, 3, n_p), np.where(mix == 1, uniform(rng, 3, 15, n_p), uniform(rng, 15, 40, n_p))
    )
    arrival_sod = sched_sod - minutes(lead) + minutes(late)
    door = g_open[gi] - 15 * 60 + minutes(uniform(rng, 0, 5, n_p))
    arrival_sod = np.maximum(arrival_sod, door)
    # exam room for patients seen first: any exam room open that day that opens before they arrive
    exam_open_w = (c.open_min[exam_rooms][:, W:] >= 0).T.astype(np.float64)  # [day, exam room]
    ex_pick = choose_weighted_rows(rng, p_day, exam_open_w)
    has_exam &= ex_pick >= 0
    ex_room_p = np.where(ex_pick >= 0, np.asarray(exam_rooms)[np.maximum(ex_pick, 0)], -1)
    ex_open_p = np.where(has_exam, c.open_min[np.maximum(ex_room_p, 0), W + p_day] * 60, 0)
    has_exam &= ex_open_p <= arrival_sod + 600
    ex_room_p = np.where(has_exam, ex_room_p, -1)

    # ---- walk-ins -------------------------------------------------------------------------------------------
    rng_e = stream(c.seed, c.idx, "encounters")
    w_room, w_day, w_n = [], [], []
    for r in exam_rooms:
        d = np.flatnonzero(c.open_min[r, W:] >= 0)
        hours = (c.close_min[r, W + d] - c.open_min[r, W + d]) / 60.0
        w_room.append(np.full(len(d), r))
        w_day.append(d)
        w_n.append(rng_e.poisson(c.enc_rate * hours / 10.5))
    wr = np.concatenate(w_room) if w_room else np.zeros(0, dtype=np.int64)
    wd = np.concatenate(w_day) if w_day else np.zeros(0, dtype=np.int64)
    wn = np.concatenate(w_n) if w_n else np.zeros(0, dtype=np.int64)
    wi_room = np.repeat(wr, wn)
    wi_day = np.repeat(wd, wn)
    n_w = len(wi_room)
    w_lo = c.open_min[wi_room, W + wi_day] * 60 - 10 * 60
    w_hi = c.close_min[wi_room, W + wi_day] * 60 - 45 * 60
    w_arrival = _sample_time_of_day(rng_e, w_lo, np.maximum(w_hi, w_lo + 60))

    # ---- 3. exam-room queues --------------------------------------------------------------------------------
    rng_x = stream(c.seed, c.idx, "exam")
    pe = np.flatnonzero(has_exam)
    x_room = np.concatenate([wi_room, ex_room_p[pe]])
    x_day = np.concatenate([wi_day, p_day[pe]])
    x_desired = np.concatenate(
        [w_arrival + minutes(uniform(rng_x, 2, 10, n_w)), arrival_sod[pe] + minutes(uniform(rng_x, 2, 8, len(pe)))]
    )
    x_open = c.open_min[x_room, W + x_day] * 60
    x_desired = np.maximum(x_desired, x_open)
    x_dur = np.concatenate(
        [
            minutes(np.clip(lognormal_minutes(rng_x, 13.0, 0.4, n_w), 4, 60)),
            minutes(np.clip(lognormal_minutes(rng_x, 9.0, 0.35, len(pe)), 3, 40)),
        ]
    )
    x_gap = minutes(uniform(rng_x, 1, 4, len(x_room)))
    x_group = x_room * nd + x_day
    order = np.lexsort((x_desired, x_group))
    xg, xdes, xdur, xgap = x_group[order], x_desired[order], x_dur[order], x_gap[order]
    C = exclusive_cumsum_by_group(xdur + xgap, xg)
    x_in_sorted = cummax_by_group(xdes - C, xg) + C
    x_in = np.empty_like(x_in_sorted)
    x_in[order] = x_in_sorted
    x_out = x_in + x_dur
    w_exam_in, w_exam_out = x_in[:n_w], x_out[:n_w]
    p_exam_in = np.full(n_p, NA, dtype=np.int64)
    p_exam_out = np.full(n_p, NA, dtype=np.int64)
    p_exam_in[pe] = x_in[n_w:]
    p_exam_out[pe] = x_out[n_w:]

    # ---- 4. procedure-room queues ---------------------------------------------------------------------------
    early = minutes(uniform(rng, 0, 5, n_p))
    ready = np.maximum(sched_sod - early, arrival_sod + minutes(uniform(rng, 1, 4, n_p)))
    ready = np.where(has_exam, np.maximum(ready, p_exam_out + minutes(uniform(rng, 1, 4, n_p))), ready)
    prep_lo = np.array([p[0] for p in ref.PROC_PREP])[code]
    prep_hi = np.array([p[1] for p in ref.PROC_PREP])[code]
    prep = minutes(uniform(rng, prep_lo, prep_hi, n_p))
    proc = lognormal_minutes(rng, np.asarray(ref.PROC_MEDIAN)[code], np.asarray(ref.PROC_SIGMA)[code], n_p)
    proc = np.where(status == 2, proc * uniform(rng, 0.1, 0.5, n_p), proc)
    proc = minutes(np.maximum(proc, 0.5))
    wrap_lo = np.array([p[0] for p in ref.PROC_WRAP])[code]
    wrap_hi = np.array([p[1] for p in ref.PROC_WRAP])[code]
    wrap = minutes(uniform(rng, wrap_lo, wrap_hi, n_p))
    g1 = minutes(uniform(rng, 0, 2, n_p))
    cd = minutes(np.clip(lognormal_minutes(rng, np.asarray(ref.PROC_CLEAN)[code], 0.3, n_p), 2, 40))
    g2 = minutes(uniform(rng, 0.2, 2, n_p))
    occ = np.where(cancelled, 0, prep + proc + wrap + g1 + cd + g2)
    ready = np.where(cancelled, VERY_EARLY, ready)
    C = exclusive_cumsum_by_group(occ, gi)
    p_in_sod = cummax_by_group(ready - C, gi) + C
    base = wdays[p_day] * DAY
    p_in = base + p_in_sod
    p_start = p_in + prep
    p_end = p_start + proc
    p_out = p_end + wrap
    clean_start = p_out + g1
    clean_end = clean_start + cd
    sched = base + sched_sod
    for arr in (p_in, p_start, p_end, p_out, clean_start, clean_end):
        arr[cancelled] = NA

    # ---- performers -----------------------------------------------------------------------------------------
    performer = np.full(n_p, -1, dtype=np.int64)
    supervisor = np.full(n_p, -1, dtype=np.int64)
    n_ts = len(ref.TEST_SYSTEMS)
    for pcode, roles in PROC_ROLES.items():
        m = np.flatnonzero(code == pcode)
        if len(m) == 0:
            continue
        if roles is None:
            comp = n_ts + ref.SKILLS.index(SKILL_OF_PROC[pcode])
            w = (c.active[W:, :] & c.has_comp[:, comp][None, :]).astype(np.float64)
            performer[m] = choose_weighted_rows(rng, p_day[m], w)
            so = c.signoff[performer[m], comp]
            trainee = wdays[p_day[m]] < so
        else:
            w = _role_weights(c, roles)
            performer[m] = choose_weighted_rows(rng, p_day[m], w)
            trainee = wdays[p_day[m]] < c.started[performer[m]] + 90
        supervisor[m] = np.where(trainee, c.supervisor[performer[m]], -1)

    # ---- encounters: walk-ins + procedure patients (not for cancelled bookings) -----------------------------
    rng_e2 = stream(c.seed, c.idx, "patients")
    pen = np.flatnonzero(~cancelled)
    n_e = n_w + len(pen)
    e_day = np.concatenate([wi_day, p_day[pen]])
    e_arrival = np.concatenate([w_arrival, arrival_sod[pen]]) + wdays[e_day] * DAY
    e_room = np.concatenate([wi_room, ex_room_p[pen]])
    e_in = np.concatenate([w_exam_in, p_exam_in[pen]])
    e_out = np.concatenate([w_exam_out, p_exam_out[pen]])
    has_x = e_room >= 0
    e_in = np.where(has_x, e_in + wdays[e_day] * DAY, NA)
    e_out = np.where(has_x, e_out + wdays[e_day] * DAY, NA)
    last_here = np.concatenate([w_exam_out + wdays[wi_day] * DAY, p_out[pen]])
    e_base_depart = last_here + minutes(uniform(rng_e2, 1, 6, n_e))
    patient_all = _patients(c, rng_e2, n_e + n_p)
    e_patient = patient_all[:n_e]
    p_patient = patient_all[n_e:]
    p_patient[pen] = e_patient[n_w:]
    e_proc = np.concatenate([np.full(n_w, -1), pen])
    chap_p = np.where(np.isin(code[pen], (ref.P_SURG, ref.P_USB)), 0.10, 0.05)
    e_chap = rng_e2.random(n_e) < np.concatenate([np.full(n_w, 0.03), chap_p])
    e_interp = rng_e2.random(n_e) < 0.05
    # sort encounters by arrival; ids follow that order
    eo = np.lexsort((e_room, e_arrival))
    inv = np.empty(n_e, dtype=np.int64)
    inv[eo] = np.arange(n_e)
    enc = Encounters(
        n=n_e,
        day=e_day[eo],
        arrival=e_arrival[eo],
        exam_room=e_room[eo],
        exam_in=e_in[eo],
        exam_out=e_out[eo],
        departed=e_base_depart[eo],
        patient=e_patient[eo],
        chaperone_req=e_chap[eo],
        interpreter_req=e_interp[eo],
        procedure=e_proc[eo],
    )
    p_enc = np.full(n_p, -1, dtype=np.int64)
    p_enc[pen] = inv[n_w + np.arange(len(pen))]
    chap_req = np.zeros(n_p, dtype=bool)
    interp_req = np.zeros(n_p, dtype=bool)
    chap_req[pen] = enc.chaperone_req[p_enc[pen]]
    interp_req[pen] = enc.interpreter_req[p_enc[pen]]
    # chaperone present when requested (and now and then without a request); interpreter when requested
    chaperone = chap_req | (rng_e2.random(n_p) < 0.02)
    interpreter = interp_req.copy()

    # sort procedures by scheduled start then room; keep the group arrays consistent
    po = np.lexsort((p_room, sched))
    pinv = np.empty(n_p, dtype=np.int64)
    pinv[po] = np.arange(n_p)
    enc.procedure = np.where(enc.procedure >= 0, pinv[np.maximum(enc.procedure, 0)], -1)
    procs = Procedures(
        n=n_p,
        group=gi[po],
        room=p_room[po],
        day=p_day[po],
        code=code[po],
        status=status[po],
        sched=sched[po],
        p_in=p_in[po],
        p_start=p_start[po],
        p_end=p_end[po],
        p_out=p_out[po],
        clean_start=clean_start[po],
        clean_end=clean_end[po],
        performer=performer[po],
        supervisor=supervisor[po],
        patient=p_patient[po],
        encounter=p_enc[po],
        chaperone=chaperone[po],
        interpreter=interpreter[po],
        load=np.full(n_p, -1, dtype=np.int64),
        device=np.full(n_p, -1, dtype=np.int64),
    )
    extra = {"oos_room": oos_room, "oos_day": oos_day, "chap_req": chap_req[po], "interp_req": interp_req[po]}
    return procs, enc, extra


# ---- 5. lab specimens ---------------------------------------------------------------------------------------
def _panel_table(panels):
    probs = np.array([p[0] for p in panels])
    flat_test, flat_spec, n_tests = [], [], []
    for _, specs in panels:
        k = 0
        for si, tests in enumerate(specs):
            for t in tests:
                flat_test.append(t)
                flat_spec.append(si)
                k += 1
        n_tests.append(k)
    n_tests_a = np.array(n_tests)
    offsets = np.cumsum(n_tests_a) - n_tests_a
    return probs, np.array(flat_test), np.array(flat_spec), n_tests_a, offsets


def _expand(panel: np.ndarray, table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """-> (record index per test row, test code, specimen position within the panel)"""
    _, flat_test, flat_spec, n_tests, offsets = table
    cnt = n_tests[panel]
    rec = np.repeat(np.arange(len(panel)), cnt)
    pos = np.arange(len(rec)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    entry = offsets[panel[rec]] + pos
    return rec, flat_test[entry], flat_spec[entry]


RAPID = _panel_table(ref.RAPID_PANELS)
BLOOD = _panel_table(ref.BLOOD_PANELS)
RESPIRATORY_PANELS = (0, 1, 2)
URINE_TESTS = (ref.T_UA, ref.T_HCG)


def _pickups(c: Clinic) -> np.ndarray:
    """Courier pick-up times for send-outs: 12:30 and 17:15 on weekdays (11:45 on Saturdays where open)."""
    days = np.arange(c.d0 - 1, c.d0 + c.n_days + 14, dtype=np.int64)
    wd = (days + 3) % 7 + 1
    out = []
    for hh, mm in ((12, 30), (17, 15)):
        out.append(days[wd <= 5] * DAY + hh * 3600 + mm * 60)
    if c.saturday:
        out.append(days[wd == 6] * DAY + 11 * 3600 + 45 * 60)
    return np.sort(np.concatenate(out))


def build_labs(c: Clinic, procs: Procedures, enc: Encounters) -> Labs:
    rng = stream(c.seed, c.idx, "labs")
    W = WARMUP_DAYS
    wdays = c.window_days
    n_e = enc.n
    # -- A. rapid tests ordered in the exam room --
    had_exam = enc.exam_room >= 0
    p_order = np.where(enc.procedure >= 0, 0.12, 0.45)
    sel = np.flatnonzero(had_exam & (rng.random(n_e) < p_order))
    month = (wdays[enc.day[sel]].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)) % 12 + 1
    winter = (month >= 10) | (month <= 3)
    probs = RAPID[0].copy()
    pw, ps_ = probs.copy(), probs.copy()
    pw[list(RESPIRATORY_PANELS)] *= 2.2
    ps_[list(RESPIRATORY_PANELS)] *= 0.7
    panel = np.where(winter, choose_by_probs(rng, pw, len(sel)), choose_by_probs(rng, ps_, len(sel)))
    rec, test_a, spos_a = _expand(panel, RAPID)
    e_a = sel[rec]
    dur = enc.exam_out[e_a] - enc.exam_in[e_a]
    r_spec = rng.random((len(sel), 4))
    r_ord = rng.random(len(sel))
    urine = np.isin(test_a, URINE_TESTS)
    coll_a = np.where(
        urine,
        enc.exam_out[e_a] + minutes(1 + 7 * r_spec[rec, spos_a]),
        enc.exam_in[e_a] + np.rint((0.35 + 0.6 * r_spec[rec, spos_a]) * dur).astype(np.int64),
    )
    ord_a = enc.exam_in[e_a] + np.rint((0.05 + 0.25 * r_ord[rec]) * dur).astype(np.int64)
    spec_a = e_a * 8 + spos_a
    orderk_a = e_a
    nurse_w = _role_weights(c, (ref.R_MA, ref.R_NURSE))
    coll_staff_enc = np.stack([choose_weighted_rows(rng, enc.day[sel], nurse_w) for _ in range(4)], axis=1)
    coll_by_a = coll_staff_enc[rec, spos_a]

    # -- B. blood drawn at VENIPUNCTURE, sent out --
    veni = np.flatnonzero((procs.code == ref.P_VENI) & (procs.status == 0) & (rng.random(procs.n) < 0.95))
    bpanel = choose_by_probs(rng, BLOOD[0], len(veni))
    rec_b, test_b, spos_b = _expand(bpanel, BLOOD)
    pv = veni[rec_b]
    r_b = rng.random((len(veni), 4))
    pdur = procs.p_end[pv] - procs.p_start[pv]
    coll_b = procs.p_start[pv] + np.rint((0.2 + 0.6 * r_b[rec_b, spos_b]) * pdur).astype(np.int64)
    e_b = procs.encounter[pv]
    ex_b = enc.exam_in[e_b]
    ex_dur_b = enc.exam_out[e_b] - ex_b
    mode = rng.random(len(veni))[rec_b]
    r_o = rng.random(len(veni))[rec_b]
    r_h = rng.random(len(veni))[rec_b]
    ord_b = np.where(
        ex_b != NA,
        ex_b + np.rint((0.1 + 0.8 * r_o) * np.where(ex_b != NA, ex_dur_b, 0)).astype(np.int64),
        np.where(
            mode < 0.4,
            coll_b - (1 + np.floor(r_o * 27).astype(np.int64)) * DAY + minutes(r_h * 240 - 120),
            coll_b - minutes(3 + 22 * r_o),
        ),
    )
    spec_b = (n_e + pv) * 8 + spos_b
    orderk_b = n_e + pv
    coll_by_b = procs.performer[pv]

    # -- C. histology at US_BIOPSY and some MINOR_SURGERY --
    histo_sel = ((procs.code == ref.P_USB) & (procs.status == 0)) | (
        (procs.code == ref.P_SURG) & (procs.status == 0) & (rng.random(procs.n) < 0.4)
    )
    ph = np.flatnonzero(histo_sel)
    coll_c = np.maximum(procs.p_end[ph] - minutes(uniform(rng, 0, 3, len(ph))), procs.p_start[ph])
    ord_c = procs.p_in[ph] + np.rint(rng.random(len(ph)) * (procs.p_start[ph] - procs.p_in[ph])).astype(np.int64)
    ord_c = np.minimum(ord_c, coll_c - 30)
    test_c = np.full(len(ph), ref.T_HISTO)
    spec_c = (n_e + procs.n + ph) * 8
    orderk_c = n_e + procs.n + ph

    # -- combine --
    test = np.concatenate([test_a, test_b, test_c])
    n = len(test)
    enc_idx = np.concatenate([e_a, e_b, procs.encounter[ph]])
    collected = np.concatenate([coll_a, coll_b, coll_c])
    ordered = np.concatenate([ord_a, ord_b, ord_c])
    ordered = np.minimum(ordered, collected - 30)
    spec_key = np.concatenate([spec_a, spec_b, spec_c])
    order_key = np.concatenate([orderk_a, orderk_b, orderk_c])
    collected_by = np.concatenate([coll_by_a, coll_by_b, procs.performer[ph]])
    patient = np.concatenate([enc.patient[e_a], procs.patient[pv], procs.patient[ph]])
    day = np.concatenate([enc.day[e_a], procs.day[pv], procs.day[ph]])
    phys_w = _role_weights(c, (ref.R_PHYS,))
    ob_order = choose_weighted_rows(rng, day, phys_w)
    # one orderer per order: take the first row's choice for every row of the order
    uo, first_idx, inv_o = np.unique(order_key, return_index=True, return_inverse=True)
    ordered_by = ob_order[first_idx][inv_o]
    in_house = np.isin(test, ref.IN_HOUSE)
    stat_p = np.select(
        [np.isin(test, (ref.T_STREP, ref.T_FLU, ref.T_COV, ref.T_INR, ref.T_GLU)), in_house], [0.65, 0.30], 0.05
    )
    stat_p = np.where(test == ref.T_HISTO, 0.0, stat_p)
    # the priority belongs to the order
    priority = np.where(rng.random(n) < stat_p, 0, 1)[first_idx][inv_o]

    received = np.full(n, NA, dtype=np.int64)
    resulted = np.full(n, NA, dtype=np.int64)
    verified = np.full(n, NA, dtype=np.int64)
    shipped = np.full(n, NA, dtype=np.int64)
    ref_lab = np.full(n, -1, dtype=np.int64)
    performed_by = np.full(n, -1, dtype=np.int64)
    status = np.zeros(n, dtype=np.int64)
    rejection = np.full(n, -1, dtype=np.int64)
    # in-house: received at collection (or a minute later); collection -> result 10-25 min, a slow tail
    ih = np.flatnonzero(in_house)
    med = np.array([t[4] for t in ref.LAB_TESTS])[test[ih]]
    tat = lognormal_minutes(rng, med, 0.28, len(ih))
    tail = rng.random(len(ih)) < 0.06
    tat = np.where(tail, tat * uniform(rng, 1.8, 4.0, len(ih)), tat)
    received[ih] = collected[ih] + np.where(rng.random(len(ih)) < 0.3, 60, 0)
    resulted[ih] = collected[ih] + minutes(np.maximum(tat, 1.0))
    verified[ih] = resulted[ih] + rng.integers(0, 181, len(ih))
    system_of_test = np.array([ref.TEST_SYSTEMS.index(t[3]) if t[3] else -1 for t in ref.LAB_TESTS])
    for ts_i in range(len(ref.TEST_SYSTEMS)):
        rows = ih[system_of_test[test[ih]] == ts_i]
        if len(rows) == 0:
            continue
        ok_day = wdays[:, None] >= c.signoff[None, :, ts_i]
        w = (c.active[W:, :] & c.has_comp[:, ts_i][None, :] & ok_day).astype(np.float64)
        performed_by[rows] = choose_weighted_rows(rng, day[rows], w)
    # send-out: courier pick-up, reference lab receipt, result 1-3 days after shipping (histology 2-5)
    so = np.flatnonzero(~in_house)
    pick = _pickups(c)
    k = np.searchsorted(pick, collected[so] + 15 * 60)
    k = k + ((test[so] == ref.T_HISTO) & (rng.random(len(so)) < 0.3))
    shipped[so] = pick[np.minimum(k, len(pick) - 1)] + minutes(uniform(rng, 0, 10, len(so)))
    received[so] = shipped[so] + minutes(uniform(rng, 90, 300, len(so)))
    histo = test[so] == ref.T_HISTO
    days_later = np.where(
        histo,
        2 + choose_by_probs(rng, (0.3, 0.4, 0.2, 0.1), len(so)),
        1 + choose_by_probs(rng, (0.6, 0.3, 0.1), len(so)),
    )
    res_routine = (shipped[so] // DAY + days_later) * DAY + minutes(uniform(rng, 6 * 60, 14 * 60, len(so)))
    res_stat = received[so] + minutes(uniform(rng, 60, 180, len(so)))
    # no result between 23:00 and 06:00: keeps every time clear of the night-time DST switch hour
    sod = res_stat % DAY
    night = (sod >= 23 * 3600) | (sod < 6 * 3600)
    next_morning = (res_stat // DAY + (sod >= 23 * 3600)) * DAY + minutes(uniform(rng, 6 * 60, 7.5 * 60, len(so)))
    res_stat = np.where(night, next_morning, res_stat)
    resulted[so] = np.maximum(np.where(priority[so] == 0, res_stat, res_routine), received[so] + 3600)
    verified[so] = resulted[so] + minutes(uniform(rng, 2, 90, len(so)))
    r_lab = rng.random(len(uo))
    ref_lab[so] = np.where(r_lab[inv_o[so]] < 0.85, 0, 1)
    # statuses
    u = rng.random(n)
    rej_p = np.where(in_house, 0.003, 0.012)
    status = np.where(u < rej_p, 4, np.where(u < rej_p + 0.004, 3, np.where(u < rej_p + 0.007, 1, 0)))
    rejection = np.where(status == 4, rng.integers(0, len(ref.REJECTION_REASONS), n), -1)
    cancelled = status == 3
    rejected = status == 4
    resulted[cancelled | rejected] = NA
    verified[cancelled | rejected] = NA
    received[cancelled & ~in_house] = NA
    shipped[cancelled & ~in_house] = NA
    performed_by[cancelled | rejected] = -1
    return Labs(
        n=n,
        encounter=enc_idx,
        test=test,
        spec_key=spec_key,
        order_key=order_key,
        patient=patient,
        priority=priority,
        ordered=ordered,
        ordered_by=ordered_by,
        collected=collected,
        collected_by=collected_by,
        received=received,
        resulted=resulted,
        verified=verified,
        reviewed=np.full(n, NA, dtype=np.int64),
        in_house=in_house,
        ref_lab=ref_lab,
        shipped=shipped,
        performed_by=performed_by,
        status=status,
        rejection=rejection,
        day=day,
    )


def _office_hours(rng: np.random.Generator, t: np.ndarray, saturday: bool) -> np.ndarray:
    """Move times outside 07:30-18:30 (or on a closed weekend day) to the next opening, plus 0-2 h."""
    sod = t % DAY
    day = t // DAY
    morning = 7.5 * 3600 + uniform(rng, 0, 2 * 3600, len(t))
    day = np.where(sod > 18.5 * 3600, day + 1, day)
    off = (sod < 7.5 * 3600) | (sod > 18.5 * 3600)
    wd = (day + 3) % 7 + 1
    closed_sat = (wd == 6) & (not saturday)
    day = np.where(closed_sat, day + 2, np.where(wd == 7, day + 1, day))
    off |= closed_sat | (wd == 7)
    return np.where(off, day * DAY + np.rint(morning).astype(np.int64), t)


def finish_departures_and_reviews(c: Clinic, enc: Encounters, labs: Labs) -> None:
    """Most patients wait for their rapid results; some leave first. The physician reviews a rapid result
    while the patient is there (or later that day); send-out results hours to days after they arrive."""
    rng = stream(c.seed, c.idx, "departures")
    waits = rng.random(enc.n) < 0.85
    has_res = labs.in_house & (labs.resulted != NA)
    last = np.full(enc.n, NA, dtype=np.int64)
    np.maximum.at(last, labs.encounter[has_res], labs.resulted[has_res])
    wait_until = last + minutes(uniform(rng, 1, 8, enc.n))
    enc.departed = np.where(waits & (last != NA), np.maximum(enc.departed, wait_until), enc.departed)
    n = labs.n
    v = labs.verified
    rev_ih = np.where(
        waits[labs.encounter],
        v + minutes(uniform(rng, 0.5, 5, n)),
        v + minutes(lognormal_minutes(rng, 90, 0.8, n)),
    )
    rev_so = v + minutes(lognormal_minutes(rng, 18 * 60, 0.9, n))
    never = rng.random(n) < np.where(labs.in_house, 0.01, 0.04)
    reviewed = np.where(labs.in_house, rev_ih, rev_so)
    later = ~(labs.in_house & waits[labs.encounter]) & (v != NA)
    reviewed[later] = _office_hours(rng, reviewed[later], c.saturday)
    labs.reviewed = np.where((v == NA) | never, NA, reviewed)
