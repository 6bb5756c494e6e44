"""A participant's phone (390×844): the part of the plan under discussion is at hand.

The meeting order folds behind a button, a skip link leads to the plan's current part, and
nothing focused or scrolled to hides under the sticky status bar, however tall it grows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import test_browser_live as ui
from test_browser_live import CHROMIUM, admit, chair_console, join, start

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium")
browser = ui.browser
open_page = ui.open_page
PHONE = {"width": 390, "height": 844}


def phone_at_needs(open_page, server):
    """Sara's phone, let in, with the chair at the step of needs (goals and actions)."""
    console = chair_console(open_page, server)
    sara = join(open_page, server, "Sara Berg")
    sara.set_viewport_size(PHONE)
    start(console)
    admit(console, "Sara Berg")
    expect(sara.locator("#live-app .device-layout")).to_be_visible()
    for _ in range(2):
        console.get_by_role("button", name="Nästa steg").click()
    expect(sara.locator(".now-title")).to_have_text("Behov")
    return console, sara


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_the_part_under_discussion_is_in_view_without_scrolling(live_server, open_page):
    _console, sara = phone_at_needs(open_page, live_server)
    assert sara.evaluate("scrollY") == 0
    heading = box(sara, "#sec-goals h3")
    assert heading["y"] + heading["height"] <= PHONE["height"], heading

    # The meeting order is one button away, and folds again.
    steps = sara.locator("#order-steps")
    toggle = sara.get_by_role("button", name="Alla steg i mötet")
    expect(steps).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.focus()
    sara.keyboard.press("Enter")
    expect(steps).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(steps.locator("[aria-current=step]")).to_contain_text("Behov")
    sara.keyboard.press("Enter")
    expect(steps).to_be_hidden()


def test_nothing_focused_hides_under_a_tall_status_bar(live_server, open_page):
    _console, sara = phone_at_needs(open_page, live_server)
    # Offline with an unsent change, the bar's notice wraps onto several lines.
    live_server.stop()
    strengths = sara.get_by_role("textbox", name="Styrkor")
    strengths.fill("Alva tycker om att rita.")
    strengths.blur()
    bar = sara.locator(".live-bar")
    expect(bar.locator("#save-status")).to_contain_text("Offline – dina ändringar")
    bar_height = bar.bounding_box()["height"]
    assert bar_height > 100, bar_height

    def clear_of_bar(selector: str) -> None:
        top = box(sara, selector)["y"]
        bottom_of_bar = bar.bounding_box()["y"] + bar.bounding_box()["height"]
        assert bottom_of_bar <= top + 1 <= PHONE["height"], (selector, top, bottom_of_bar)

    # The skip link, from the keyboard, to the plan's current part.
    sara.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    sara.locator("body").focus()
    skip = sara.get_by_role("link", name="Gå till den del av planen som vi pratar om nu")
    for _ in range(30):
        if sara.evaluate("document.activeElement.classList.contains('skip-link') "
                         "&& document.activeElement.hash === '#plan-now-title'"):
            break
        sara.keyboard.press("Tab")
    expect(skip).to_be_focused()
    sara.keyboard.press("Enter")
    expect(sara.locator("#plan-now-title")).to_be_focused()
    clear_of_bar("#plan-now-title")

    # A part of the plan chosen from its list of parts.
    sara.locator(".plan-nav summary").click()
    sara.locator(".plan-nav").get_by_role("link", name="Uppföljning").click()
    clear_of_bar("#h-followup")

    # A field reached backwards with the keyboard.
    fields = sara.locator("#sec-followup").get_by_label(re.compile("Vem kallar"))
    fields.focus()
    sara.evaluate("window.scrollBy(0, 400)")
    sara.keyboard.press("Shift+Tab")
    active = sara.evaluate("document.activeElement.id")
    clear_of_bar(f"[id='{active}']")


def test_counts_on_the_phone_read_in_the_right_form(live_server, open_page):
    _console, sara = phone_at_needs(open_page, live_server)
    said = sara.evaluate("""async () => {
      const { translator } = await import("/static/js/dom.js");
      const t = translator(JSON.parse(document.getElementById("live-config").textContent).strings);
      return [1, 2, 0].map((n) => t("flag.count", { n }));
    }""")
    assert said == ["1 fråga", "2 frågor", "0 frågor"]
