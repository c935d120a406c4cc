"""A CSV download in a real browser: `streamlit run` on the hand-made warehouse and headless chromium (the server
and browser fixtures of tests/test_browser.py). The download is written only on the click (Streamlit's deferred
download), so this checks that the click really delivers the file, with the rows of the table above it."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_browser import Session, browser, server  # noqa: F401 - the fixtures, shared

pytestmark = pytest.mark.browser


def test_ingest_log_download_holds_the_table_rows(server, browser):  # noqa: F811
    url, root = server
    shots = root / "shots_download"
    shots.mkdir()
    s = Session(browser, url, shots)
    s.sign_in("admin")
    s.open("Data quality")
    s.check("data_quality")
    table = s.page.locator('[data-testid="stDataFrame"]').first
    button = s.page.locator('[data-testid="stDownloadButton"]').first
    with s.page.expect_download(timeout=60_000) as download:
        button.locator("button").click()
    csv = pd.read_csv(download.value.path(), keep_default_na=False)
    assert download.value.suggested_filename == "ingest_log.csv"
    # The hand-made folder's 7 exports (tests/fixtures/handmade), one ingest-log row each, shown in the table.
    assert sorted(csv["File"]) == sorted(["clinics.csv", "rooms.csv", "room_schedule.csv", "staff.csv",
                                          "encounters.csv", "procedures.csv", "lab_specimens.csv"])
    assert table.is_visible()
    s.check("downloaded")
