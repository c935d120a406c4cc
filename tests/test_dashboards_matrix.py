"""Every page of the registry, for every role, in English and German, on three data sets: the `make demo` network,
the hand-made fixture, and the demo network with every optional value blank. No page may raise, and each must show
something meaningful: a KPI card, or "No data for this selection.".

Written against the registry (dashboards/registry.py), not a list of pages, so a new or rewritten page is covered
as soon as it is registered. The demo data is what made the Data quality page crash for every role (room rows carry
NULL flags) while the hand-made pages passed.
"""

from __future__ import annotations

import pytest

from backoffice.users import ROLES
from dashboards.i18n import t
from dashboards.registry import pages_for
from dashboards.testing import signed_in_app, write_test_users
from tests.conftest import APP

DATA_SETS = ("demo", "handmade", "demo_all_null")
CLINICS = ("C01", "C02", "C03")  # every clinic of the demo network (the hand-made one has C01 and C02)
USERS = {role: (role, CLINICS) for role in ROLES}  # user name = role


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("data_set", DATA_SETS)
def test_every_page_renders_something(request, use_warehouse, tmp_path, monkeypatch, data_set, role, lang):
    use_warehouse(request.getfixturevalue(data_set))
    monkeypatch.setenv("BACKOFFICE_USERS_FILE", str(write_test_users(tmp_path, USERS)))
    at = signed_in_app(APP, role, lang, timeout=120)
    problems: dict[str, object] = {}
    for spec in pages_for(role):
        at.switch_page(f"app_pages/{spec.key}.py").run()
        if at.exception:
            problems[spec.key] = [e.message for e in at.exception]
            continue
        if at.error:
            problems[spec.key] = [e.value for e in at.error]
            continue
        if not at.title or at.title[0].value != t(spec.title_key, lang):
            problems[spec.key] = f"title {[x.value for x in at.title]}"
        elif not at.metric and not any(i.value == t("no_data", lang) for i in at.info):
            problems[spec.key] = "neither a KPI nor the no-data message"
    assert not problems, problems
