"""The plan rules, the glossary and the close of a live meeting in real browsers.

Each test runs a real server (the `live_server` fixture) with the Swedish demo and drives
Debian's Chromium. Texts added for these screens may still be in English until the catalog is
updated, so the assertions rest on structure, data and texts that are already translated.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import test_browser_live as ui
from test_browser_live import CHROMIUM, WALL, admit, chair_console, join, open_wall, start

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium")
# The live-view tests' fixtures: one Chromium per module, a context per page.
browser = ui.browser
open_page = ui.open_page
SHOTS = os.environ.get("SIP_MEETING_SHOTS")  # a folder to keep screenshots in, when set


def shot(page, name: str) -> None:
    """Keep a screenshot for looking at the screens by eye, when asked to."""
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=name.endswith("-full"))


def meeting_with(open_page, server, *names: str):
    """Start the demo meeting, let the named people in and open the wall."""
    console = chair_console(open_page, server)
    phones = [join(open_page, server, name) for name in names]
    start(console)
    admit(console, *names)
    for phone in phones:
        expect(phone.locator("#live-app .device-layout")).to_be_visible()
    wall = open_wall(console)
    return console, phones, wall


def add_action(page, text: str):
    """Add an action on a phone and write its text; return the new action's text box."""
    page.get_by_role("button", name="Lägg till en åtgärd").click()
    what = page.locator("#sec-actions .item-action").last.get_by_role("textbox", name="Vad görs")
    expect(what).to_be_focused()
    what.fill(text)
    what.blur()
    return what


def test_a_marked_word_opens_its_explanation(live_server, open_page):
    console, (sara,), wall = meeting_with(open_page, live_server, "Sara Berg")
    console.get_by_role("button", name="Nästa steg").click()
    strengths = sara.get_by_role("textbox", name="Styrkor")
    strengths.fill("Alva har en insats från LSS som fungerar bra.")
    strengths.blur()

    # The phone that writes lists the words under the field; the wall marks them in the text.
    chip = sara.locator("#sec-strengths .term-chips button[data-term=insats]")
    expect(chip).to_be_visible()
    expect(wall.locator("#sec-strengths .lf-value button.term-btn[data-term=insats]")).to_have_text(
        "insats"
    )
    chip.click()
    dialog = sara.locator("dialog.term-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".term-explanation")).not_to_be_empty()
    expect(dialog.locator(".term-meanings dt")).not_to_have_count(0)
    shot(sara, "phone-term-dialog")

    # Asking what the word means here reaches the chair, without the asker's name.
    dialog.locator(".ask-form button.primary").click()
    expect(dialog).to_have_count(0)
    request = console.locator(".request-list li").first
    expect(request.locator(".request-word strong")).to_have_text("insats")
    expect(request).not_to_contain_text("Sara Berg")


def test_a_condition_is_flagged_counted_and_split_into_its_own_action(live_server, open_page):
    console, (sara, karin), wall = meeting_with(open_page, live_server, "Sara Berg", "Karin Holm")
    meter = wall.locator(".wall-meter .meter")
    expect(meter).to_have_attribute("data-blockers", "5")  # what stops the close of the demo
    what = add_action(sara, "Mentor ger extra stöd varje dag")
    # The plan has an action now, without anyone responsible, a date or a principal.
    expect(meter).to_have_attribute("data-blockers", "7")
    warnings_before = int(meter.get_attribute("data-warnings"))
    what.fill("Om hen kommer till skolan, ger mentor extra stöd")
    what.blur()

    flag = sara.locator("#sec-actions .flag[data-rule=conditional]")
    expect(flag).to_be_visible()
    expect(flag).to_contain_text("vad händer om villkoret inte uppfylls?")
    expect(flag.locator(".flag-quote")).to_contain_text("Om")
    expect(karin.locator("#sec-actions .flag[data-rule=conditional]")).to_be_visible()
    expect(meter).to_have_attribute("data-warnings", str(warnings_before + 1))
    shot(sara, "phone-flag")
    shot(wall, "wall-meter")

    flag.locator("button.cond-split").click()
    karin_whats = karin.locator("#sec-actions .item-action").get_by_role("textbox", name="Vad görs")
    expect(karin_whats).to_have_count(2)
    expect(karin_whats.nth(1)).to_have_value("Hen kommer till skolan")
    # The original action now waits for the new one.
    first = karin.locator("#sec-actions .item-action").first
    expect(first.get_by_label("Väntar på åtgärd")).to_have_value(
        karin.locator("#sec-actions .item-action").nth(1).get_attribute("data-id")
    )


def test_closing_with_overrides_shows_the_closing_screen_and_takes_answers(live_server, open_page):
    console, (sara,), wall = meeting_with(open_page, live_server, "Sara Berg")
    add_action(sara, "Karin bokar ett möte med elevhälsan")
    expect(console.locator("section.gate .gate-list > li[data-rule=actions]")).to_have_count(0)
    console.get_by_role("button", name="Avsluta mötet", exact=True).click()
    console.get_by_role("button", name="Ja, avsluta mötet").click()

    gate = console.locator("section.gate")
    expect(gate).to_be_visible()
    blockers = gate.locator(".gate-list > li")
    expect(blockers).not_to_have_count(0)
    shot(console, "console-gate")
    count = blockers.count()
    # A reason is required before a blocker can be set aside.
    blockers.first.locator("button.gate-open").click()
    blockers.first.locator(".gate-form button[type=submit]").click()
    expect(blockers.first.locator(".lf-error")).not_to_be_empty()
    # Each item is set aside with its own reason, and leaves the list for the list of reasons.
    for left in range(count, 0, -1):
        item = blockers.first
        if not item.locator("textarea").count():
            item.locator("button.gate-open").click()
        item.locator("textarea").fill("Familjen vill vänta till nästa möte")
        item.locator(".gate-form button[type=submit]").click()
        expect(blockers).to_have_count(left - 1)
    expect(console.locator(".override-list > li")).to_have_count(count)
    gate.locator("button.danger").click()

    expect(console.locator(".meeting-state")).to_have_text("Mötet är avslutat.")
    closing = wall.locator(".wall-closing")
    expect(closing).to_be_visible()
    expect(closing.locator("#family-qr svg")).to_be_visible()
    expect(closing.locator(".wall-link")).to_have_text(
        f"{live_server.url}/m/{live_server.meeting_id}/plan"
    )
    expect(closing.locator(".happy-counts [data-answer=yes] .happy-n")).to_have_text("0")
    wall.set_viewport_size(WALL)
    shot(wall, "wall-closing")

    # Sara's phone says the meeting is over and leads to the family page, where she answers.
    expect(sara.locator("section.closing")).to_be_visible()
    shot(sara, "phone-closing")
    with sara.expect_navigation():
        sara.locator("section.closing a.big-link").click()
    assert sara.url.endswith(f"/m/{live_server.meeting_id}/plan")
    sara.get_by_role("button", name="Ja").click()
    expect(sara.get_by_text("Tack för ditt svar.")).to_be_visible()
    expect(closing.locator(".happy-counts [data-answer=yes] .happy-n")).to_have_text("1")
    expect(console.locator(".happy-counts [data-answer=yes] .happy-n")).to_have_text("1")
