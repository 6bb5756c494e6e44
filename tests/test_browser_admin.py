"""The administration in a real browser, by keyboard alone: an administrator invites a chair,
the chair chooses a password from the link, and the administrator shares a plan with her.

A real server serves the demo; email is not set up, so the administration shows the
invitation's link to pass on, as it does in an installation without SMTP.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from live_server import LiveServer
from test_browser_live import CHROMIUM, CHROMIUM_ARGS

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium")

ADMIN_EMAIL, ADMIN_PASSWORD = "it@sip-meeting.example", "admin-losenord-2026"
ALVA_PLAN = 1


def focused(page) -> str:
    """Return the id of the element that has the keyboard focus."""
    return page.evaluate("document.activeElement && document.activeElement.id")


def tab_to(page, element_id: str, limit: int = 40) -> None:
    """Press Tab until the element with this id has the focus."""
    for _ in range(limit):
        if focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def sign_in(page, server, email: str, password: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("E-post").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_an_administrator_invites_a_chair_and_shares_a_plan_by_keyboard(tmp_path):
    server = LiveServer(tmp_path / "instance")
    server.command("create-chair", ADMIN_EMAIL, "--name", "Ida IT", "--admin", "--no-chair",
                   "--password", ADMIN_PASSWORD)
    server.start()
    try:
        with playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            admin = browser.new_context(locale="sv-SE").new_page()
            admin.set_default_timeout(10_000)
            sign_in(admin, server, ADMIN_EMAIL, ADMIN_PASSWORD)
            expect(admin.locator("h1")).to_have_text("Administration av Organisation")

            # The invitation: every field reached with Tab, the roles ticked with Space.
            admin.get_by_role("link", name="Konton").focus()
            with admin.expect_navigation():
                admin.keyboard.press("Enter")
            tab_to(admin, "name")
            admin.keyboard.type("Maja Lind")
            admin.keyboard.press("Tab")
            assert focused(admin) == "email"
            admin.keyboard.type("maja.lind@kommun.example")
            admin.keyboard.press("Tab")
            assert focused(admin) == "is_chair"
            expect(admin.locator("#is_chair")).to_be_checked()
            admin.keyboard.press("Tab")
            assert focused(admin) == "is_admin"
            tab_to(admin, "language")
            admin.keyboard.press("Tab")
            with admin.expect_navigation():
                admin.keyboard.press("Enter")  # "Skicka inbjudan"
            expect(admin.locator("h1")).to_have_text("Inbjudan till Maja Lind")
            link = re.search(r"https?://\S+/invite/\S+", admin.locator(".join-url").inner_text())
            assert link, "the invitation's link is shown"

            # Maja chooses her password from the link, by keyboard.
            maja = browser.new_context(locale="sv-SE").new_page()
            maja.set_default_timeout(10_000)
            maja.goto(link.group(0))
            expect(maja.locator("h1")).to_have_text("Välj ditt lösenord")
            maja.get_by_label("Nytt lösenord").focus()
            maja.keyboard.type("majas eget lösenord")
            maja.keyboard.press("Tab")
            maja.keyboard.type("majas eget lösenord")
            with maja.expect_navigation():
                maja.keyboard.press("Enter")
            expect(maja.locator("h1")).to_have_text("Mina möten")
            expect(maja.get_by_text("Ditt lösenord är sparat och du är inloggad.")).to_be_visible()
            expect(maja.get_by_role("link", name="Alva")).to_have_count(0)

            # The administrator shares Alva's plan with her: the colleague chosen with the
            # arrow keys, the form sent with Enter.
            admin.goto(f"{server.url}/admin/plans/{ALVA_PLAN}")
            expect(admin.locator("h1")).to_have_text(f"Plan {ALVA_PLAN}")
            expect(admin.locator("main")).not_to_contain_text("Alva")
            select = admin.get_by_label("Kollega")
            select.focus()
            for _ in range(5):
                if "Maja Lind" in select.evaluate("s => s.selectedOptions[0].text"):
                    break
                admin.keyboard.press("ArrowDown")
            expect(select).to_have_value(re.compile(r"\d+"))
            assert "Maja Lind" in select.evaluate("s => s.selectedOptions[0].text")
            admin.keyboard.press("Tab")
            with admin.expect_navigation():
                admin.keyboard.press("Enter")  # "Dela planen"
            expect(admin.get_by_text("Planen är delad.")).to_be_visible()
            expect(admin.locator("#shares-heading + p + ul")).to_contain_text("Maja Lind")

            maja.reload()
            expect(maja.get_by_role("link", name="Alva").first).to_be_visible()
            maja.get_by_role("link", name="Alva").first.click()
            expect(maja.locator("h1")).to_have_text("Plan för Alva")
            browser.close()
    finally:
        server.stop()
