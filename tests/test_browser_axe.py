"""Every page and state, in Swedish and in English, passes axe-core's WCAG 2.1 A and AA rules.

axe-core comes from the npm registry at a pinned version (tests/axe/package.json with its
lock); `make test` installs it, and the fixture below does when the file runs alone. One real
server serves the whole module: the demo with a room of twelve, actions with gaps, a child
with a link and a second version of Nils's plan (tests/room_seed.py). The pages are visited
language by language, each in the state people meet it in: the meeting is live at its needs
step, Sara and the child are let in, Leila still waits.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from live_server import LiveServer
from room_seed import CHILD_TOKEN, seed_room
from test_browser_live import CHROMIUM, CHROMIUM_ARGS

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium")

AXE_DIR = Path(__file__).with_name("axe")
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGS = ("sv", "en")
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ACTION = "#sec-actions .item-action >> nth=0"
WALL = {"width": 1280, "height": 720}
ALVA_PLAN, ALVA_MEETING, NILS_PLAN, NILS_FIRST, NILS_FOLLOWUP = 1, 1, 2, 2, 3


def submit_empty(page):
    """Send the page's form as it is: the state with the errors on the form."""
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def open_term_dialog(page):
    """Open the explanation of a marked word in the plan, as a participant does."""
    page.locator("#sec-actions button.term-btn").first.click()
    expect(page.locator("dialog.term-dialog .term-explanation")).to_be_visible()


ADMIN_EMAIL, ADMIN_PASSWORD = "it@sip-meeting.example", "admin-losenord-2026"


def open_invitation(page):
    """Invite someone as the administrator, then open the link as the invited person would."""
    lang = page.locator("html").get_attribute("lang")
    page.locator("#name").fill("Maja Lind")
    page.locator("#email").fill(f"maja.{lang}.{uuid.uuid4().hex[:8]}@kommun.example")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    page.goto(page.locator(".join-url code").inner_text())
    expect(page.locator("main form")).to_be_visible()


# name: (who visits, address, viewport, what shows that the page has settled, what they do)
PAGES = {
    "login": ("nobody", "/login", DESKTOP, "main form"),
    "login_errors": ("nobody", "/login", DESKTOP, "main form", submit_empty),
    "dashboard": ("chair", "/", DESKTOP, "main h1"),
    "new_plan": ("chair", "/plans/new", DESKTOP, "main form"),
    "plan": ("chair", f"/plans/{ALVA_PLAN}", DESKTOP, "main h1"),
    "history": ("chair", f"/plans/{NILS_PLAN}/history", DESKTOP, "main h1"),
    "new_meeting": ("chair", f"/plans/{ALVA_PLAN}/meetings/new", DESKTOP, "main form"),
    "new_meeting_errors": ("chair", f"/plans/{ALVA_PLAN}/meetings/new", DESKTOP, "main form",
                           submit_empty),
    "meeting": ("chair", f"/meetings/{ALVA_MEETING}", DESKTOP, "main h1"),
    "meeting_closed": ("chair", f"/meetings/{NILS_FIRST}", DESKTOP, "main h1"),
    "invitation": ("chair", f"/meetings/{ALVA_MEETING}/invitation", DESKTOP, "main h1"),
    "console": ("chair", f"/meetings/{ALVA_MEETING}/console", DESKTOP,
                "#save-status[data-state=saved] >> nth=0"),
    "wall": ("chair", f"/meetings/{ALVA_MEETING}/wall", WALL, ".wall-meter .meter"),
    "wall_closed": ("chair", f"/meetings/{NILS_FOLLOWUP}/wall", WALL, ".wall-closing svg"),
    "console_closed": ("chair", f"/meetings/{NILS_FOLLOWUP}/console", DESKTOP,
                       ".happy-counts"),
    "print": ("chair", f"/meetings/{NILS_FIRST}/plan", DESKTOP, "main h1"),
    "versions": ("chair", f"/plans/{NILS_PLAN}/versions", DESKTOP, "main h1"),
    "version": ("chair", f"/plans/{NILS_PLAN}/versions/1", DESKTOP, "main h1"),
    "diff": ("chair", f"/plans/{NILS_PLAN}/versions/compare?a=1&b=2", DESKTOP, "main h1"),
    "glossary": ("chair", "/glossary", DESKTOP, "main h1"),
    "term": ("chair", "/glossary/insats", DESKTOP, "main h1"),
    "device": ("Sara Berg", f"/m/{ALVA_MEETING}", PHONE, ACTION),
    "device_word": ("Sara Berg", f"/m/{ALVA_MEETING}", PHONE, ACTION,
                    open_term_dialog),
    "participant_invitation": ("Sara Berg", f"/m/{ALVA_MEETING}/invitation", PHONE, "main h1"),
    "lobby": ("Leila Nasser", f"/m/{ALVA_MEETING}", PHONE, ".lobby"),
    "child": ("child", f"/m/{ALVA_MEETING}", PHONE, ".simple-layout .simple-actions"),
    "family": ("Maria Lind", f"/m/{NILS_FIRST}/plan", PHONE, "main h1"),
    "bad_link": ("nobody", "/j/no-such-link", PHONE, "main h1"),
    "plan_shared": ("chair", f"/plans/{NILS_PLAN}", PHONE, "#sharing"),
    "admin": ("admin", "/admin/", DESKTOP, "main h1"),
    "admin_settings": ("admin", "/admin/settings", DESKTOP, "main form"),
    "admin_settings_errors": ("admin", "/admin/settings", DESKTOP, "main form",
                              lambda page: (page.locator("#retention_months").fill("0"),
                                            submit_empty(page))),
    "admin_accounts": ("admin", "/admin/accounts", DESKTOP, "main form"),
    "admin_accounts_errors": ("admin", "/admin/accounts", DESKTOP, "main form", submit_empty),
    "admin_account": ("admin", "/admin/accounts/1", DESKTOP, "main h1"),
    "admin_deactivate": ("admin", "/admin/accounts/1/deactivate", DESKTOP, "main h1"),
    "admin_plans": ("admin", "/admin/plans", DESKTOP, "main h1"),
    "admin_plan": ("admin", f"/admin/plans/{ALVA_PLAN}", DESKTOP, "main h1"),
    "admin_audit": ("admin", "/admin/audit", DESKTOP, "main h1"),
    "staff_invitation": ("admin", "/admin/accounts", PHONE, "main form", open_invitation),
    "staff_invitation_gone": ("nobody", "/invite/no-such-invitation", PHONE, "main h1"),
}
CASES = [(lang, name) for lang in LANGS for name in PAGES]


