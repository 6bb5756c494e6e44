"""The statistics page in a real browser: no WCAG 2.1 A/AA violation in either language, the
charts drawn, and a print that leaves out the controls.

A real server serves the demo with the seeded statistics (tests/stats_seed.py) added.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from live_server import LiveServer
from stats_seed import PERIOD
from test_browser_axe import (
    axe_script,  # noqa: F401 (the fixture that installs axe-core)
    describe,
    run_axe,
    visitor,
)
from test_browser_live import CHROMIUM, CHROMIUM_ARGS

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium")

SEED = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from sip_meeting import create_app
from sip_meeting.db import atomic
from stats_seed import seed_stats
app = create_app()
with app.app_context(), atomic() as session:
    seed_stats(session)
"""
ADDRESS = f"/statistics?from={PERIOD[0].isoformat()}&to={PERIOD[1].isoformat()}"
SCREEN = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def statistics_server(tmp_path_factory):
    """The demo plus the seeded statistics, served."""
    server = LiveServer(tmp_path_factory.mktemp("stats") / "instance")
    subprocess.run([sys.executable, "-c", SEED], env=server.env, check=True,
                   capture_output=True, text=True, timeout=60)
    server.start()
    yield server
    server.stop()


def open_statistics(server, browser, lang: str):
    """Log in as the demo chair, choose the language and open the seeded period.

    Signed in as the page checks of tests/test_browser_axe.py are (which lets axe-core's
    inline script past the content security policy).
    """
    state = {"server": server, "browser": browser, "links": {}, "visitors": {}}
    context = visitor(state, "chair", lang)
    page = context.new_page()
    page.set_viewport_size(SCREEN)
    page.goto(server.url + ADDRESS)
    return context, page


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_statistics_page_passes_axe_and_prints_without_controls(statistics_server, request,
                                                                     lang):
    axe = request.getfixturevalue("axe_script")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context, page = open_statistics(statistics_server, browser, lang)
        try:
            expect(page.locator("html")).to_have_attribute("lang", lang)
            expect(page.locator("svg.stats-chart")).to_have_count(6)
            held = "Meetings held" if lang == "en" else "Möten som hölls"
            chart = page.get_by_role("img", name=f"{held}: {'Number' if lang == 'en' else 'Antal'}")
            expect(chart).to_be_visible()
            # The bar of the 25 meetings held is the longest of its chart.
            widths = page.locator("#part-meetings ~ figure rect.stats-bar").evaluate_all(
                "bars => bars.map(b => Number(b.getAttribute('width')))")
            assert widths[0] == max(widths) and len(widths) == 6
            violations = run_axe(page, axe)
            assert not violations, describe(violations)
            page.emulate_media(media="print")
            expect(page.locator("form.stats-period-form")).to_be_hidden()
            expect(page.locator("svg.stats-chart").first).to_be_visible()
        finally:
            context.close()
            browser.close()
