"""The clinic simulator: contract shape, determinism, realistic timelines, and that everything planted in
planted.json is really in the files -- and nothing else that looks like a lapse."""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from ingest.contract import RECORD_TYPES, Kind
from simulator.generate import SimulationConfig, simulate

SMALL = SimulationConfig(clinics=2, days=14, seed=7)
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^\d{2}:\d{2}$")
NON_WAIVED = {"POCT_HBA1C", "POCT_INR"}
ROLE_CERTS = {  # certificates each role must hold while working (documented in the simulator)
    "medical_assistant": {"BLS", "CMA"},
    "supervisor": {"BLS", "CMA"},
    "phlebotomist": {"BLS", "CPT"},
    "lab_technician": {"BLS"},
    "nurse": {"BLS"},
    "physician": {"BLS"},
}


def read(out: Path, name: str) -> list[dict[str, str]]:
    with open(out / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def ts(s: str) -> datetime | None:
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S") if s else None


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    summary = simulate(out, SMALL)
    planted = json.loads((out / "planted.json").read_text(encoding="utf-8"))
    data = {name: read(out, name) for name in RECORD_TYPES}
    return out, summary, planted, data


@pytest.fixture(scope="module")
def planted_rows(sim):
    """(record_type, 1-based record) of every row carrying a data-entry error."""
    _, _, planted, _ = sim
    return {(e["record_type"], e["record"]) for e in planted["errors"]}


def clean_rows(data, planted_rows, name):
    return [r for i, r in enumerate(data[name], start=1) if (name, i) not in planted_rows]


# ---- shape -------------------------------------------------------------------------------------------------
def test_every_record_type_written_with_contract_header(sim):
    out, summary, _, _ = sim
    assert set(summary) == set(RECORD_TYPES)
    for name, rt in RECORD_TYPES.items():
        with open(out / f"{name}.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == rt.column_names, name
        assert len(rows) - 1 == summary[name], name
        assert all(len(r) == len(rt.column_names) for r in rows), f"{name}: ragged rows"
        assert summary[name] > 0, name


def test_files_are_plain_utf8_without_quotes_or_offsets(sim):
    out, _, _, _ = sim
    for name in RECORD_TYPES:
        text = (out / f"{name}.csv").read_bytes().decode("utf-8")
        assert '"' not in text
        assert "\r" not in text
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", text), "space-separated, naive timestamps"
        assert not re.search(r"\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:?\d{2})", text), "no offsets"


def test_values_follow_the_contract_outside_planted_rows(sim, planted_rows):
    _, _, _, data = sim
    for name, rt in RECORD_TYPES.items():
        for row in clean_rows(data, planted_rows, name):
            for col in rt.columns:
                v = row[col.name]
                if v == "":
                    assert not col.required, f"{name}.{col.name} empty"
                    continue
                if col.kind == Kind.TIMESTAMP:
                    assert TS_RE.match(v), (name, col.name, v)
                    ts(v)
                elif col.kind == Kind.DATE:
                    assert DATE_RE.match(v), (name, col.name, v)
                    date.fromisoformat(v)
                elif col.kind == Kind.TIME:
                    assert TIME_RE.match(v), (name, col.name, v)
                elif col.kind == Kind.BOOLEAN:
                    assert v in ("true", "false"), (name, col.name, v)
                elif col.kind == Kind.INTEGER:
                    int(v)
                elif col.kind == Kind.DECIMAL:
                    float(v)
                elif col.kind == Kind.ENUM:
                    assert v in col.allowed or v == col.wildcard, (name, col.name, v)
                elif col.kind == Kind.ID and col.wildcard:
                    assert v == col.wildcard or v.strip() == v


def test_realistic_master_data(sim):
    _, _, _, data = sim
    clinics = data["clinics"]
    assert [c["clinic_id"] for c in clinics] == ["C01", "C02"]
    assert {c["timezone"] for c in clinics} <= {"Europe/Berlin", "Europe/Vienna", "Europe/Zurich"}
    assert any(ch in c["name"] for c in clinics for ch in "äöüÄÖÜß")
    for cid in ("C01", "C02"):
        types = [r["room_type"] for r in data["rooms"] if r["clinic_id"] == cid]
        assert 3 <= types.count("procedure") <= 5
        assert types.count("exam") >= 3 and "lab" in types and "sterile_processing" in types
        roles = {r["role"] for r in data["staff"] if r["clinic_id"] == cid}
        assert roles == set(RECORD_TYPES["staff"].column("role").allowed)
    staff_ids = {r["staff_id"] for r in data["staff"]}
    assert all(r["supervisor_id"] in staff_ids for r in data["staff"] if r["supervisor_id"])
    sched = data["room_schedule"]
    assert any(r["room_id"] == "*" for r in sched)
    assert any(r["weekday"] == "6" for r in sched), "one clinic opens Saturday mornings"
    patients = {r["patient_id"] for r in data["encounters"] if r["patient_id"]}
    assert all(re.fullmatch(r"PAT-\d{6,}", p) for p in patients)
    codes = {r["procedure_code"] for r in data["procedures"]}
    assert {"EAR_IRRIGATION", "VENIPUNCTURE", "US_BIOPSY", "MINOR_SURGERY", "SUTURE", "WOUND_CHECK"} <= codes


# ---- determinism -------------------------------------------------------------------------------------------
def test_same_seed_gives_identical_bytes(sim, tmp_path):
    out, _, _, _ = sim
    again = tmp_path / "again"
    simulate(again, SMALL)
    for f in sorted(out.iterdir()):
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name


def test_different_seed_gives_different_data(sim, tmp_path):
    out, _, _, _ = sim
    other = tmp_path / "other"
    simulate(other, SimulationConfig(clinics=2, days=14, seed=8))
    for name in ("encounters", "procedures", "lab_specimens", "room_events"):
        assert (other / f"{name}.csv").read_bytes() != (out / f"{name}.csv").read_bytes(), name


def test_worker_processes_give_the_same_bytes(tmp_path):
    cfg = SimulationConfig(clinics=3, days=4, seed=3)
    simulate(tmp_path / "one", cfg, workers=1)
    simulate(tmp_path / "two", cfg, workers=2)
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "two").iterdir())
    for name in names:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name


