"""Sessions live on the server: logging out ends them, and the cookie carries no join token."""

from __future__ import annotations

from datetime import timedelta

from conftest import CHAIR_PASSWORD, LiveClient
from sqlalchemy import select

from sip_meeting.db import atomic, utcnow
from sip_meeting.models import BrowserSession, Chair
from sip_meeting.security import hash_token, verify_password

COOKIE = "session"


def _copy_cookie(source, target) -> str:
    """Give another browser the same session cookie (as a thief who copied it would)."""
    value = source.get_cookie(COOKIE).value
    target.set_cookie(COOKIE, value)
    return value


def _console(app, meeting_id: int, http) -> LiveClient:
    return LiveClient(app, meeting_id, "console", http)


def _events(client: LiveClient, name: str) -> list:
    """Return what a socket received, connected or not (the test client refuses otherwise)."""
    got = [e for e in client.socket.queue if e["namespace"] == "/live"]
    client.socket.queue = []
    return [e["args"][0] for e in got if e["name"] == name]


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, client, make_chair, login,
                                                              make_meeting):
    make_chair()
    login()
    meeting = make_meeting()
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/").status_code == 200  # the copy works while the chair is logged in
    assert _console(app, meeting.id, thief).socket.is_connected("/live")

    client.post("/logout")

    assert thief.get("/").status_code == 302
    assert "/login" in thief.get(f"/meetings/{meeting.id}").headers["Location"]
    assert not _console(app, meeting.id, thief).socket.is_connected("/live")


def test_the_cookie_carries_a_key_and_never_the_join_token(app, client, make_meeting,
                                                           make_participant, query):
    meeting = make_meeting()
    _, token = make_participant(meeting)
    client.post("/language", data={"lang": "en", "next": "/login"})
    client.get(f"/j/{token}")
    raw = client.get_cookie(COOKIE).value
    data = app.session_interface.get_signing_serializer(app).loads(raw)

    assert token not in raw and hash_token(token) not in raw
    assert token not in repr(data) and hash_token(token) not in repr(data)
    assert set(data) <= {"key", "lang", "_permanent", "csrf_token", "_flashes"}
    assert data["lang"] == "en" and len(data["key"]) >= 43
    # the server keeps the token's hash, under the hash of the cookie's key
    row = query(lambda s: s.scalar(select(BrowserSession)))
    assert row.tokens == {str(meeting.id): hash_token(token)}
    assert row.key_hash == hash_token(data["key"]) and data["key"] not in row.key_hash
    assert client.get(f"/m/{meeting.id}").status_code == 200


def test_logging_in_starts_a_new_session_and_ends_the_one_the_browser_had(
        app, client, make_chair, login, make_meeting, make_participant):
    make_chair()
    meeting = make_meeting()
    _, token = make_participant(meeting)
    client.get(f"/j/{token}")
    planted = app.test_client()
    _copy_cookie(client, planted)  # a key someone else holds before the login
    login()
    assert client.get_cookie(COOKIE).value != planted.get_cookie(COOKIE).value
    assert client.get("/").status_code == 200
    assert planted.get("/").status_code == 302
    assert planted.get(f"/m/{meeting.id}").status_code == 404


def test_opening_a_link_gives_the_browser_a_new_key(app, client, make_meeting,
                                                    make_participant):
    meeting = make_meeting()
    _, first = make_participant(meeting)
    _, second = make_participant(make_meeting(child="Nils"), name="Ahmed")
    client.get(f"/j/{first}")
    planted = app.test_client()
    _copy_cookie(client, planted)
    client.get(f"/j/{second}")
    assert client.get(f"/m/{meeting.id}").status_code == 200  # still in the first meeting
    # the old key neither follows the browser into the second meeting nor keeps the first
    assert planted.get(f"/m/{meeting.id}").status_code == 404


