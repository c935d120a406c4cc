"""The dashboards in a real browser: `streamlit run` on a free localhost port against the hand-made warehouse, Debian's
chromium driven headless by Playwright. Signs in, opens every page the role allows, changes filters and the
language, saves a screenshot of each step, and fails on any Streamlit exception or error box.

Screenshots go to the test's tmp dir (printed), and also to $BACKOFFICE_SCREENSHOTS when that is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from backoffice.dashboard_secret import streamlit_env
from backoffice.users import add_user
from dashboards.registry import pages_for
from dashboards.testing import TEST_PASSWORD, write_test_users
from tests.conftest import APP

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TITLES = {"overview": "Overview", "lab_turnaround": "Rapid-test turnaround", "room_usage": "Room usage",
          "send_outs": "Send-outs", "throughput": "Throughput", "staff_competency": "Staff competency",
          "sterility": "Sterility compliance",
          "data_quality": "Data quality"}
PROBLEMS = '[data-testid="stException"], [data-testid="stAlertContentError"], [data-testid="stAlertContentWarning"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(handmade, tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium; .ci/run does)")
    root = tmp_path_factory.mktemp("browser")
    port = free_port()
    env = streamlit_env(os.environ | {"BACKOFFICE_DB": str(handmade.db),
                                      "BACKOFFICE_SERVING_DIR": str(handmade.serving),
                                      "BACKOFFICE_USERS_FILE": str(write_test_users(root))})
    log = (root / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--global.developmentMode", "false", "--client.toolbarMode", "viewer"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            assert proc.poll() is None, (root / "streamlit.log").read_text()
            assert time.monotonic() < deadline, "streamlit did not come up within 60 s"
            time.sleep(0.3)
        yield url, root
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Session:
    """One signed-in browser tab."""

    def __init__(self, browser, url: str, shots: Path):
        self.page = browser.new_page(viewport={"width": 1440, "height": 1800}, locale="en-US",
                                     timezone_id="Europe/Berlin")
        self.url, self.shots, self.n = url, shots, 0

    def settle(self) -> None:
        """Wait until the script run has finished and the charts are drawn."""
        self.page.wait_for_timeout(400)
        self.page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
        self.page.wait_for_load_state("networkidle")
        charts = self.page.locator('[data-testid="stPlotlyChart"]')
        for i in range(charts.count()):
            charts.nth(i).locator(".main-svg").first.wait_for(timeout=30_000)
        self.page.wait_for_timeout(300)

    def check(self, name: str) -> Path:
        """Screenshot, then fail on any exception, error or warning box."""
        self.n += 1
        path = self.shots / f"{self.n:02d}_{name}.png"
        self.page.screenshot(path=str(path))
        problems = self.page.locator(PROBLEMS)
        assert problems.count() == 0, f"{name}: {problems.all_inner_texts()} (screenshot {path})"
        return path

    def sign_in(self, username: str) -> None:
        self.page.goto(self.url)
        self.page.get_by_label("User name", exact=True).fill(username)
        self.page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.settle()

    def _shows(self, signed_in: bool) -> bool:
        """Whether the page settles signed in (the sidebar names the user, no form) or on the sign-in form (playwright's
        expect retries up to 10 s while the last run's elements are replaced)."""
        from playwright.sync_api import expect

        caption = self.page.locator('[data-testid="stSidebar"]', has_text="Signed in as")
        form = self.page.get_by_label("User name", exact=True)
        try:
            expect(caption).to_have_count(1 if signed_in else 0, timeout=10_000)
            expect(form).to_have_count(0 if signed_in else 1, timeout=10_000)
        except AssertionError:
            return False
        return True

    def signed_in(self) -> bool:
        return self._shows(signed_in=True)

    def sign_in_form(self) -> bool:
        return self._shows(signed_in=False)

    def title(self) -> str:
        return self.page.locator("h1").first.inner_text().strip()

    def open(self, title: str) -> None:
        self.page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        self.settle()

    def nav_titles(self) -> list[str]:
        texts = self.page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
        return [[line.strip() for line in text.splitlines() if line.strip()][-1] for text in texts]

    def metric(self, label: str) -> str:
        card = self.page.locator('[data-testid="stMetric"]', has_text=label).first
        return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def keep_screenshots(shots: Path) -> None:
    """Print where the screenshots are, and copy them to $BACKOFFICE_SCREENSHOTS when that is set."""
    if os.environ.get("BACKOFFICE_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["BACKOFFICE_SCREENSHOTS"], dirs_exist_ok=True)
    print(f"screenshots in {shots}")

def test_manager_opens_every_page_and_filters(server, browser):
    url, root = server
    shots = root / "shots"
    shots.mkdir()
    s = Session(browser, url, shots)
    s.page.goto(url)
    s.settle()
    s.check("login")
    s.sign_in("manager")
    assert s.title() == "Overview"
    s.check("overview")
    allowed = [TITLES[p.key] for p in pages_for("manager")]
    assert [t for t in s.nav_titles() if t in TITLES.values()] == allowed
    for spec in pages_for("manager")[1:]:
        s.open(TITLES[spec.key])
        assert s.title() == TITLES[spec.key]
        s.check(spec.key)

    # A filter: drop clinic C02 on the turnaround page -> the hand-made C01 figures.
    s.open("Rapid-test turnaround")
    assert s.metric("Tests") == "5"
    clinic = s.page.locator('[data-testid="stMultiSelect"]', has_text="Clinic").first
    clinic.locator('button[aria-label^="Remove C02"]').first.click()
    s.settle()
    assert (s.metric("Tests"), s.metric("Median (min)"), s.metric("90th percentile (min)")) == ("4", "21.5", "32.0")
    s.check("lab_turnaround_c01")

    # The language: German labels, decimal commas, dd.mm.yyyy.
    s.page.locator('[data-testid="stSelectbox"]', has_text="Language").first.click()
    s.page.get_by_role("option", name="Deutsch").click()
    s.settle()
    assert s.title() == "Schnelltest-Bearbeitungszeit"
    assert s.metric("Median (Min.)") == "21,5" and s.metric("Im Zielwert") == "75,0 %"
    assert "23.11.2026" in s.page.locator('[data-testid="stSidebar"]').inner_text().replace("\n", "")
    s.check("lab_turnaround_de")
    s.open("Übersicht")
    s.check("overview_de")
    s.open("Datenqualität")
    s.check("data_quality_de")

    keep_screenshots(shots)


def test_admin_opens_every_page_in_both_languages(server, browser):
    """Every page of the registry, in English and German, with the room day timeline's day changed."""
    url, root = server
    shots = root / "shots_admin"
    shots.mkdir()
    s = Session(browser, url, shots)
    s.sign_in("admin")
    assert [t for t in s.nav_titles() if t in TITLES.values()] == [TITLES[p.key] for p in pages_for("admin")]
    for spec in pages_for("admin"):
        if spec.key != "overview":
            s.open(TITLES[spec.key])
        assert s.title() == TITLES[spec.key]
        s.check(f"admin_{spec.key}")
    # Room usage: the day timeline for Monday 2026-11-23 (C01's rooms).
    s.open("Room usage")
    s.page.locator('[data-testid="stSelectbox"]', has_text="Day").first.click()
    s.page.get_by_role("option", name="2026-11-23").click()
    s.settle()
    assert s.page.locator("text=per room on 2026-11-23").count() > 0
    s.check("admin_room_usage_timeline")

    s.page.locator('[data-testid="stSelectbox"]', has_text="Language").first.click()
    s.page.get_by_role("option", name="Deutsch").click()
    s.settle()
    german = {"overview": "Übersicht", "lab_turnaround": "Schnelltest-Bearbeitungszeit", "room_usage": "Raumnutzung",
              "send_outs": "Fremdlabor-Proben", "throughput": "Durchsatz", "staff_competency": "Kompetenzen",
              "sterility": "Sterilgut-Compliance", "data_quality": "Datenqualität"}
    for spec in pages_for("admin"):
        s.open(german[spec.key])
        assert s.title() == german[spec.key]
        s.check(f"admin_{spec.key}_de")
    keep_screenshots(shots)


def test_supervisor_sees_only_their_pages(server, browser):
    url, root = server
    shots = root / "shots_supervisor"
    shots.mkdir()
    s = Session(browser, url, shots)
    s.sign_in("supervisor")
    assert s.title() == "Overview"
    assert [t for t in s.nav_titles() if t in TITLES.values()] == ["Overview", "Staff competency"]
    s.check("supervisor_overview")
    # A manager-only page by URL: a new session, signed in again by the session cookie; the page is not in this
    # role's navigation.
    s.page.goto(f"{url}/room_usage")
    s.settle()
    assert s.signed_in() and s.title() != "Room usage"
    # The supervisor's own overview (competency figures) at most: no room or lab figure.
    assert s.page.locator('[data-testid="stMetric"]', has_text="Raw utilization").count() == 0
    assert s.page.locator('[data-testid="stMetric"]', has_text="Within target").count() == 0
    s.page.screenshot(path=str(shots / "supervisor_room_usage_url.png"))
    keep_screenshots(shots)


def test_reload_and_bookmarked_page_keep_the_session(server, browser):
    """The signed session cookie: F5 and a bookmarked page URL stay signed in; sign-out, and a password changed
    with `backoffice users passwd`, end the session for good (a reload shows the sign-in form)."""
    url, root = server
    users = root / "users.yaml"
    add_user("reloader", "manager", ["C01"], TEST_PASSWORD, name="reloader", path=users, rounds=4)
    shots = root / "shots_session"
    shots.mkdir()
    s = Session(browser, url, shots)
    s.sign_in("reloader")
    assert s.signed_in() and s.title() == "Overview"

    s.page.reload()
    s.settle()
    assert s.signed_in() and s.title() == "Overview"
    s.check("session_reloaded")

    # A bookmarked page: a new page load straight to its URL, a new Streamlit session.
    s.page.goto(f"{url}/lab_turnaround")
    s.settle()
    assert s.signed_in() and s.title() == "Rapid-test turnaround"
    s.check("session_bookmarked_page")

    s.page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    s.settle()
    assert s.sign_in_form()
    s.page.reload()
    s.settle()
    assert s.sign_in_form()
    s.check("session_signed_out_reloaded")

    # Signed in again; then the password changes from the command line: the next rerun is signed out.
    s.sign_in("reloader")
    assert s.signed_in()
    backoffice = Path(sys.executable).parent / "backoffice"
    subprocess.run([str(backoffice), "users", "passwd", "reloader", "--password-stdin"], input="a-new-password\n",
                   text=True, check=True, capture_output=True, env=os.environ | {"BACKOFFICE_USERS_FILE": str(users)})
    s.open("Send-outs")
    assert s.sign_in_form()
    s.page.reload()
    s.settle()
    assert s.sign_in_form()
    s.check("session_password_changed")
    keep_screenshots(shots)