def test_a_clinic_does_not_depend_on_how_many_are_simulated(sim, tmp_path):
    _, _, _, data = sim
    one = tmp_path / "one"
    simulate(one, SimulationConfig(clinics=1, days=14, seed=7))
    mine = [r for r in data["procedures"] if r["clinic_id"] == "C01"]
    assert read(one, "procedures") == mine[: len(read(one, "procedures"))]


# ---- keys and references ------------------------------------------------------------------------------------
def test_keys_unique_outside_planted_rows(sim, planted_rows):
    _, _, _, data = sim
    for name, rt in RECORD_TYPES.items():
        seen = set()
        for row in clean_rows(data, planted_rows, name):
            k = tuple(row[c] for c in rt.key)
            assert k not in seen, (name, k)
            seen.add(k)


def test_references_resolve(sim, planted_rows):
    _, _, planted, data = sim
    enc = {(r["clinic_id"], r["encounter_id"]) for r in data["encounters"]}
    # an encounter whose id or clinic was blanked by a planted error still exists under its original key
    enc |= {
        (e["key"]["clinic_id"], e["key"]["encounter_id"]) for e in planted["errors"] if e["record_type"] == "encounters"
    }
    loads = {(r["clinic_id"], r["load_id"]): r for r in data["sterilizer_cycles"]}
    rooms = {(r["clinic_id"], r["room_id"]) for r in data["rooms"]}
    staff = {r["staff_id"] for r in data["staff"]}
    devices = {(r["clinic_id"], r["device_id"]) for r in data["disinfection_cycles"]}
    for p in clean_rows(data, planted_rows, "procedures"):
        assert (p["clinic_id"], p["room_id"]) in rooms
        assert p["performed_by"] in staff
        if p["encounter_id"]:
            assert (p["clinic_id"], p["encounter_id"]) in enc
        if p["status"] != "cancelled" and p["procedure_code"] in ("MINOR_SURGERY", "US_BIOPSY", "SUTURE"):
            load = loads[(p["clinic_id"], p["sterilizer_load_id"])]
            assert load["released_at"] and load["contains_implant"] == "false"
            if p["patient_in_at"]:
                assert ts(load["released_at"]) <= ts(p["patient_in_at"])
        if p["procedure_code"] == "US_BIOPSY" and p["status"] != "cancelled":
            assert (p["clinic_id"], p["device_id"]) in devices
    for s in clean_rows(data, planted_rows, "lab_specimens"):
        if s["encounter_id"]:
            assert (s["clinic_id"], s["encounter_id"]) in enc
        for col in ("ordered_by", "collected_by", "performed_by"):
            assert s[col] == "" or s[col] in staff
    for e in data["room_events"]:
        assert (e["clinic_id"], e["room_id"]) in rooms


