"""Seeded clinic simulator: writes one CSV per record type of the source contract plus planted.json.

    from simulator.generate import simulate, SimulationConfig
    summary = simulate(Path("data/raw"), SimulationConfig(clinics=3, days=90))

Output: UTF-8, comma-separated, a header row in contract column order, timestamps `YYYY-MM-DD HH:MM:SS` in the
clinic's local time without offset, dates `YYYY-MM-DD`, booleans `true`/`false`, empty for null, no quoting
(no generated value contains a comma, quote or line break). The same config gives byte-identical files.

planted.json lists what was planted on purpose so tests can check that the pipeline finds exactly that; its
layout is in `write_planted`'s docstring and in simulator/README.md.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingest.contract import RECORD_TYPES

from .arrays import day_number, stream
from .build import build_clinic_output
from .masterdata import DEFAULT_ENCOUNTERS_PER_ROOM_DAY
from .noise import CELL_LIST_LIMIT, NoiseLog, apply_noise

SIMULATOR_VERSION = 1


@dataclass
class SimulationConfig:
    clinics: int = 3
    days: int = 90
    seed: int = 42
    start_date: date = date(2026, 8, 1)
    error_rate: float = 0.01
    missing_rate: float = 0.01
    encounters_per_room_day: float | None = None  # scale knob; None = 16 walk-ins per exam room and day
    lapse_scale: float = 1.0  # multiplies the compliance-lapse rates; 0 plants none

    def validate(self) -> None:
        if self.clinics < 1 or self.clinics > 999:
            raise ValueError("clinics must be between 1 and 999")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        for name in ("error_rate", "missing_rate"):
            v = getattr(self, name)
            if not 0.0 <= v <= 0.5:
                raise ValueError(f"{name} must be between 0 and 0.5")
        if self.encounters_per_room_day is not None and not 0 < self.encounters_per_room_day <= 200:
            raise ValueError("encounters_per_room_day must be in (0, 200]")
        if self.lapse_scale < 0:
            raise ValueError("lapse_scale must be >= 0")


CSV_OPTIONS = dict(include_header=False, quoting_style="none", batch_size=65_536)


def _write_csv(f, table: pa.Table) -> None:
    """Rows only (the header is written once per file); no quoting: no generated value needs it."""
    if table.num_rows:
        with pacsv.CSVWriter(f, table.schema, write_options=pacsv.WriteOptions(**CSV_OPTIONS)) as w:
            w.write_table(table)


class _Writers:
    def __init__(self, out_dir: Path):
        self.files = {}
        self.rows: dict[str, int] = {}
        for name, rt in RECORD_TYPES.items():
            f = open(out_dir / f"{name}.csv", "wb")  # noqa: SIM115 - closed in close()
            f.write((",".join(rt.column_names) + "\n").encode("utf-8"))
            f.flush()  # nothing buffered when worker processes are forked
            self.files[name] = f
            self.rows[name] = 0

    def write(self, name: str, table: pa.Table) -> None:
        _write_csv(self.files[name], table)
        self.files[name].flush()
        self.rows[name] += table.num_rows

    def append_part(self, name: str, part: Path, rows: int) -> None:
        with open(part, "rb") as src:
            shutil.copyfileobj(src, self.files[name], 16 * 1024 * 1024)
        self.files[name].flush()
        part.unlink()
        self.rows[name] += rows

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def _clinic_job(
    idx: int, config: SimulationConfig, d0: int, part_dir: Path | None = None
) -> tuple[int, dict, list[dict], dict]:
    """Everything for one clinic, noise included (record numbers relative to the clinic's slice).
    With part_dir the tables are written there as headerless CSV parts and only the row counts come back."""
    out = build_clinic_output(idx, config.seed, d0, config.days, config.lapse_scale, config.encounters_per_room_day)
    tables, logs = {}, {}
    for i, name in enumerate(RECORD_TYPES):
        rng = stream(config.seed, idx, "errors", i)
        table, logs[name] = apply_noise(
            name, out.tables[name], out.protected.get(name), config.error_rate, config.missing_rate, rng
        )
        if part_dir is None:
            tables[name] = table
        else:
            with open(part_dir / f"{name}.{idx:04d}.csv", "wb") as f:
                _write_csv(f, table)
            tables[name] = table.num_rows
    return idx, tables, out.lapses, logs


def _default_workers(clinics: int, days: int) -> int:
    if clinics < 4 or clinics * days < 3000:  # starting worker processes costs about a second
        return 1
    return max(1, min(os.cpu_count() or 1, 8, clinics))


def simulate(
    out_dir: Path, config: SimulationConfig | None = None, *, workers: int | None = None,
    planted_path: Path | None = None,
) -> dict[str, int]:
    """Write `out_dir/<record_type>.csv` for every record type and the answer key `planted_path` (default
    `out_dir/planted.json`; the CLI keeps it outside the folder it ingests).
    Returns the number of data rows written per record type.

    Clinics are generated independently (one random stream per clinic and purpose), in worker processes when
    there are several clinics and CPUs (`workers=1` forces one process); the files are assembled in clinic
    order, so the output does not depend on `workers`."""
    config = config or SimulationConfig()
    config.validate()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    d0 = day_number(config.start_date)
    workers = _default_workers(config.clinics, config.days) if workers is None else max(1, int(workers))
    writers = _Writers(out_dir)
    merged = _Planted()
    part_dir = None
    try:
        if workers > 1:
            part_dir = Path(tempfile.mkdtemp(prefix=".parts-", dir=out_dir))
        for idx, tables, lapses, logs in _jobs(config, d0, workers, part_dir):
            merged.lapses += lapses
            for name in RECORD_TYPES:
                merged.add(name, logs[name], writers.rows[name])
                if part_dir is None:
                    writers.write(name, tables[name])
                else:
                    writers.append_part(name, part_dir / f"{name}.{idx:04d}.csv", tables[name])
            del tables
    finally:
        writers.close()
        if part_dir is not None:
            shutil.rmtree(part_dir, ignore_errors=True)
    summary = dict(writers.rows)
    write_planted(Path(planted_path) if planted_path else out_dir / "planted.json", config, summary, merged)
    return summary


def _jobs(
    config: SimulationConfig, d0: int, workers: int, part_dir: Path | None
) -> Iterator[tuple[int, dict, list[dict], dict]]:
    if workers <= 1:
        for idx in range(config.clinics):
            yield _clinic_job(idx, config, d0)
        return
    # fork where available: no re-import of the caller's __main__ (spawn would re-run an unguarded script);
    # Arrow's thread pool re-initialises itself in a forked child.
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        pending: deque = deque()
        nxt = 0
        while nxt < config.clinics or pending:
            while nxt < config.clinics and len(pending) < 2 * workers:  # bounded look-ahead: flat memory and disk
                pending.append(pool.submit(_clinic_job, nxt, config, d0, part_dir))
                nxt += 1
            yield pending.popleft().result()


@dataclass
class _Planted:
    errors: list[pa.Table] = field(default_factory=list)
    missing_counts: dict[str, int] = field(default_factory=dict)
    missing_total: int = 0
    missing_cells: list[tuple[str, np.ndarray, str]] = field(default_factory=list)
    lapses: list[dict] = field(default_factory=list)

    def add(self, name: str, log: NoiseLog, offset: int) -> None:
        if log.errors is not None and log.errors.num_rows:
            t = log.errors
            t = t.set_column(t.schema.get_field_index("record"), "record", pc.add(t["record"], offset))
            t = t.set_column(t.schema.get_field_index("line"), "line", pc.add(t["line"], offset))
            self.errors.append(t)
        for cn, k in log.missing_counts.items():
            key = f"{name}.{cn}"
            self.missing_counts[key] = self.missing_counts.get(key, 0) + k
            self.missing_total += k
        if self.missing_total <= CELL_LIST_LIMIT:
            for recs, cn in zip(log.missing_records, log.missing_columns, strict=True):
                self.missing_cells.append((f"{name}.csv", recs + offset, cn))
        else:
            self.missing_cells = []


def write_planted(path: Path, config: SimulationConfig, summary: dict, merged: _Planted) -> None:
    """planted.json:

    {
      "simulator_version": 1,
      "config": {...SimulationConfig, start_date as ISO...},
      "window": {"start": "2026-08-01", "end_exclusive": "2026-10-30"},   # the export's as-of = end_exclusive 00:00
      "row_counts": {"encounters": 123, ...},
      "errors": [ {"file": "procedures.csv", "record_type": "procedures", "record": 17, "line": 18,
                   "kind": "out_before_in", "column": "patient_out_at", "original": "...", "planted": "...",
                   "reason": "...", "key": {"clinic_id": "C01", "procedure_id": "C01-P0000017"}}, ... ],
      "error_counts": {"procedures.out_before_in": 3, ...},
      "missing": {"rate": 0.01, "total": 456, "by_column": {"procedures.patient_in_at": 12, ...},
                  "cells": [["procedures.csv", 17, "patient_in_at"], ...] or null when more than 50 000},
      "lapses": [ {"kind": "missed_bowie_dick", "clinic_id": "C01", "key": {...}, "detail": {...}}, ... ],
      "lapse_counts": {"missed_bowie_dick": 1, ...}
    }
    `record` is the 1-based data record number in the file (the header is not a record); `line` = record + 1.
    Error keys hold the row's original key values (a required_blank may have emptied one of them).
    """
    errors: list[dict] = []
    for t in merged.errors:
        errors += t.to_pylist()
    errors.sort(key=lambda e: (e["file"], e["record"]))
    error_counts: dict[str, int] = {}
    for e in errors:
        k = f"{e['record_type']}.{e['kind']}"
        error_counts[k] = error_counts.get(k, 0) + 1
    cells = None
    if merged.missing_total <= CELL_LIST_LIMIT:
        cells = []
        for file, recs, cn in merged.missing_cells:
            cells += [[file, int(r), cn] for r in recs.tolist()]
        cells.sort()
    lapses = merged.lapses
    lapse_counts: dict[str, int] = {}
    for lp in lapses:
        lapse_counts[lp["kind"]] = lapse_counts.get(lp["kind"], 0) + 1
    cfg = asdict(config)
    cfg["start_date"] = config.start_date.isoformat()
    end = np.datetime64(config.start_date) + np.timedelta64(config.days, "D")
    doc = {
        "simulator_version": SIMULATOR_VERSION,
        "config": cfg,
        "defaults": {"encounters_per_room_day": DEFAULT_ENCOUNTERS_PER_ROOM_DAY},
        "window": {"start": config.start_date.isoformat(), "end_exclusive": str(end)},
        "row_counts": summary,
        "errors": errors,
        "error_counts": dict(sorted(error_counts.items())),
        "missing": {
            "rate": config.missing_rate,
            "total": merged.missing_total,
            "by_column": dict(sorted(merged.missing_counts.items())),
            "cells": cells,
        },
        "lapses": lapses,
        "lapse_counts": dict(sorted(lapse_counts.items())),
    }
    # one entry per line: readable and diff-friendly, and fast (the C encoder does each line)
    parts = []
    for k, v in doc.items():
        if isinstance(v, list) and v:
            body = ",\n  ".join(json.dumps(x, ensure_ascii=False) for x in v)
            parts.append(f"{json.dumps(k)}: [\n  {body}\n ]")
        elif k == "missing" and v["cells"]:
            inner = {kk: vv for kk, vv in v.items() if kk != "cells"}
            head = json.dumps(inner, ensure_ascii=False)[:-1]
            cells = ",\n   ".join(json.dumps(x, ensure_ascii=False) for x in v["cells"])
            parts.append(f'{json.dumps(k)}: {head}, "cells": [\n   {cells}\n  ]}}')
        else:
            parts.append(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n " + ",\n ".join(parts) + "\n}\n")
