"""The close in a real browser: the console's count of what stops the close is the list a close
attempt shows, both follow each fix live, and a plan without actions ends as "no plan made".

Runs a real server with the Swedish demo (the `live_server` fixture) and Debian's Chromium.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_browser_live as ui
from test_browser_live import CHROMIUM, admit, chair_console, join, start

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium")
browser = ui.browser
open_page = ui.open_page


def expect_count(console, n: int) -> None:
    """The console's count, its heading and its list all say n."""
    gate = console.locator("section.gate")
    expect(console.locator(".console-panel .meter")).to_have_attribute("data-blockers", str(n))
    expect(console.locator(".console-panel .count-blockers")).to_have_text(str(n))
    expect(gate.locator(".gate-count")).to_have_text(f"({n})")
    expect(gate.locator(".gate-list > li")).to_have_count(n)


def test_the_console_counts_what_stops_the_close_and_follows_each_fix(live_server, open_page):
    console = chair_console(open_page, live_server)
    sara = join(open_page, live_server, "Sara Berg")
    start(console)
    admit(console, "Sara Berg")
    gate = console.locator("section.gate")
    # During the meeting the list is there already, counted like the meter.
    expect(gate).to_be_visible()
    rules = {"lead_principal", "consent", "followup_date", "actions", "others_part"}
    expect_count(console, len(rules))
    assert {gate.locator(".gate-list > li").nth(i).get_attribute("data-rule")
            for i in range(len(rules))} == rules
    # A question that only stops the close says so where it is shown.
    expect(sara.locator("#sec-consent .flag[data-rule=consent] .flag-close")).to_have_text(
        " Måste lösas innan mötet avslutas.")

    # A close attempt lists the same things, and the count stays the same.
    console.get_by_role("button", name="Avsluta mötet", exact=True).click()
    console.get_by_role("button", name="Ja, avsluta mötet").click()
    expect(gate.get_by_role("button", name="Försök avsluta mötet igen")).to_be_visible()
    expect(gate.locator("h2")).to_be_focused()
    expect_count(console, len(rules))

    # Sara fixes one on her phone: the list and the count follow at once.
    lead = sara.get_by_label("Huvudman med det övergripande ansvaret")
    lead.select_option("municipality")
    expect_count(console, len(rules) - 1)
    expect(gate.locator(".gate-list > li[data-rule=lead_principal]")).to_have_count(0)
    # The chair sets one aside with a reason: it leaves the list for the list of reasons.
    item = gate.locator(".gate-list > li[data-rule=followup_date]")
    item.get_by_role("button", name="Lägg åt sidan med skäl").click()
    item.get_by_role("button", name="Spara skälet").click()
    expect(item.locator(".lf-error")).to_have_text("Skriv ett skäl.")
    item.get_by_role("textbox").fill("Familjen bokar tid när BUP har svarat")
    item.get_by_role("button", name="Spara skälet").click()
    expect_count(console, len(rules) - 2)
    expect(console.locator(".override-list > li")).to_have_count(1)

    # A plan without actions cannot be set aside: the meeting ends without a plan.
    empty = gate.locator(".gate-list > li[data-rule=actions]")
    expect(empty.get_by_role("button", name="Lägg åt sidan med skäl")).to_have_count(0)
    empty.get_by_label("Varför blir det ingen plan?").fill("Familjen vill vänta på BUP")
    empty.get_by_role("button", name="Avsluta mötet utan plan").click()
    expect(console.locator(".meeting-state")).to_have_text("Mötet är avslutat.")
    expect(console.locator(".no-plan")).to_have_text("Mötet avslutades utan plan.")
    expect(console.get_by_role("link", name="Skriv ut planen")).to_have_count(0)
    closing = sara.locator("section.closing")
    expect(closing).to_contain_text("Familjen vill vänta på BUP")
    expect(closing.locator("a.big-link")).to_have_count(0)