# ---- timelines ----------------------------------------------------------------------------------------------
def ordered(row, cols):
    vals = [ts(row[c]) for c in cols if row[c]]
    return all(a <= b for a, b in zip(vals, vals[1:], strict=False))


def test_timelines_ordered_outside_planted_rows(sim, planted_rows):
    _, _, _, data = sim
    for e in clean_rows(data, planted_rows, "encounters"):
        assert ordered(e, ["arrived_at", "exam_room_in_at", "exam_room_out_at", "departed_at"]), e
    for p in clean_rows(data, planted_rows, "procedures"):
        assert ordered(p, ["patient_in_at", "procedure_start_at", "procedure_end_at", "patient_out_at"]), p
        if p["status"] == "cancelled":
            assert not p["patient_in_at"] and not p["patient_out_at"]
    for s in clean_rows(data, planted_rows, "lab_specimens"):
        assert ordered(s, ["collected_at", "received_at", "resulted_at", "verified_at", "reviewed_at"]), s
        if s["ordered_at"]:
            assert ts(s["ordered_at"]) < ts(s["collected_at"]), s
        if s["shipped_at"]:
            assert ts(s["collected_at"]) <= ts(s["shipped_at"]) <= ts(s["received_at"] or s["shipped_at"])
        if s["performing_site"] == "in_house" and s["received_at"]:
            delta = ts(s["received_at"]) - ts(s["collected_at"])
            assert timedelta(0) <= delta <= timedelta(minutes=1)
    for c in data["sterilizer_cycles"]:
        assert ordered(c, ["started_at", "ended_at", "released_at"]), c
        if c["bi_read_at"]:
            assert ts(c["bi_read_at"]) > ts(c["ended_at"])


def test_rooms_never_hold_two_patients(sim, planted_rows):
    _, _, _, data = sim
    spans = defaultdict(list)
    for p in clean_rows(data, planted_rows, "procedures"):
        if p["patient_in_at"] and p["patient_out_at"]:
            spans[(p["clinic_id"], p["room_id"])].append((ts(p["patient_in_at"]), ts(p["patient_out_at"])))
    for e in clean_rows(data, planted_rows, "encounters"):
        if e["exam_room_in_at"] and e["exam_room_out_at"]:
            spans[(e["clinic_id"], e["exam_room_id"])].append((ts(e["exam_room_in_at"]), ts(e["exam_room_out_at"])))
    assert spans
    for key, s in spans.items():
        s.sort()
        for (_, out1), (in2, _) in zip(s, s[1:], strict=False):
            assert out1 <= in2, key


def test_patient_flow_is_plausible(sim, planted_rows):
    _, _, _, data = sim
    procs = [p for p in clean_rows(data, planted_rows, "procedures") if p["scheduled_start_at"]]
    cancelled = sum(p["status"] == "cancelled" for p in procs) / len(procs)
    assert 0.01 < cancelled < 0.06
    started = [p for p in procs if p["patient_in_at"]]
    late = sum(ts(p["patient_in_at"]) > ts(p["scheduled_start_at"]) + timedelta(minutes=5) for p in started)
    assert 0.02 < late / len(started) < 0.35, "late starts are occasional"
    arrivals = [ts(e["arrived_at"]).hour for e in clean_rows(data, planted_rows, "encounters")]
    by_hour = {h: arrivals.count(h) for h in range(7, 18)}
    assert by_hour[10] > by_hour[12] < by_hour[14], "peaks mid-morning and after lunch"


