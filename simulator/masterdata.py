"""Per-clinic master data: clinic, rooms, room schedule, staff, certifications, competency assessments."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ingest.contract import CLIA_ELEMENTS

from . import reference as ref
from .arrays import (
    NA,
    add_months,
    col_cat,
    col_const,
    col_date,
    col_id,
    col_int,
    end_of_month_after,
    iso_weekday,
    stream,
    uniform,
)

WARMUP_DAYS = 7  # sterilizer loads before the window, so the first procedures have released sets on the shelf
HISTORY_DAYS = 2 * 365  # certifications and competency assessments reach this far back
DEFAULT_ENCOUNTERS_PER_ROOM_DAY = 16.0


@dataclass
class Room:
    room_id: str
    name: str
    room_type: str
    profile: str | None = None  # procedure rooms: key of reference.ROOM_PROFILES
    active_from: int = NA
    active_to: int = NA


@dataclass
class Clinic:
    idx: int
    clinic_id: str
    name: str
    timezone: str
    country: str
    seed: int
    d0: int  # first window day
    n_days: int
    as_of: int  # seconds: end of the window (exclusive)
    lapse_scale: float
    enc_rate: float
    saturday: bool
    n_exam: int
    n_proc: int
    rooms: list[Room] = field(default_factory=list)
    schedule: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)
    # (room_id or '*', weekday, opens_min, closes_min, valid_from_day, valid_to_day or NA)
    ext_days: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # warm-up + window
    open_min: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))  # [room, ext day]
    close_min: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    main_lab: str = ""
    other_lab: str = ""
    # staff
    staff_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    role: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    started: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    ended: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    supervisor: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # staff index or -1
    active: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))  # [ext day, staff]
    has_comp: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))  # [staff, competency]
    signoff: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))  # [staff, comp] day
    names: list[str] = field(default_factory=list)

    @property
    def window_days(self) -> np.ndarray:
        return self.ext_days[WARMUP_DAYS:]

    def room_index(self, room_type: str) -> list[int]:
        return [i for i, r in enumerate(self.rooms) if r.room_type == room_type]

    def staff_id_array(self) -> pa.Array:
        return pa.array(list(self.staff_ids), type=pa.string())


def clinic_name(idx: int) -> tuple[str, str, str]:
    tz, country, prefixes, towns = ref.COUNTRIES[idx % 3]
    k = idx // 3
    town = towns[k % len(towns)]
    prefix = prefixes[(k // len(towns)) % len(prefixes)]
    name = f"{prefix} {town}"
    rounds = k // (len(towns) * len(prefixes))
    if rounds:
        name += f" {rounds + 1}"
    return name, tz, country


def build_clinic(idx: int, seed: int, d0: int, n_days: int, lapse_scale: float, enc_rate: float | None) -> Clinic:
    rng = stream(seed, idx, "clinic")
    name, tz, country = clinic_name(idx)
    cid = f"C{idx + 1:02d}"
    c = Clinic(
        idx=idx,
        clinic_id=cid,
        name=name,
        timezone=tz,
        country=country,
        seed=seed,
        d0=d0,
        n_days=n_days,
        as_of=(d0 + n_days) * 86_400,
        lapse_scale=lapse_scale,
        enc_rate=DEFAULT_ENCOUNTERS_PER_ROOM_DAY if enc_rate is None else float(enc_rate),
        saturday=idx % 4 == 1,
        n_exam=int(rng.integers(5, 9)),
        n_proc=int(rng.integers(3, 6)),
    )
    labs = ref.REFERENCE_LABS[country]
    c.main_lab, c.other_lab = (labs[0], labs[1]) if rng.random() < 0.6 else (labs[1], labs[0])
    opened = d0 - int(rng.integers(4 * 365, 20 * 365))
    for i in range(c.n_exam):
        c.rooms.append(Room(f"EX{i + 1:02d}", f"Sprechzimmer {i + 1}", "exam", active_from=opened))
    for i in range(c.n_proc):
        prof = ref.ROOM_PROFILE_ORDER[i]
        active_from = opened
        if i == 4 and n_days >= 21:  # a fifth procedure room opens during the window
            active_from = d0 + n_days // 3
        c.rooms.append(Room(f"PR{i + 1:02d}", f"{ref.ROOM_NAMES[prof]} {i + 1}", "procedure", prof, active_from))
    c.rooms.append(Room("LAB1", "Praxislabor", "lab", active_from=opened))
    c.rooms.append(Room("STE1", "Aufbereitung AEMP", "sterile_processing", active_from=opened))

    # --- schedule rows: '*' is the clinic default; a room's own rows for a weekday replace it ---------------
    sched: list[tuple[str, int, int, int, int, int]] = []
    for wd in range(1, 6):
        sched.append(("*", wd, 7 * 60 + 30, 18 * 60, opened, NA))
    for wd in range(1, 6):
        sched.append(("LAB1", wd, 7 * 60 + 15, 17 * 60 + 30, opened, NA))
        sched.append(("STE1", wd, 6 * 60 + 45, 18 * 60 + 30, opened, NA))
    short_exam = f"EX{c.n_exam:02d}"  # the last exam room is a morning room
    for wd in range(1, 6):
        sched.append((short_exam, wd, 8 * 60, 13 * 60 + 30, opened, NA))
    if rng.random() < 0.6:  # the treatment room closes early
        for wd in range(1, 6):
            sched.append(("PR03", wd, 8 * 60, 16 * 60, opened, NA))
    if idx % 3 == 0 and n_days >= 28:  # PR02 gets shorter hours from mid-window on
        change = d0 + n_days // 2
        for wd in range(1, 6):
            sched.append(("PR02", wd, 8 * 60, 16 * 60 + 30, change, NA))
    if c.saturday:
        for rid in ("EX01", "EX02", "PR03", "LAB1"):
            sched.append((rid, 6, 8 * 60, 12 * 60, opened, NA))
        sched.append(("STE1", 6, 7 * 60 + 30, 12 * 60 + 30, opened, NA))
    c.schedule = sched

    c.ext_days = np.arange(d0 - WARMUP_DAYS, d0 + n_days, dtype=np.int64)
    wd = iso_weekday(c.ext_days)
    n_rooms = len(c.rooms)
    c.open_min = np.full((n_rooms, len(c.ext_days)), -1, dtype=np.int64)
    c.close_min = np.full((n_rooms, len(c.ext_days)), -1, dtype=np.int64)
    for r, room in enumerate(c.rooms):
        best_from = np.full(len(c.ext_days), NA, dtype=np.int64)
        own = np.zeros(len(c.ext_days), dtype=bool)
        for specific in (False, True):  # '*' first, then the room's own rows override per weekday
            for rid, wday, o, cl, vf, vt in sched:
                if (rid == room.room_id) != specific or (not specific and rid != "*"):
                    continue
                ok = (wd == wday) & (c.ext_days >= vf) & ((vt == NA) | (c.ext_days <= vt))
                if specific:
                    take = ok & (~own | (vf >= best_from))
                    own |= ok
                else:
                    take = ok & (vf >= best_from)
                c.open_min[r, take] = o
                c.close_min[r, take] = cl
                best_from = np.where(take, vf, best_from)
        inactive = c.ext_days < room.active_from
        if room.active_to != NA:
            inactive |= c.ext_days > room.active_to
        c.open_min[r, inactive] = -1
        c.close_min[r, inactive] = -1
    return c


# --- staff ---------------------------------------------------------------------------------------------------
def build_staff(c: Clinic) -> None:
    rng = stream(c.seed, c.idx, "staff")
    counts = {
        ref.R_PHYS: max(3, c.n_exam - 2),
        ref.R_SUP: 1 + int(c.n_exam >= 7),
        ref.R_NURSE: int(rng.integers(2, 5)),
        ref.R_MA: c.n_exam + int(rng.integers(0, 4)),
        ref.R_PHLEB: 1 + int(c.n_proc >= 4) + int(rng.integers(0, 2)),
        ref.R_LABTECH: 1 + int(rng.random() < 0.5),
    }
    role = np.concatenate([np.full(n, r, dtype=np.int64) for r, n in counts.items()])
    n = len(role)
    # keep the lead physician first, shuffle the rest so ids do not reveal roles
    order = np.concatenate([[0], 1 + rng.permutation(n - 1)])
    role = role[order]
    lead = 0
    first_of_role = np.array([np.flatnonzero(role == r)[0] for r in range(6)])
    key = np.zeros(n, dtype=bool)
    key[first_of_role] = True  # one long-standing person per role never joins or leaves during the window
    key[role == ref.R_SUP] = True
    d0, nd = c.d0, c.n_days
    started = d0 - rng.integers(400, 15 * 365, n)
    senior = key | (role == ref.R_SUP)
    started[senior] = d0 - rng.integers(5 * 365, 20 * 365, int(senior.sum()))
    new_hire = (~key) & (rng.random(n) < 0.14) & (role != ref.R_LABTECH)
    started[new_hire] = d0 + np.floor(uniform(rng, -250, 0.7 * nd, int(new_hire.sum()))).astype(np.int64)
    ended = np.full(n, NA, dtype=np.int64)
    leaver = (~key) & (~new_hire) & (rng.random(n) < 0.05) & (nd >= 14)
    ended[leaver] = d0 + np.floor(uniform(rng, 0.3 * nd, 0.9 * nd, int(leaver.sum()))).astype(np.int64)
    sups = np.flatnonzero(role == ref.R_SUP)
    supervisor = np.full(n, -1, dtype=np.int64)
    under_sup = np.isin(role, [ref.R_MA, ref.R_PHLEB, ref.R_NURSE, ref.R_LABTECH])
    supervisor[under_sup] = sups[rng.integers(0, len(sups), int(under_sup.sum()))]
    supervisor[(role == ref.R_SUP) | (role == ref.R_PHYS)] = lead
    supervisor[lead] = -1
    c.role, c.started, c.ended, c.supervisor = role, started, ended, supervisor
    c.staff_ids = np.array([f"{c.clinic_id}-S{i + 1:03d}" for i in range(n)], dtype=object)
    days = c.ext_days[:, None]
    c.active = (days >= started[None, :]) & ((ended[None, :] == NA) | (days <= ended[None, :]))
    # competencies held
    n_comp = len(ref.COMPETENCIES)
    has = np.zeros((n, n_comp), dtype=bool)
    n_ts = len(ref.TEST_SYSTEMS)
    picks = {ref.R_LABTECH: n_ts, ref.R_MA: 3, ref.R_NURSE: 2, ref.R_SUP: 3, ref.R_PHLEB: 0}
    for s in range(n):
        k = picks.get(int(role[s]), 0)
        if k:
            has[s, rng.choice(n_ts, size=k, replace=False)] = True
    skill = {name: n_ts + i for i, name in enumerate(ref.SKILLS)}
    clinical = np.isin(role, [ref.R_MA, ref.R_NURSE, ref.R_SUP])
    for sk in ref.SKILLS:
        has[clinical, skill[sk]] = True
    has[role == ref.R_PHLEB, skill["VENIPUNCTURE"]] = True
    has[role == ref.R_PHLEB, ref.TEST_SYSTEMS.index("POCT_GLUCOSE")] = True
    # the first lab technician covers every test system, the first MA every skill: someone is always there
    has[first_of_role[ref.R_LABTECH], :n_ts] = True
    c.has_comp = has
    names = [
        ("Dr. " if role[s] == ref.R_PHYS else "")
        + f"{ref.FIRST_NAMES[rng.integers(len(ref.FIRST_NAMES))]} {ref.LAST_NAMES[rng.integers(len(ref.LAST_NAMES))]}"
        for s in range(n)
    ]
    c.names = names


def staff_table(c: Clinic) -> pa.Table:
    n = len(c.role)
    sup_ids = [c.staff_ids[s] if s >= 0 else None for s in c.supervisor]
    return pa.table(
        {
            "clinic_id": col_const(c.clinic_id, n),
            "staff_id": c.staff_id_array(),
            "display_name": pa.array(c.names, type=pa.string()),
            "role": col_cat(c.role, ref.STAFF_ROLES),
            "started_on": col_date(c.started),
            "ended_on": col_date(c.ended),
            "supervisor_id": pa.array(sup_ids, type=pa.string()),
        }
    )


def clinic_tables(c: Clinic) -> dict[str, pa.Table]:
    clinics = pa.table(
        {
            "clinic_id": [c.clinic_id],
            "name": [c.name],
            "timezone": [c.timezone],
            "country": [c.country],
        }
    )
    rooms = pa.table(
        {
            "clinic_id": col_const(c.clinic_id, len(c.rooms)),
            "room_id": [r.room_id for r in c.rooms],
            "name": [r.name for r in c.rooms],
            "room_type": [r.room_type for r in c.rooms],
            "active_from": col_date(np.array([r.active_from for r in c.rooms], dtype=np.int64)),
            "active_to": col_date(np.array([r.active_to for r in c.rooms], dtype=np.int64)),
        }
    )
    s = c.schedule
    sched = pa.table(
        {
            "clinic_id": col_const(c.clinic_id, len(s)),
            "room_id": [row[0] for row in s],
            "weekday": col_int(np.array([row[1] for row in s])),
            "opens_at": [f"{row[2] // 60:02d}:{row[2] % 60:02d}" for row in s],
            "closes_at": [f"{row[3] // 60:02d}:{row[3] % 60:02d}" for row in s],
            "valid_from": col_date(np.array([row[4] for row in s], dtype=np.int64)),
            "valid_to": col_date(np.array([row[5] for row in s], dtype=np.int64)),
        }
    )
    return {"clinics": clinics, "rooms": rooms, "room_schedule": sched}


# --- certifications ------------------------------------------------------------------------------------------
def build_certifications(c: Clinic, lapses: list[dict]) -> pa.Table:
    """Renewal chains per (staff, certificate); each renewal is issued before the previous one expires,
    except the planted lapses (renewed late or not at all while the person keeps working)."""
    rng = stream(c.seed, c.idx, "certs")
    d0, last = c.d0, c.d0 + c.n_days - 1
    pairs_s, pairs_c, months = [], [], []
    for ci, (m, roles) in enumerate(ref.CERTIFICATIONS.values()):
        s = np.flatnonzero(np.isin(c.role, roles))
        pairs_s.append(s)
        pairs_c.append(np.full(len(s), ci))
        months.append(np.full(len(s), m))
    ps, pcode, pm = np.concatenate(pairs_s), np.concatenate(pairs_c), np.concatenate(months)
    n = len(ps)
    recent = c.started[ps] > d0 - 250
    first_issue = d0 - np.floor(uniform(rng, 0, pm * 30.4 - 20, n)).astype(np.int64)
    first_issue[recent] = c.started[ps][recent] - rng.integers(10, 300, int(recent.sum()))
    # one earlier certificate for history, renewed 7-60 days before it ran out
    prev = add_months(first_issue + rng.integers(7, 61, n), -pm)
    prev_list = np.where(recent, NA, prev)
    # staff still active during the window (lapse candidates)
    active_in_window = c.active[WARMUP_DAYS:, :].any(axis=0)[ps]
    # --- planted expired certification: force one chain to run out just before or inside the window --------
    n_lapse = 0
    if c.lapse_scale > 0:
        n_lapse = max(1, rng.binomial(n, min(1.0, 0.02 * c.lapse_scale)))
    cand = np.flatnonzero(active_in_window & ~recent & (c.ended[ps] == NA))
    lapse_pairs = rng.choice(cand, size=min(n_lapse, len(cand)), replace=False) if len(cand) else []
    late_renewal = np.full(n, NA, dtype=np.int64)
    for p in lapse_pairs:
        # expiry at the end of a month between 40 days before the window and its last day
        lo = int(end_of_month_after(np.array([d0 - 40]), 0)[0])
        ends = []
        e = lo
        while e <= last:
            ends.append(e)
            e = int(end_of_month_after(np.array([e + 1]), 0)[0])
        expiry = ends[int(rng.integers(len(ends)))] if ends else lo
        m = int(pm[p])
        # issue in the month `m` months before the expiry month, so it expires exactly then
        issue = int(add_months(np.array([expiry]), -m)[0]) - int(rng.integers(0, 20))
        issue = max(issue, int(end_of_month_after(np.array([expiry]), -m - 1)[0]) + 1)
        first_issue[p] = issue
        prev_list[p] = NA if recent[p] else int(add_months(np.array([issue + int(rng.integers(7, 61))]), -m)[0])
        late_renewal[p] = max(expiry + 1, d0) + int(rng.integers(10, 46))
    rows_s, rows_c, rows_i, rows_e = [], [], [], []
    has_prev = prev_list != NA
    rows_s.append(ps[has_prev])
    rows_c.append(pcode[has_prev])
    rows_i.append(prev_list[has_prev])
    rows_e.append(end_of_month_after(prev_list[has_prev], pm[has_prev]))
    cur = first_issue.copy()
    alive = np.ones(n, dtype=bool)
    for step in range(12):
        expiry = end_of_month_after(cur, pm)
        emit = alive & (cur <= last)
        rows_s.append(ps[emit])
        rows_c.append(pcode[emit])
        rows_i.append(cur[emit])
        rows_e.append(expiry[emit])
        nxt = expiry - rng.integers(7, 61, n)
        if step == 0:
            forced = late_renewal != NA
            nxt = np.where(forced, late_renewal, nxt)
        alive = emit & (nxt <= last)
        cur = nxt
        if not alive.any():
            break
    for p in lapse_pairs:
        code = list(ref.CERTIFICATIONS)[int(pcode[p])]
        expiry = int(end_of_month_after(first_issue[p : p + 1], int(pm[p]))[0])
        renewed = int(late_renewal[p])
        lapses.append(
            {
                "kind": "expired_certification",
                "clinic_id": c.clinic_id,
                "key": {"staff_id": c.staff_ids[ps[p]], "certification_code": code},
                "detail": {
                    "issued_on": _iso(int(first_issue[p])),
                    "expires_on": _iso(expiry),
                    "renewed_on": _iso(renewed) if renewed <= last else None,
                    "lapsed_from": _iso(expiry + 1),
                    "lapsed_to": _iso(min(renewed - 1, last)),
                },
            }
        )
    s_idx = np.concatenate(rows_s)
    code_idx = np.concatenate(rows_c)
    issued = np.concatenate(rows_i)
    expires = np.concatenate(rows_e)
    keep = expires >= d0 - HISTORY_DAYS
    s_idx, code_idx, issued, expires = s_idx[keep], code_idx[keep], issued[keep], expires[keep]
    order = np.lexsort((issued, code_idx, s_idx))
    s_idx, code_idx, issued, expires = s_idx[order], code_idx[order], issued[order], expires[order]
    return pa.table(
        {
            "staff_id": c.staff_id_array().take(pa.array(s_idx)),
            "certification_code": col_cat(code_idx, list(ref.CERTIFICATIONS)),
            "issued_on": col_date(issued),
            "expires_on": col_date(expires),
        }
    )


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


# --- competency assessments ----------------------------------------------------------------------------------
def build_competency(c: Clinic, lapses: list[dict]) -> pa.Table:
    """Initial assessment 5-30 days after hire. Non-waived test systems (CLIA): the next ones fall due 6 and 12
    months after the initial one, then 12 months after the previous one; waived test systems and procedure skills
    fall due 12 months after the previous one. Each is done 10-40 days before it falls due. Planted lapses: one
    assessment that falls due in the window is done 20-60 days late (or not at all within the window)."""
    rng = stream(c.seed, c.idx, "competency")
    d0, last = c.d0, c.d0 + c.n_days - 1
    ps, pc_ = np.nonzero(c.has_comp)
    n = len(ps)
    started = c.started[ps]
    new = started > d0 - 365 - HISTORY_DAYS // 2
    # a[k] series: for new staff start with the initial assessment, else an anchor before the window
    initial = started + rng.integers(5, 31, n)
    anchor = d0 - rng.integers(0, 330, n)
    cur = np.where(new, initial, anchor)
    signoff = np.full(c.has_comp.shape, -(10**6), dtype=np.int64)
    signoff[ps[new], pc_[new]] = initial[new]
    c.signoff = signoff
    # one earlier assessment (history) for established staff
    dates = [np.where(new, NA, anchor - (365 - rng.integers(10, 41, n)))]
    # lapse: choose pairs whose next due date lies in the window
    n_lapse = max(1, rng.binomial(n, min(1.0, 0.02 * c.lapse_scale))) if c.lapse_scale > 0 else 0
    alive_staff = (c.ended[ps] == NA) & (started < d0)
    lapse_due = np.full(n, NA, dtype=np.int64)
    late_by = np.zeros(n, dtype=np.int64)
    if n_lapse:
        cand = np.flatnonzero(alive_staff & ~new)
        chosen = rng.choice(cand, size=min(n_lapse, len(cand)), replace=False) if len(cand) else []
        for p in chosen:
            due = d0 + int(rng.integers(0, max(1, c.n_days - 1)))
            anchor[p] = due - 365  # last assessment exactly a year before the due date
            cur[p] = anchor[p]
            dates[0][p] = anchor[p] - (365 - int(rng.integers(10, 41)))
            lapse_due[p] = due
            late_by[p] = int(rng.integers(20, 61))
    first_year = new & np.isin(pc_, [ref.COMPETENCIES.index(x) for x in ref.NON_WAIVED])
    step = 0
    while True:  # a few rounds: one per year of window and history
        dates.append(cur.copy())
        if step == 0:
            due = np.where(first_year, cur + 182, cur + 365)
        elif step == 1:
            due = np.where(first_year, initial + 365, cur + 365)
        else:
            due = cur + 365
        nxt = due - rng.integers(10, 41, n)
        cur = np.where(due == lapse_due, due + late_by, nxt)
        step += 1
        if (cur > last).all():
            break
    all_dates = np.concatenate(dates)
    all_pair = np.concatenate([np.arange(n)] * len(dates))
    ok = (all_dates != NA) & (all_dates <= last) & (all_dates >= d0 - HISTORY_DAYS)
    ended = c.ended[ps][all_pair]
    ok &= (ended == NA) | (all_dates <= ended)
    ok &= all_dates >= started[all_pair]
    a_date, a_pair = all_dates[ok], all_pair[ok]
    for p in np.flatnonzero(lapse_due != NA):
        done = int(lapse_due[p] + late_by[p])
        lapses.append(
            {
                "kind": "overdue_competency",
                "clinic_id": c.clinic_id,
                "key": {"staff_id": c.staff_ids[ps[p]], "competency_code": ref.COMPETENCIES[pc_[p]]},
                "detail": {
                    "last_assessed_on": _iso(int(lapse_due[p] - 365)),
                    "due_on": _iso(int(lapse_due[p])),
                    "assessed_on": _iso(done) if done <= last else None,
                },
            }
        )
    # expand to elements: test systems -> six CLIA elements, skills -> supervised_performance
    n_ts = len(ref.TEST_SYSTEMS)
    comp = pc_[a_pair]
    n_el = np.where(comp < n_ts, 6, 1)
    rep = np.repeat(np.arange(len(a_pair)), n_el)
    pos = np.arange(len(rep)) - np.repeat(np.cumsum(n_el) - n_el, n_el)
    element = np.where(comp[rep] < n_ts, pos, 6)  # index into contract CLIA_ELEMENTS (6 = supervised_perf.)
    e_date = a_date[rep]
    e_pair = a_pair[rep]
    outcome = np.zeros(len(rep), dtype=np.int64)  # 0 pass, 1 fail
    fail = rng.random(len(rep)) < 0.015
    # a failed element is re-assessed 3-8 days later and passes (still before the due date)
    redo_date = e_date[fail] + rng.integers(3, 9, int(fail.sum()))
    outcome[fail] = 1
    e_date = np.concatenate([e_date, redo_date])
    e_pair = np.concatenate([e_pair, e_pair[fail]])
    element = np.concatenate([element, element[fail]])
    outcome = np.concatenate([outcome, np.zeros(int(fail.sum()), dtype=np.int64)])
    keep = e_date <= last
    e_date, e_pair, element, outcome = e_date[keep], e_pair[keep], element[keep], outcome[keep]
    staff = ps[e_pair]
    order = np.lexsort((element, pc_[e_pair], staff, e_date))
    e_date, e_pair, element, outcome, staff = (a[order] for a in (e_date, e_pair, element, outcome, staff))
    assessor = c.supervisor[staff]
    assessor = np.where(assessor < 0, 0, assessor)
    nrow = len(e_date)
    return pa.table(
        {
            "assessment_id": col_id(f"{c.clinic_id}-CA", np.arange(1, nrow + 1), 6),
            "staff_id": c.staff_id_array().take(pa.array(staff)),
            "competency_code": col_cat(pc_[e_pair], ref.COMPETENCIES),
            "element": col_cat(element, CLIA_ELEMENTS),
            "assessed_on": col_date(e_date),
            "assessor_id": c.staff_id_array().take(pa.array(assessor)),
            "outcome": col_cat(outcome, ("pass", "fail")),
        }
    )