def test_set_password_ends_every_session_of_the_chair(app, client, make_chair, login,
                                                      make_meeting, runner):
    make_chair()
    other = make_chair("other@example.se", "Per Ek")
    login()
    meeting = make_meeting()
    laptop = app.test_client()
    laptop.post("/login", data={"email": "chair@example.se", "password": CHAIR_PASSWORD})
    colleague = app.test_client()
    colleague.post("/login", data={"email": other.email, "password": CHAIR_PASSWORD})
    console = _console(app, meeting.id, laptop)
    assert console.socket.is_connected("/live")

    result = runner.invoke(args=["set-password", "Chair@Example.se", "--password",
                                 "a new long password"])

    assert result.exit_code == 0, result.output
    assert "2 signed-in browser(s) logged out" in result.output
    assert client.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert colleague.get("/").status_code == 200  # another chair stays logged in
    assert not console.socket.is_connected("/live")
    [told] = _events(console, "logged_out")
    assert "lösenordet" in told["message"].lower()
    assert client.post("/login", data={"email": "chair@example.se",
                                       "password": CHAIR_PASSWORD}).status_code == 400
    assert client.post("/login", data={"email": "chair@example.se",
                                       "password": "a new long password"}).status_code == 302


def test_set_password_refuses_a_short_password_and_an_unknown_chair(make_chair, runner, query):
    make_chair()
    short = runner.invoke(args=["set-password", "chair@example.se", "--password", "kort"])
    assert short.exit_code != 0 and "10 characters" in short.output
    unknown = runner.invoke(args=["set-password", "nobody@example.se", "--password",
                                  "a new long password"])
    assert unknown.exit_code != 0 and "nobody@example.se" in unknown.output
    stored = query(lambda s: s.scalar(select(Chair.password_hash)))
    assert verify_password(stored, CHAIR_PASSWORD)


def _end_sessions(app, **change) -> None:
    with app.app_context(), atomic() as session:
        for row in session.scalars(select(BrowserSession)):
            for name, value in change.items():
                setattr(row, name, value)


def test_an_ended_session_sends_the_participant_to_a_clear_page(app, client, make_meeting,
                                                                make_participant):
    meeting = make_meeting()
    _, token = make_participant(meeting)
    client.get(f"/j/{token}")
    assert client.get(f"/m/{meeting.id}").status_code == 200
    _end_sessions(app, ended_at=utcnow())
    for page in (f"/m/{meeting.id}", f"/m/{meeting.id}/invitation"):
        response = client.get(page)
        body = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "Öppna din länk igen" in body and "personliga länken" in body
    device = LiveClient(app, meeting.id, "device", client)
    assert not device.socket.is_connected("/live")
    # opening the link again lets the browser back in
    assert client.get(f"/j/{token}").status_code == 302
    assert client.get(f"/m/{meeting.id}").status_code == 200


def test_an_expired_session_is_no_session(app, client, make_chair, login):
    make_chair()
    login()
    _end_sessions(app, expires_at=utcnow() - timedelta(seconds=1))
    assert client.get("/").status_code == 302


def test_a_session_in_use_is_renewed_once_half_its_lifetime_has_passed(app, client, make_chair,
                                                                       login, query):
    make_chair()
    login()
    lifetime = app.permanent_session_lifetime
    _end_sessions(app, expires_at=utcnow() + lifetime * 0.6)
    client.get("/")
    assert query(lambda s: s.scalar(select(BrowserSession.expires_at))) < utcnow() + lifetime * 0.7
    _end_sessions(app, expires_at=utcnow() + lifetime * 0.4)
    client.get("/")
    assert query(lambda s: s.scalar(select(BrowserSession.expires_at))) > utcnow() + lifetime * 0.9


def test_ended_and_expired_sessions_are_deleted_when_a_new_one_starts(app, client, make_chair,
                                                                      login, query):
    make_chair()
    for _ in range(3):
        login()
        client.post("/logout")
    stale = app.test_client()
    stale.post("/login", data={"email": "chair@example.se", "password": CHAIR_PASSWORD})
    _end_sessions(app, expires_at=utcnow() - timedelta(seconds=1))
    login()
    rows = query(lambda s: s.scalars(select(BrowserSession)).all())
    assert len(rows) == 1 and rows[0].ended_at is None
    assert client.get("/").status_code == 200