def test_rapid_test_turnaround(sim, planted_rows):
    _, _, _, data = sim
    rapid = [
        (ts(s["resulted_at"]) - ts(s["collected_at"])).total_seconds() / 60
        for s in clean_rows(data, planted_rows, "lab_specimens")
        if s["performing_site"] == "in_house" and s["resulted_at"]
    ]
    assert len(rapid) > 100
    assert 10 <= statistics.median(rapid) <= 25
    assert max(rapid) > 30, "a tail of slower results"
    sendout = [
        (ts(s["resulted_at"]) - ts(s["shipped_at"])).total_seconds() / 86400
        for s in clean_rows(data, planted_rows, "lab_specimens")
        if s["performing_site"] == "send_out" and s["resulted_at"] and s["shipped_at"]
    ]
    assert sendout and 0.5 < statistics.median(sendout) < 3.5
    labs = {s["reference_lab"] for s in data["lab_specimens"] if s["reference_lab"]}
    assert labs <= {"Labor Dr. Wisplinghoff", "Synlab", "Unilabs"}


def test_some_rapid_results_arrive_after_the_patient_left(sim, planted_rows):
    _, _, _, data = sim
    dep = {
        (e["clinic_id"], e["encounter_id"]): ts(e["departed_at"])
        for e in clean_rows(data, planted_rows, "encounters")
        if e["departed_at"]
    }
    before = after = 0
    for s in clean_rows(data, planted_rows, "lab_specimens"):
        d = dep.get((s["clinic_id"], s["encounter_id"]))
        if s["performing_site"] == "in_house" and s["resulted_at"] and d:
            if ts(s["resulted_at"]) <= d:
                before += 1
            else:
                after += 1
    assert before > 4 * after > 0


def test_bowie_dick_first_on_each_day_of_use(sim):
    _, _, p, data = sim
    missed = {(lp["key"]["clinic_id"], lp["key"]["sterilizer_id"], lp["key"]["date"]) for lp in p["lapses"]
              if lp["kind"] == "missed_bowie_dick"}
    days = defaultdict(list)
    for c in data["sterilizer_cycles"]:
        days[(c["clinic_id"], c["sterilizer_id"], c["started_at"][:10])].append(c)
    for key, cycles in days.items():
        cycles.sort(key=lambda c: c["started_at"])
        types = [c["cycle_type"] for c in cycles]
        if key in missed:
            assert "bowie_dick" not in types
            continue
        first_pv = types.index("prevacuum") if "prevacuum" in types else len(types)
        assert "bowie_dick" in types[:first_pv], key


# ---- planted noise ------------------------------------------------------------------------------------------
def test_planted_errors_are_in_the_files(sim):
    _, _, planted, data = sim
    assert planted["errors"], "error_rate > 0 plants errors"
    kinds = {e["kind"] for e in planted["errors"]}
    assert kinds == {"required_blank", "bad_timestamp", "unknown_enum", "result_before_collection", "out_before_in"}
    for e in planted["errors"]:
        row = data[e["record_type"]][e["record"] - 1]
        assert row[e["column"]] == (e["planted"] or ""), e
        assert e["planted"] != e["original"]
        assert e["line"] == e["record"] + 1
        col = RECORD_TYPES[e["record_type"]].column(e["column"])
        if e["kind"] == "required_blank":
            assert col.required and row[e["column"]] == ""
        elif e["kind"] == "bad_timestamp":
            with pytest.raises(ValueError):
                datetime.strptime(row[e["column"]], "%Y-%m-%d %H:%M:%S")
            with pytest.raises(ValueError):
                datetime.strptime(row[e["column"]], "%d.%m.%Y %H:%M")
        elif e["kind"] == "unknown_enum":
            assert row[e["column"]] not in col.allowed
        elif e["kind"] == "result_before_collection":
            assert ts(row["resulted_at"]) < ts(row["collected_at"])
        elif e["kind"] == "out_before_in":
            assert ts(row["patient_out_at"]) < ts(row["patient_in_at"])
        for k, v in e["key"].items():
            if not (e["kind"] == "required_blank" and e["column"] == k):
                assert row[k] == v


