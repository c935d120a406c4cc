"""Source freshness: are the clinic's event exports still arriving?

dbt's `source freshness` compares each event source's newest `_ingested_at` (its `loaded_at_field`, set in
models/staging/backoffice/_backoffice__sources.yml) with now, and warns after the `warn_after` there. A figure on
a dashboard is only as current as its newest export, so `backoffice build` reports the stale ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from backoffice.build import dbt
from backoffice.settings import REPO_ROOT

NEVER = datetime.fromisoformat("0001-01-01T00:00:00+00:00")  # dbt's max_loaded_at for an empty table


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    status: str  # pass, warn, error or runtime error
    last_loaded: datetime | None  # None: never loaded

    @property
    def stale(self) -> bool:
        return self.status != "pass"


def check(db_path: Path) -> list[SourceFreshness]:
    """Run `dbt source freshness` on the warehouse; one entry per source that has a freshness rule."""
    dbt(["source", "freshness"], db_path)
    results = json.loads((REPO_ROOT / "target" / "sources.json").read_text())["results"]
    out = []
    for r in results:
        loaded = datetime.fromisoformat(r["max_loaded_at"]) if r.get("max_loaded_at") else None
        out.append(SourceFreshness(r["unique_id"].rsplit(".", 1)[-1], r["status"],
                                   None if loaded is None or loaded == NEVER else loaded))
    return sorted(out, key=lambda f: f.source)
