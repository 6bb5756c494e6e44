"""The wall as the room sees it on a projector, in a real browser.

A real server with the demo and a fuller room (tests/room_seed.py): twelve people let in, and
four actions, one complete, one without a responsible person, one without a date and one that
hangs on a condition. The wall must say in words what each action lacks, and keep the people,
the step and the part of the plan being discussed on the screen.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import test_browser_live as ui
from live_server import LiveServer
from room_seed import ACTIONS, EXTRA_PEOPLE, seed_room
from test_browser_live import CHROMIUM, chair_console, open_wall, start

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium")
browser = ui.browser
open_page = ui.open_page
WALL_JS = Path(__file__).parent.parent / "sip_meeting" / "static" / "js" / "wall.js"
RULES = Path(__file__).parent.parent / "sip_meeting" / "rules" / "data" / "messages.toml"
PEOPLE = 5 + len(EXTRA_PEOPLE)
# The element lies wholly inside the box (the screen, or a column that clips what overflows).
INSIDE = """([selector, box]) => {
  const els = [...document.querySelectorAll(selector)];
  const b = document.querySelector(box).getBoundingClientRect();
  return els.length > 0 && els.every((el) => {
    const r = el.getBoundingClientRect();
    return r.top >= Math.max(b.top, 0) - 1 && r.bottom <= Math.min(b.bottom, innerHeight) + 1
      && r.left >= 0 && r.right <= innerWidth;
  });
}"""


@pytest.fixture(scope="module")
def room_server(tmp_path_factory, browser):
    """A real server with the demo, twelve people let in and four actions; the meeting is
    started and at its needs step (goals and actions) for the whole module."""
    server = LiveServer(tmp_path_factory.mktemp("wall") / "instance")
    seed_room(server)
    server.start()
    context = browser.new_context(locale="sv-SE")
    context.set_default_timeout(10_000)
    console = chair_console(lambda url, viewport: page_in(context, url), server)
    start(console)
    for _ in range(2):
        console.get_by_role("button", name="Nästa steg").click()
    expect(console.locator("[aria-current=step]")).to_contain_text("Behov")
    context.close()
    yield server
    server.stop()


def page_in(context, url):
    page = context.new_page()
    page.goto(url)
    return page


def wall_at_needs(open_page, server):
    """Open the wall from the chair's console."""
    wall = open_wall(chair_console(open_page, server))
    expect(wall.locator(".wall-step-title")).to_have_text("Behov")
    return wall


def action(wall, key: str):
    return wall.locator(".item-action", has_text=ACTIONS[key])


def test_the_wall_says_what_each_action_lacks(room_server, open_page):
    wall = wall_at_needs(open_page, room_server)
    expect(action(wall, "no_who").locator(".wall-flag")).to_have_text(["⚠ Vem?"])
    expect(action(wall, "no_when").locator(".wall-flag")).to_have_text(["⚠ När?"])
    expect(action(wall, "condition").locator(".wall-flag")).to_have_text(["⚠ Om …"])
    expect(action(wall, "complete").locator(".item-title")).to_be_visible()
    expect(action(wall, "complete").locator(".wall-flag")).to_have_count(0)

    # Sara names who does it on her phone: the question leaves the wall.
    sara = open_page(room_server.join_links["Sara Berg"])
    item = sara.locator("#" + action(wall, "no_who").get_attribute("id"))
    who = item.get_by_label("Ansvarig person", exact=True)
    who.select_option(label="Jonas Ek, Socialtjänsten, LSS")
    expect(action(wall, "no_who").locator(".wall-flag")).to_have_count(0)
    expect(action(wall, "no_when").locator(".wall-flag")).to_have_text(["⚠ När?"])


def test_on_a_projector_the_people_the_step_and_the_part_discussed_are_in_view(
        room_server, open_page):
    wall = wall_at_needs(open_page, room_server)
    expect(wall.locator(".wall-people li")).to_have_count(PEOPLE)
    for width, height in [(1280, 720), (1280, 800), (1920, 1080)]:
        wall.set_viewport_size({"width": width, "height": height})
        wall.wait_for_function(INSIDE, arg=[".wall-people li", ".wall-side"])
        assert wall.evaluate("(el) => el.scrollHeight <= el.clientHeight + 1",
                             wall.locator(".wall-side").element_handle()), (width, height)
        wall.wait_for_function(INSIDE, arg=[".wall-step-title", "body"])
        # The first heading of the step's part of the plan starts below the step, not under it.
        wall.wait_for_function(INSIDE, arg=["#h-goals", ".wall-scroll"])

    # Sara starts writing in the last action: the wall brings it into view, heading and all.
    wall.set_viewport_size({"width": 1280, "height": 720})
    item_id = action(wall, "condition").get_attribute("id")
    wall.wait_for_function(f"() => !({INSIDE})(['#{item_id} h4', '.wall-scroll'])")
    sara = open_page(room_server.join_links["Sara Berg"])
    sara.locator(f"#{item_id}").get_by_role("textbox", name="Vad görs").focus()
    wall.wait_for_function(INSIDE, arg=[f"#{item_id} h4", ".wall-scroll"])
    wall.wait_for_function(INSIDE, arg=[f"#{item_id} .wall-flag", ".wall-scroll"])


def test_the_wall_flags_name_rules_that_exist():
    """The wall's rule ids are the plan rules' own: a renamed rule must not go silent."""
    rules = set(re.findall(r"^\[rules\.(\w+)\]", RULES.read_text(encoding="utf-8"), re.M))
    table = re.search(r"const WALL_FLAGS = \[(.*?)\];", WALL_JS.read_text(encoding="utf-8"), re.S)
    named = set(re.findall(r'"(\w+)"', table.group(1))) - {"who", "when", "if"}
    assert named and named <= rules, named - rules
    assert {"action_who", "action_when", "conditional"} <= named