def test_error_rate_is_respected(sim):
    _, summary, planted, _ = sim
    n = sum(summary[t] for t in ("encounters", "procedures", "lab_specimens"))
    assert 0.4 * SMALL.error_rate * n < len(planted["errors"]) < 2.0 * SMALL.error_rate * n


def test_missing_cells_are_empty(sim):
    _, _, planted, data = sim
    cells = planted["missing"]["cells"]
    assert cells and len(cells) == planted["missing"]["total"]
    for file, record, column in cells:
        name = file.removesuffix(".csv")
        assert data[name][record - 1][column] == ""
        assert not RECORD_TYPES[name].column(column).required


def test_no_noise_when_rates_are_zero(tmp_path):
    out = tmp_path / "clean"
    simulate(out, SimulationConfig(clinics=1, days=3, error_rate=0, missing_rate=0, lapse_scale=0))
    planted = json.loads((out / "planted.json").read_text(encoding="utf-8"))
    assert planted["errors"] == [] and planted["lapses"] == [] and planted["missing"]["total"] == 0


def test_scale_knob_changes_volume(tmp_path):
    low, high = tmp_path / "low", tmp_path / "high"
    a = simulate(low, SimulationConfig(clinics=1, days=5, encounters_per_room_day=6))
    b = simulate(high, SimulationConfig(clinics=1, days=5, encounters_per_room_day=30))
    assert b["encounters"] > 2 * a["encounters"]
    assert b["procedures"] > a["procedures"]


def test_config_is_validated(tmp_path):
    with pytest.raises(ValueError):
        simulate(tmp_path, SimulationConfig(clinics=0))
    with pytest.raises(ValueError):
        simulate(tmp_path, SimulationConfig(error_rate=1.5))


