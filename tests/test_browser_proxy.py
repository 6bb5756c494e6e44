"""A meeting in real browsers through nginx in front of two server processes.

The production shape of the README's deployment section: two `sip-meeting serve` processes
on PostgreSQL and Redis behind Debian's nginx with the README's own configuration
(tests/multiproc.py reads it from the README). The proxy keeps each browser on one process by
its route cookie; each browser context here is given a cookie that the proxy sends to the
process the test wants, so the chair's wall is on one process and a parent's phone on the
other. When the phone's process is killed, the proxy sends the phone to the other process,
where what was written meanwhile arrives.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from multiproc import NGINX, ROUTE_COOKIE, Deployment, wait_for

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

from test_browser_live import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    SAVED,
    WAITING,
    admit,
    chair_console,
    open_wall,
    start,
    strengths,
)

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's Chromium"),
    pytest.mark.skipif(not Path(NGINX).exists(), reason="needs Debian's nginx"),
    pytest.mark.timeout(240),
]


@pytest.fixture
def behind_proxy(tmp_path, pg_database_url, redis_url):
    """Two processes behind nginx; a silent process is taken for dead after 3 s."""
    deployment = Deployment(tmp_path, pg_database_url, redis_url, proxy=True,
                            env={"SIP_MEETING_LIVE_SERVER_STALE_SECONDS": "3"})
    deployment.start()
    yield deployment
    output = deployment.output()
    deployment.stop()
    assert "Traceback" not in output, output[-3000:]


@pytest.fixture
def routed_page(behind_proxy):
    """Return a factory of pages, each in a browser context the proxy sends to one process."""
    proxy = behind_proxy.proxy
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def open_(server, url: str | None = None, viewport: dict | None = None):
            context = browser.new_context(locale="sv-SE", viewport=viewport or PHONE)
            context.set_default_timeout(15_000)
            context.add_cookies([{"name": ROUTE_COOKIE, "value": proxy.route_to(server.port),
                                  "url": proxy.url}])
            page = context.new_page()
            if url:
                page.goto(url)
            return page

        yield open_
        browser.close()


def _upstreams(proxy, route: str, path: str = "/socket.io/") -> list[str]:
    """Where the proxy sent a route's requests for `path` (a WebSocket's once it closed)."""
    lines = proxy.access_log.read_text().splitlines()
    return [line.split(" ", 1)[1] for line in lines
            if line.startswith(f"{route} ") and path in line]


def test_the_proxy_gives_a_new_browser_its_cookie_and_keeps_it_on_one_process(behind_proxy):
    proxy = behind_proxy.proxy
    first = requests.get(f"{proxy.url}/login", timeout=10)
    route = first.cookies.get(ROUTE_COOKIE)
    assert route and re.fullmatch(r"[0-9a-f]{32}", route)
    with requests.Session() as http:
        http.cookies.set(ROUTE_COOKIE, route)
        for _ in range(8):
            answer = http.get(f"{proxy.url}/login", timeout=10)
            assert ROUTE_COOKIE not in answer.cookies  # set once, then only read
    went = [line.split()[1] for line in proxy.access_log.read_text().splitlines()
            if line.startswith(f"{route} ")]
    assert len(went) == 8 and len(set(went)) == 1
    assert went[0] in {f"127.0.0.1:{s.port}" for s in behind_proxy.servers}


def test_a_meeting_through_the_proxy_with_the_wall_and_a_phone_on_different_processes(
        behind_proxy, routed_page):
    d, proxy = behind_proxy, behind_proxy.proxy
    a, b = d.servers
    site = SimpleNamespace(url=proxy.url, chair_email=a.chair_email,
                           chair_password=a.chair_password, meeting_id=a.meeting_id)
    console = chair_console(lambda url, viewport=None: routed_page(a, url, viewport), site)
    sara = routed_page(b, d.link("Sara Berg"))
    expect(sara.get_by_text(WAITING)).to_be_visible()
    start(console)
    admit(console, "Sara Berg")
    wall = open_wall(console)  # the chair's browser: process A
    console.get_by_role("button", name="Nästa steg").click()
    expect(wall.locator("[aria-current=step]")).to_contain_text("Aktuell situation")
    expect(strengths(sara)).to_be_editable()
    expect(sara.locator("#save-status")).to_have_text(SAVED)

    text = "Alva är nyfiken, rolig och gillar att rita."
    strengths(sara).fill(text)
    expect(sara.locator("#save-status")).to_have_text(SAVED)
    expect(wall.locator("#sec-strengths")).to_contain_text(text)  # from B to A over Redis
    expect(wall.locator(".wall-present")).to_contain_text("Sara Berg")

    # Sara's process dies. The proxy sends her phone to A; what she writes meanwhile waits
    # on the phone and arrives once it is back.
    sara_route = sara.context.cookies(proxy.url)[0]["value"]
    b.stop(hard=True)
    status = sara.locator("#save-status")
    expect(status).to_contain_text("Offline")
    more = text + " Hon simmar på onsdagar."
    strengths(sara).fill(more)
    strengths(sara).blur()
    expect(status).to_have_text(SAVED, timeout=30_000)
    expect(wall.locator("#sec-strengths")).to_contain_text(more, timeout=30_000)
    expect(wall.locator("#wall-connection")).to_have_text("Ansluten")
    expect(wall.locator(".wall-present")).to_contain_text("Sara Berg")

    # The proxy's log (a WebSocket is logged when it closes): her phone's connection went
    # to B, and the one after B was gone to A.
    sara.context.close()
    assert wait_for(lambda: any(f"127.0.0.1:{a.port} " in line
                                for line in _upstreams(proxy, sara_route)), 10), \
        _upstreams(proxy, sara_route)
    assert f"127.0.0.1:{b.port} " in _upstreams(proxy, sara_route)[0]
    # And it is stored: the wall, loaded afresh, shows it.
    wall.reload()
    expect(wall.locator("#sec-strengths")).to_contain_text(more)