@pytest.fixture(scope="module")
def axe_script() -> Path:
    """Return axe-core's script, installing the pinned package first if it is missing."""
    if not AXE.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install axe-core (tests/axe/package.json)"
        subprocess.run([npm, "ci", "--prefix", str(AXE_DIR), "--ignore-scripts", "--no-audit",
                        "--no-fund"], check=True, capture_output=True, timeout=300)
    return AXE


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """Start the seeded server and put the meeting where the live pages are to be seen."""
    server = LiveServer(tmp_path_factory.mktemp("axe") / "instance")
    seed_room(server, child=True, second_version=True, waiting=("Leila Nasser",))
    server.command("create-chair", ADMIN_EMAIL, "--name", "Ida IT", "--admin", "--no-chair",
                   "--password", ADMIN_PASSWORD)
    server.command("create-chair", "karl@sip-meeting.example", "--name", "Karl Berg",
                   "--password", ADMIN_PASSWORD)  # a colleague to share plans with
    output = server.command("demo", "--base-url", server.url)
    links = dict(re.findall(r"(?:Join|Family) link for (.+?): (\S+)", output))
    links["child"] = f"{server.url}/j/{CHILD_TOKEN}"
    server.start()
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        visitors: dict[tuple[str, str], object] = {}
        state = {"server": server, "browser": browser, "links": links, "visitors": visitors}
        console = visitor(state, "chair", "sv").new_page()
        console.goto(f"{server.url}/meetings/{ALVA_MEETING}/console")
        console.get_by_role("button", name="Starta mötet").click()
        expect(console.get_by_text("Mötet pågår.")).to_be_visible()
        for _ in range(2):   # opening, situation, needs: where the actions are written
            console.get_by_role("button", name="Nästa steg").click()
        expect(console.locator("[aria-current=step]")).to_contain_text("Behov")
        console.close()
        yield state
        for context in visitors.values():
            context.close()
        browser.close()
    server.stop()


def visitor(state, who: str, lang: str):
    """Return a browser context of one visitor, signed in and reading the given language."""
    key = (who, lang)
    if key in state["visitors"]:
        return state["visitors"][key]
    server = state["server"]
    context = state["browser"].new_context(locale="sv-SE", viewport=DESKTOP, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    if who in ("chair", "admin"):
        page.goto(f"{server.url}/login")
        page.get_by_label("E-post").fill(server.chair_email if who == "chair" else ADMIN_EMAIL)
        page.get_by_label("Lösenord").fill(server.chair_password if who == "chair" else
                                           ADMIN_PASSWORD)
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name="Logga in").click()
    elif who == "nobody":
        page.goto(f"{server.url}/login")
    else:
        page.goto(state["links"][who])
    # The session's own choice of language, which wins over the account's and the link's.
    with page.expect_navigation():
        page.evaluate("""(lang) => {
            const button = document.querySelector("form.lang-switch button[name=lang]");
            button.value = lang;
            button.click();
        }""", lang)
    page.close()
    state["visitors"][key] = context
    return context


def run_axe(page, script: Path) -> list[dict]:
    """Run axe-core on the page as it is now; return its WCAG 2.1 A/AA violations."""
    page.add_script_tag(path=str(script))
    result = page.evaluate("""(tags) => axe.run(document, {
        runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })""", TAGS)
    return result["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:6]:
            lines.append(f"    {json.dumps(node['target'])}: {node['failureSummary'][:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize(("lang", "name"), CASES, ids=[f"{lang}-{name}" for lang, name in CASES])
def test_page_has_no_wcag_violation(room, axe_script, lang, name):
    who, path, viewport, ready, *act = PAGES[name]
    page = visitor(room, who, lang).new_page()
    try:
        page.set_viewport_size(viewport)
        page.goto(room["server"].url + path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator(ready)).to_be_visible()
        for step in act:
            step(page)
        if page.locator("#live-config").count():
            page.wait_for_timeout(300)   # a live page: the last annotations after the snapshot
        violations = run_axe(page, axe_script)
        assert not violations, f"{name} ({lang}):\n{describe(violations)}"
    finally:
        page.close()