# ---- compliance lapses: planted == detectable, and nothing else -------------------------------------------
def detect_lapses(data) -> set[tuple]:
    """An independent, naive detector of every lapse kind over the written files."""
    found: set[tuple] = set()
    procs = data["procedures"]
    enc = {(e["clinic_id"], e["encounter_id"]): e for e in data["encounters"]}
    for p in procs:
        if p["status"] == "cancelled" or not p["encounter_id"]:
            continue
        e = enc.get((p["clinic_id"], p["encounter_id"]))
        if e is None:
            continue
        if e["chaperone_requested"] == "true" and p["chaperone_present"] == "false":
            found.add(("chaperone_absent", p["clinic_id"], p["procedure_id"]))
        if e["interpreter_requested"] == "true" and p["interpreter_present"] == "false":
            found.add(("interpreter_absent", p["clinic_id"], p["procedure_id"]))
    # cleaning between consecutive patients; terminal clean per room-day used
    events = defaultdict(list)
    for ev in data["room_events"]:
        events[(ev["clinic_id"], ev["room_id"])].append((ts(ev["occurred_at"]), ev["event_type"]))
    by_room_day = defaultdict(list)
    for p in procs:
        if p["status"] != "cancelled" and p["patient_in_at"] and p["patient_out_at"]:
            by_room_day[(p["clinic_id"], p["room_id"], p["patient_in_at"][:10])].append(p)
    used = defaultdict(set)  # (clinic, room) -> dates used
    for (cid, room, day), ps in by_room_day.items():
        used[(cid, room)].add(day)
        ps.sort(key=lambda p: p["patient_in_at"])
        for a, b in zip(ps, ps[1:], strict=False):
            lo, hi = ts(a["patient_out_at"]), ts(b["patient_in_at"])
            if not any(lo <= t <= hi and typ == "cleaning_start" for t, typ in events[(cid, room)]):
                found.add(("skipped_cleaning", cid, b["procedure_id"]))
    for e in data["encounters"]:
        if e["exam_room_id"] and e["exam_room_out_at"]:
            used[(e["clinic_id"], e["exam_room_id"])].add(e["exam_room_out_at"][:10])
    for s in data["lab_specimens"]:
        if s["performing_site"] == "in_house" and s["resulted_at"] and s["status"] in ("final", "corrected"):
            used[(s["clinic_id"], "LAB1")].add(s["resulted_at"][:10])
    for (cid, room), days in used.items():
        terminal_days = {t.date().isoformat() for t, typ in events[(cid, room)] if typ == "terminal_clean_start"}
        for d in days - terminal_days:
            found.add(("missing_terminal_clean", cid, room, d))
    # sterilizers
    window_start = min(e["arrived_at"][:10] for e in data["encounters"])
    sdays = defaultdict(list)
    for c in data["sterilizer_cycles"]:
        sdays[(c["clinic_id"], c["sterilizer_id"], c["started_at"][:10])].append(c)
        if c["bi_result"] == "positive":
            found.add(("positive_bi", c["clinic_id"], c["load_id"]))
        if c["contains_implant"] == "true" and c["released_at"] and (
            not c["bi_read_at"] or c["released_at"] < c["bi_read_at"]
        ):
            found.add(("implant_released_before_bi", c["clinic_id"], c["load_id"]))
    for (cid, ster, day), cycles in sdays.items():
        types = {c["cycle_type"] for c in cycles}
        if "prevacuum" in types and "bowie_dick" not in types and day >= window_start:
            found.add(("missed_bowie_dick", cid, ster, day))
    # probes: a disinfection cycle between consecutive uses
    dis = defaultdict(list)
    for d in data["disinfection_cycles"]:
        dis[(d["clinic_id"], d["device_id"])].append((ts(d["started_at"]), ts(d["ended_at"])))
    uses = defaultdict(list)
    for p in procs:
        if p["device_id"] and p["patient_in_at"] and p["patient_out_at"]:
            uses[(p["clinic_id"], p["device_id"])].append(p)
    for key, ps in uses.items():
        ps.sort(key=lambda p: p["patient_in_at"])
        for a, b in zip(ps, ps[1:], strict=False):
            lo, hi = ts(a["patient_out_at"]), ts(b["patient_in_at"])
            if not any(lo <= s and e <= hi for s, e in dis[key]):
                found.add(("probe_reuse_without_reprocessing", key[0], b["procedure_id"]))
    # certifications: every working day covered for each certificate the role needs
    staff = {s["staff_id"]: s for s in data["staff"]}
    certs = defaultdict(list)
    for c in data["certifications"]:
        certs[(c["staff_id"], c["certification_code"])].append(
            (date.fromisoformat(c["issued_on"]), date.fromisoformat(c["expires_on"]))
        )
    first = date.fromisoformat(window_start)
    last = max(date.fromisoformat(e["arrived_at"][:10]) for e in data["encounters"])
    for sid, s in staff.items():
        for code in ROLE_CERTS[s["role"]]:
            d = max(first, date.fromisoformat(s["started_on"]))
            end = min(last, date.fromisoformat(s["ended_on"])) if s["ended_on"] else last
            while d <= end:
                if not any(i <= d <= x for i, x in certs[(sid, code)]):
                    found.add(("expired_certification", sid, code))
                    break
                d += timedelta(days=1)
    # competency: non-waived test systems 6 and 12 months after the initial assessment, then 12 months after the
    # previous one; waived test systems and procedure skills 12 months after the previous one
    ass = defaultdict(set)
    for a in data["competency_assessments"]:
        if a["outcome"] == "pass":
            ass[(a["staff_id"], a["competency_code"])].add(date.fromisoformat(a["assessed_on"]))
    for (sid, code), days in ass.items():
        s = staff[sid]
        ds = sorted(days)
        hired = date.fromisoformat(s["started_on"])
        end = min(last, date.fromisoformat(s["ended_on"])) if s["ended_on"] else last
        first_year = code in NON_WAIVED and (ds[0] - hired).days < 60
        for i, d in enumerate(ds):
            if first_year and i == 0:
                due = _add_months(d, 6)
            elif first_year and i == 1:
                due = _add_months(ds[0], 12)
            else:
                due = _add_months(d, 12)
            nxt = ds[i + 1] if i + 1 < len(ds) else None
            if first <= due <= end and (nxt is None or nxt > due):
                found.add(("overdue_competency", sid, code))
    return found


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise AssertionError


