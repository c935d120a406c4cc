"""Which pages exist, where they sit in the navigation, and which roles may open them.

The entry script builds `st.navigation` from this registry for the signed-in user's role, and every page file
starts with `require_page("<key>")`, which checks the same registry again (a page left out of the navigation
cannot be reached by URL either; running the file some other way still stops at the check).

Adding a page for a new mart (send-outs, throughput, competency, sterility):
1. `dashboards/app_pages/<key>.py`, starting with `user = require_page("<key>")`, reading the mart through
   `dashboards.data.query` with bound parameters (data.py adds the clinic restriction itself);
2. a `PageSpec` below with its section and roles;
3. labels `page_<key>` (and the page's own) in `dashboards/i18n.py`, English and German;
4. an exposure at the end of `models/exposures.yml` naming the marts it reads;
5. tests/test_dashboards_pages.py covers every page in PAGES for every role automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backoffice.users import ROLES

APP_PAGES = Path(__file__).resolve().parent / "app_pages"
ALL = frozenset(ROLES)


@dataclass(frozen=True)
class PageSpec:
    key: str  # file app_pages/<key>.py, URL path /<key>, title label page_<key>
    section: str  # label key of the navigation section
    icon: str  # Material Symbols (bundled with Streamlit; emoji need fonts a server may lack)
    roles: frozenset[str]
    reads: tuple[str, ...] = ()  # tables the page reads (documentation; models/exposures.yml is the dbt side)

    @property
    def path(self) -> Path:
        return APP_PAGES / f"{self.key}.py"

    @property
    def title_key(self) -> str:
        return f"page_{self.key}"


# Order = order in the navigation; the first page a role may open is its landing page.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "section_summary", ":material/dashboard:", ALL,
             ("marts.fct_lab_turnaround", "marts.agg_room_utilization_daily", "marts.fct_room_occupancy",
              "marts.fct_competency_status_daily", "marts.fct_certification_status_daily",
              "marts.fct_competency_exceptions", "marts.fct_sterility_checks", "marts.fct_sterilizer_loads",
              "marts.fct_sterility_exceptions", "raw.ingest_log")),
    PageSpec("lab_turnaround", "section_operations", ":material/science:", frozenset({"manager", "admin"}),
             ("marts.fct_lab_turnaround", "reference.lab_test_catalog", "raw.clinics")),
    PageSpec("room_usage", "section_operations", ":material/meeting_room:", frozenset({"manager", "admin"}),
             ("marts.agg_room_utilization_hourly", "marts.agg_room_utilization_daily", "marts.fct_room_occupancy",
              "reference.procedure_catalog")),
    PageSpec("send_outs", "section_operations", ":material/local_shipping:", frozenset({"manager", "admin"}),
             ("marts.fct_lab_send_outs", "marts.agg_lab_send_outs_monthly")),
    PageSpec("throughput", "section_operations", ":material/speed:", frozenset({"manager", "admin"}),
             ("marts.agg_throughput_hourly", "marts.agg_throughput_room_daily", "marts.agg_throughput_room_hourly")),
    PageSpec("staff_competency", "section_staff", ":material/badge:", frozenset({"supervisor", "admin"}),
             ("marts.fct_competency_status_daily", "marts.fct_certification_status_daily",
              "marts.fct_competency_exceptions")),
    PageSpec("sterility", "section_quality", ":material/sanitizer:", frozenset({"quality", "admin"}),
             ("marts.fct_sterilizer_loads", "marts.fct_sterility_checks", "marts.fct_recall_trace",
              "marts.fct_sterility_exceptions", "marts.agg_compliance_weekly")),
    PageSpec("data_quality", "section_quality", ":material/fact_check:", frozenset({"manager", "quality", "admin"}),
             ("raw.ingest_log", "raw.quarantine", "marts.fct_lab_turnaround", "marts.fct_room_occupancy")),
)

BY_KEY = {p.key: p for p in PAGES}


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]


def can_open(role: str, key: str) -> bool:
    spec = BY_KEY.get(key)
    return spec is not None and role in spec.roles
