"""The live meeting in real browsers: the wall, participants' phones and the chair's console.

Each test runs a real server (the `live_server` fixture) and drives Debian's Chromium through
Playwright. The assertions are what people in the room would see.
"""

from __future__ import annotations

from pathlib import Path

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
WALL = {"width": 1920, "height": 1080}
SAVED = "Sparat"
WAITING = "Mötesledaren släpper snart in dig."

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium")


@pytest.fixture(scope="module")
def browser():
    """Launch one headless Chromium for the module."""
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """Return a factory of pages, each in its own browser context (its own cookies)."""
    contexts = []

    def open_(url: str | None = None, viewport: dict | None = None):
        context = browser.new_context(locale="sv-SE", viewport=viewport or PHONE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if url:
            page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()


def chair_console(open_page, server):
    """Log the chair in through the login form and open the console."""
    page = open_page(f"{server.url}/login", {"width": 1366, "height": 900})
    page.get_by_label("E-post").fill(server.chair_email)
    page.get_by_label("Lösenord").fill(server.chair_password)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Logga in").click()
    page.goto(f"{server.url}/meetings/{server.meeting_id}/console")
    expect(page.get_by_role("heading", name="Mötets ordning")).to_be_visible()
    return page


def join(open_page, server, name: str):
    """Open a participant's personal link on a phone; they wait in the lobby."""
    page = open_page(server.join_links[name])
    expect(page.get_by_text(WAITING)).to_be_visible()
    return page


def admit(console, *names: str) -> None:
    """Let the named people in from the console's lobby list."""
    for name in names:
        button = console.get_by_role("button", name=f"Släpp in {name}")
        expect(button).to_be_enabled()
        button.click()
        expect(button).to_have_count(0)


def start(console) -> None:
    console.get_by_role("button", name="Starta mötet").click()
    expect(console.get_by_text("Mötet pågår.")).to_be_visible()


def open_wall(console):
    """Open the wall from the console's link, as the chair does for the projector."""
    with console.context.expect_page() as opened:
        console.get_by_role("link", name="Öppna väggvyn").click()
    wall = opened.value
    wall.set_viewport_size(WALL)
    expect(wall.locator("#wall-connection")).to_have_text("Ansluten")
    return wall


def strengths(page):
    return page.get_by_role("textbox", name="Styrkor")


def test_an_edit_reaches_the_other_devices_and_the_wall(live_server, open_page):
    console = chair_console(open_page, live_server)
    sara = join(open_page, live_server, "Sara Berg")
    karin = join(open_page, live_server, "Karin Holm")
    start(console)
    lobby_all = console.get_by_role("button", name="Släpp in alla")
    expect(lobby_all).to_be_visible()
    lobby_all.click()
    expect(sara.get_by_text(WAITING)).to_have_count(0)
    wall = open_wall(console)
    console.get_by_role("button", name="Nästa steg").click()
    expect(wall.locator("[aria-current=step]")).to_contain_text("Aktuell situation")

    text = "Alva är nyfiken, rolig och gillar att rita."
    strengths(sara).fill(text)

    expect(strengths(karin)).to_have_value(text)
    expect(wall.locator("#sec-strengths")).to_contain_text(text)
    expect(sara.locator("#save-status")).to_have_text(SAVED)
    # The wall shows who is present, never contact details.
    expect(wall.locator(".wall-present")).to_contain_text("Karin Holm")
    assert "karin.holm@skola.example" not in wall.content()


def test_an_edit_made_while_the_server_is_down_is_sent_when_it_returns(live_server, open_page):
    console = chair_console(open_page, live_server)
    sara = join(open_page, live_server, "Sara Berg")
    karin = join(open_page, live_server, "Karin Holm")
    start(console)
    admit(console, "Sara Berg", "Karin Holm")
    expect(strengths(sara)).to_be_editable()
    expect(sara.locator("#save-status")).to_have_text(SAVED)

    live_server.stop()
    expect(sara.locator("#save-status")).to_contain_text("Offline")
    text = "Alva tycker om att simma och att bygga med lego."
    strengths(sara).fill(text)
    strengths(sara).blur()
    status = sara.locator("#save-status")
    expect(status).to_have_text(
        "Offline – dina ändringar finns kvar här och skickas när anslutningen är tillbaka")
    sara.wait_for_timeout(1000)
    expect(strengths(sara)).to_have_value(text)
    expect(status).not_to_have_text(SAVED)

    live_server.start()
    expect(status).to_have_text(SAVED, timeout=20_000)
    expect(strengths(karin)).to_have_value(text, timeout=20_000)

    # It is on disk: after another restart a fresh page shows it.
    live_server.stop()
    live_server.start()
    karin.reload()
    expect(strengths(karin)).to_have_value(text)


def test_the_lobby_waits_for_the_chair_and_the_wall_follows_the_step(live_server, open_page):
    console = chair_console(open_page, live_server)
    leila = join(open_page, live_server, "Leila Nasser")
    start(console)
    wall = open_wall(console)
    leila.wait_for_timeout(500)
    expect(leila.get_by_text(WAITING)).to_be_visible()
    expect(strengths(leila)).to_have_count(0)
    expect(wall.locator(".wall-present")).not_to_contain_text("Leila Nasser")

    admit(console, "Leila Nasser")
    expect(leila.get_by_text(WAITING)).to_have_count(0)
    expect(leila.locator("[aria-current=step]")).to_contain_text("Inledning")
    expect(wall.locator(".wall-present")).to_contain_text("Leila Nasser")

    console.get_by_role("button", name="Nästa steg").click()
    console.get_by_role("button", name="Nästa steg").click()
    expect(wall.locator("[aria-current=step]")).to_contain_text("Behov")
    expect(wall.locator(".wall-step-title")).to_have_text("Behov")
    expect(wall.get_by_role("heading", name="Mål")).to_be_visible()
    expect(leila.locator("[aria-current=step]")).to_contain_text("Behov")
    expect(wall.locator("[aria-current=step]")).not_to_contain_text("Inledning")