def planted_lapse_keys(planted) -> set[tuple]:
    out = set()
    for lp in planted["lapses"]:
        k = lp["key"]
        kind = lp["kind"]
        if kind in ("chaperone_absent", "interpreter_absent", "skipped_cleaning", "probe_reuse_without_reprocessing"):
            out.add((kind, k["clinic_id"], k["procedure_id"]))
        elif kind == "missing_terminal_clean":
            out.add((kind, k["clinic_id"], k["room_id"], k["date"]))
        elif kind in ("positive_bi", "implant_released_before_bi"):
            out.add((kind, k["clinic_id"], k["load_id"]))
        elif kind == "missed_bowie_dick":
            out.add((kind, k["clinic_id"], k["sterilizer_id"], k["date"]))
        elif kind == "expired_certification":
            out.add((kind, k["staff_id"], k["certification_code"]))
        elif kind == "overdue_competency":
            out.add((kind, k["staff_id"], k["competency_code"]))
        else:
            raise AssertionError(kind)
    return out


def test_every_lapse_kind_is_planted(sim):
    _, _, planted, _ = sim
    kinds = {lp["kind"] for lp in planted["lapses"]}
    assert kinds == {
        "overdue_competency",
        "expired_certification",
        "missed_bowie_dick",
        "positive_bi",
        "implant_released_before_bi",
        "probe_reuse_without_reprocessing",
        "skipped_cleaning",
        "missing_terminal_clean",
        "chaperone_absent",
        "interpreter_absent",
    }
    assert sum(planted["lapse_counts"].values()) == len(planted["lapses"])


def test_detectable_lapses_are_exactly_the_planted_ones(sim, planted_rows):
    _, _, planted, data = sim
    clean = {name: clean_rows(data, planted_rows, name) for name in data}
    assert detect_lapses(clean) == planted_lapse_keys(planted)


def test_non_waived_testers_assessed_twice_in_their_first_year(tmp_path):
    out = tmp_path / "fy"
    simulate(out, SimulationConfig(clinics=2, days=35, seed=7, error_rate=0, missing_rate=0))
    hired = {s["staff_id"]: date.fromisoformat(s["started_on"]) for s in read(out, "staff")}
    days = defaultdict(set)
    for a in read(out, "competency_assessments"):
        if a["element"] == "direct_observation" and a["outcome"] == "pass":
            days[(a["staff_id"], a["competency_code"])].add(date.fromisoformat(a["assessed_on"]))
    end = date(2026, 8, 1) + timedelta(days=35)
    checked = 0
    for (sid, code), ds in days.items():
        ds = sorted(ds)
        if code not in NON_WAIVED or (ds[0] - hired[sid]).days > 60:
            continue
        for months, needed in ((6, 2), (12, 3)):
            due = _add_months(ds[0], months)
            if due < end:
                checked += 1
                assert len([d for d in ds if d <= due]) >= needed, (sid, code, ds)
    assert checked


def test_lapse_details_match_the_files(sim):
    _, _, planted, data = sim
    procs = {(p["clinic_id"], p["procedure_id"]): p for p in data["procedures"]}
    for lp in planted["lapses"]:
        k, d = lp["key"], lp["detail"]
        if lp["kind"] == "probe_reuse_without_reprocessing":
            a = procs[(k["clinic_id"], d["previous_procedure_id"])]
            b = procs[(k["clinic_id"], k["procedure_id"])]
            assert a["device_id"] == b["device_id"] == d["device_id"]
        elif lp["kind"] == "skipped_cleaning":
            a = procs[(k["clinic_id"], d["previous_procedure_id"])]
            b = procs[(k["clinic_id"], k["procedure_id"])]
            assert a["room_id"] == b["room_id"] == d["room_id"]
        elif lp["kind"] == "expired_certification":
            rows = [c for c in data["certifications"] if c["staff_id"] == k["staff_id"]
                    and c["certification_code"] == k["certification_code"]]
            assert any(c["expires_on"] == d["expires_on"] for c in rows)
            assert all(not (c["issued_on"] <= d["lapsed_from"] <= c["expires_on"]) for c in rows)
        elif lp["kind"] == "overdue_competency":
            done = {a["assessed_on"] for a in data["competency_assessments"]
                    if a["staff_id"] == k["staff_id"] and a["competency_code"] == k["competency_code"]}
            assert d["last_assessed_on"] in done
            assert not any(d["last_assessed_on"] < x <= d["due_on"] for x in done)
