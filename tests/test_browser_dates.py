"""Dates typed into the live plan: only a whole date within the plan's span leaves the screen.

A browser's date field reports "0002-02-05" while the year is being typed and the 1st of a
month while a day is half typed; none of that may reach the server or flicker on the others'
screens. The fields are filled from the keyboard alone, in the order the browser's date field
takes (year-month-day, month/day/year or day.month.year, depending on its locale).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import test_browser_live as ui
from test_browser_live import CHROMIUM, admit, chair_console, start

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium")
browser = ui.browser
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
WAITING = ui.WAITING


@pytest.fixture
def open_in(browser):
    """Open pages in their own contexts, in a given browser locale, recording sent frames."""
    contexts = []

    def open_(url: str, viewport: dict, locale: str = "sv-SE"):
        context = browser.new_context(locale=locale, viewport=viewport)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.sent = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda data: page.sent.append(data)))
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()


def date_edits(page, field: str = "due_date") -> list[str]:
    """The values of the edits of a date field this page sent over its live connection."""
    values = []
    for frame in page.sent:
        match = re.match(r"42(?:/[^,\[]*,)?\d*(\[.*)", frame if isinstance(frame, str) else "",
                         re.S)
        if not match:
            continue
        try:
            event = json.loads(match.group(1))
        except ValueError:
            continue
        if event[0] == "edit" and event[1].get("field") == field:
            values.append(event[1]["value"])
    return values


def date_keys(page, iso: str) -> str:
    """The digits that type `iso` into this browser's date field, in the field's own order."""
    year, month, day = iso.split("-")
    for order in ((year, month, day), (month, day, year), (day, month, year)):
        page.evaluate("""() => { const p = document.createElement("input"); p.type = "date";
          p.id = "date-probe"; document.body.append(p); }""")
        probe = page.locator("#date-probe")
        probe.focus()
        page.keyboard.type("".join(order))
        value = probe.input_value()
        page.evaluate("() => document.getElementById('date-probe').remove()")
        if value == iso:
            return "".join(order)
    raise AssertionError("no order of year, month and day types a date here")


def leave(field) -> None:
    """Leave a field, as a click elsewhere does."""
    field.evaluate("el => el.blur()")


def meeting(open_in, server, viewport, locale="sv-SE"):
    """The chair starts the demo meeting; Sara (writing) and Karin (watching) are let in."""
    console = chair_console(lambda url, vp: open_in(url, vp), server)
    sara = open_in(server.join_links["Sara Berg"], viewport, locale)
    karin = open_in(server.join_links["Karin Holm"], PHONE)
    for page in (sara, karin):
        expect(page.get_by_text(WAITING)).to_be_visible()
    start(console)
    admit(console, "Sara Berg", "Karin Holm")
    for page in (sara, karin):
        expect(page.locator("#live-app .device-layout")).to_be_visible()
    return console, sara, karin


def tab_to(page, matches: str, limit: int = 200) -> None:
    """Press Tab until the focused element matches a JavaScript condition on `el`."""
    for _ in range(limit):
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({matches}); }}"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {matches}")


def test_a_whole_action_is_added_with_the_keyboard_alone(live_server, open_in):
    _console, sara, karin = meeting(open_in, live_server, LAPTOP)
    keys = date_keys(sara, "2027-02-05")

    tab_to(sara, "el.classList.contains('add-item') && el.closest('#sec-actions')")
    sara.keyboard.press("Enter")
    item = sara.locator("#sec-actions .item-action").last
    what = item.get_by_role("textbox", name="Vad görs")
    expect(what).to_be_focused()
    sara.keyboard.type("Boka ett möte med skolsköterskan")
    tab_to(sara, "el.tagName === 'SELECT' && el.id.endsWith('-responsible_participant_id')")
    sara.keyboard.type("Karin")
    tab_to(sara, "el.type === 'date' && el.id.endsWith('-due_date')")
    sara.keyboard.type(keys)
    sara.keyboard.press("Enter")

    expect(item.get_by_label("Klart senast")).to_have_value("2027-02-05")
    expect(sara.locator("#save-status")).to_have_text(ui.SAVED)
    theirs = karin.locator("#sec-actions .item-action").last
    expect(theirs.get_by_role("textbox", name="Vad görs")).to_have_value(
        "Boka ett möte med skolsköterskan")
    expect(theirs.get_by_label("Ansvarig person", exact=True).locator("option:checked")) \
        .to_have_text(re.compile("^Karin Holm"))
    expect(theirs.get_by_label("Klart senast")).to_have_value("2027-02-05")
    assert date_edits(sara) == ["2027-02-05"]          # the whole date, once
    expect(item.locator(".lf-error:visible")).to_have_count(0)


@pytest.mark.parametrize("locale,viewport", [("sv-SE", PHONE), ("en-US", LAPTOP)])
def test_a_half_typed_date_never_leaves_the_screen(live_server, open_in, locale, viewport):
    _console, sara, karin = meeting(open_in, live_server, viewport, locale)
    keys = date_keys(sara, "2027-02-05")
    sara.get_by_role("button", name=re.compile("Lägg till en åtgärd|Add an action")).click()
    item = sara.locator("#sec-actions .item-action").last
    due = item.locator("input[type=date]").first
    error = item.locator(".lf-error").filter(has_text=re.compile(r"\S"))
    theirs = karin.locator("#sec-actions .item-action").last.get_by_label("Klart senast")
    expect(theirs).to_have_value("")

    # All but the year's last digit: the field holds "0202-02-05", or no date at all yet.
    due.focus()
    sara.keyboard.type(keys[:3] if keys.startswith("2027") else keys[:-1])
    assert re.fullmatch(r"0\d{3}-\d{2}-\d{2}|", due.input_value())
    sara.wait_for_timeout(1500)
    assert date_edits(sara) == []
    expect(theirs).to_have_value("")
    # Left like that, it stays here with a message.
    leave(due)
    expect(error).to_be_visible()
    expect(due).to_have_attribute("aria-invalid", "")
    sara.wait_for_timeout(800)
    assert date_edits(sara) == []
    expect(theirs).to_have_value("")

    # The whole date is sent once it is left, and shown on the other screen.
    due.focus()
    sara.keyboard.type(keys)
    leave(due)
    expect(theirs).to_have_value("2027-02-05")
    expect(error).to_have_count(0)
    assert date_edits(sara) == ["2027-02-05"]

    # A year outside the plan's span stays here, with a message, and is not sent.
    due.focus()
    sara.keyboard.type(keys.replace("2027", "1999"))
    sara.keyboard.press("Enter")
    expect(error).to_contain_text("2000")
    assert due.input_value() == "1999-02-05"
    sara.wait_for_timeout(800)
    expect(theirs).to_have_value("2027-02-05")
    assert date_edits(sara) == ["2027-02-05"]

    # Escape puts back the saved date.
    sara.keyboard.press("Escape")
    expect(due).to_have_value("2027-02-05")
    expect(error).to_have_count(0)
