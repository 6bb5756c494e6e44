"""Whoever loses access leaves the live meeting at once, and cannot come back in.

A stopped, replaced or removed link disconnects that person's open sockets; a logout
disconnects the sockets its browser opened; in one process and across processes that share
a message queue.
"""

from __future__ import annotations

import re
import threading
import uuid
from urllib.parse import urlsplit

import pytest
import requests
import socketio
from conftest import LiveClient
from sqlalchemy import select

from sip_meeting import planning
from sip_meeting.db import atomic
from sip_meeting.models import LiveConnection, Participant


def _events(client: LiveClient, name: str) -> list:
    """Return what a socket received, connected or not (the test client refuses otherwise)."""
    got = [e for e in client.socket.queue if e["namespace"] == "/live"]
    client.socket.queue = []
    return [e["args"][0] for e in got if e["name"] == name]


def _edit_strengths(client: LiveClient, value: str) -> dict:
    state = client.snapshot()
    field = state["plan"]["fields"]["strengths"]
    return client.op("edit", entity="plan", id=state["meeting"]["plan_id"], field="strengths",
                     base_version=field["version"], base=field["value"], value=value)


def _chair_post(live, path: str):
    return live.chair.http.post(f"/meetings/{live.meeting.id}/participants/{path}")


@pytest.mark.parametrize("action,message", [
    ("revoke", "Din länk till mötet har stängts av"),
    ("link", "Din länk till mötet har bytts ut mot en ny"),
    ("remove", "Du är inte längre inbjuden till mötet"),
])
def test_a_participant_who_lost_the_link_gets_nothing_more(app, live, query, action, message):
    live.start()
    sara = live.join()
    karin = live.join("Karin Holm", role="professional", principal="municipality")
    second_tab = LiveClient(app, live.meeting.id, "device", sara.http)
    assert second_tab.socket.is_connected("/live")
    assert _edit_strengths(karin, "Före")["ok"]
    assert _events(sara, "op") and _events(second_tab, "op")  # both receive the meeting

    response = _chair_post(live, f"{sara.participant_id}/{action}")
    assert response.status_code in (200, 302)
    _events(karin, "op")  # removing someone is itself an operation of the meeting

    for tab in (sara, second_tab):
        assert not tab.socket.is_connected("/live")
        [told] = _events(tab, "revoked")
        assert message in told["message"]
    assert query(lambda s: s.scalars(select(LiveConnection.sid).where(
        LiveConnection.participant_id == sara.participant_id)).all()) == []
    # the chair and another participant go on; nothing reaches the old sockets
    assert _edit_strengths(karin, "Efter")["ok"]
    assert _edit_strengths(live.chair, "Efter igen")["ok"]
    assert live.chair.op("set_step", step=1)["ok"]
    assert _events(sara, "op") == [] and _events(second_tab, "op") == []
    assert len(_events(karin, "op")) == 3
    # and the browser cannot come back in
    again = LiveClient(app, live.meeting.id, "device", sara.http)
    assert not again.socket.is_connected("/live")
    page = sara.http.get(f"/m/{live.meeting.id}")
    assert page.status_code == 404 and "Öppna din länk igen" in page.get_data(as_text=True)


def test_the_new_link_lets_the_person_back_in(app, live):
    live.start()
    sara = live.join()
    page = _chair_post(live, f"{sara.participant_id}/link").get_data(as_text=True)
    new = re.search(r"/j/([A-Za-z0-9_\-]{40,})", page).group(1)
    assert not sara.socket.is_connected("/live")
    assert sara.http.get(f"/j/{new}").status_code == 302
    back = LiveClient(app, live.meeting.id, "device", sara.http)
    assert back.socket.is_connected("/live")
    assert back.snapshot()["me"]["participant_id"] == sara.participant_id


def test_logging_out_disconnects_the_console_and_the_wall(app, live):
    live.start()
    wall = live.wall()
    sara = live.join()
    live.chair.http.post("/logout")

    for screen in (live.chair, wall):
        assert not screen.socket.is_connected("/live")
        [told] = _events(screen, "logged_out")
        assert "utloggad" in told["message"]
    assert _edit_strengths(sara, "Efter utloggningen")["ok"]
    assert _events(live.chair, "op") == [] and _events(wall, "op") == []
    assert _events(sara, "op")  # the participant's own socket stays
    again = LiveClient(app, live.meeting.id, "console", live.chair.http)
    assert not again.socket.is_connected("/live")


def _namespace(app):
    return app.extensions["socketio"].server.namespace_handlers["/live"]


def test_sockets_that_a_revoke_did_not_reach_are_closed_at_the_next_check(app, live):
    live.start()
    sara = live.join("Sara Berg", language="en")
    karin = live.join("Karin Holm", role="professional", principal="municipality")
    with app.app_context(), atomic() as session:  # as from another process, no message queue
        p = session.get(Participant, sara.participant_id)
        planning.revoke_link(session, p.meeting.chair, p)
    assert sara.socket.is_connected("/live")

    with app.app_context():
        assert _namespace(app).close_lost_sockets() == 1

    assert not sara.socket.is_connected("/live") and karin.socket.is_connected("/live")
    [told] = _events(sara, "revoked")
    assert "personal link" in told["message"]  # in the participant's own language
    assert _edit_strengths(karin, "Efter")["ok"]
    assert _events(sara, "op") == []


def test_a_socket_recorded_as_its_access_ends_is_refused(app, live, monkeypatch):
    """The revoke lists the sockets before this one is recorded: the connect checks again."""
    live.start()
    sara = live.join()
    sara.socket.disconnect("/live")
    namespace = _namespace(app)
    authenticate = namespace._authenticate

    def revoked_meanwhile(auth):
        conn = authenticate(auth)
        with atomic() as session:
            p = session.get(Participant, sara.participant_id)
            planning.revoke_link(session, p.meeting.chair, p)
        return conn

    monkeypatch.setattr(namespace, "_authenticate", revoked_meanwhile)
    late = LiveClient(app, live.meeting.id, "device", sara.http)
    assert not late.socket.is_connected("/live")
    with app.app_context():
        from sip_meeting.db import db_session

        assert db_session().scalars(select(LiveConnection.sid).where(
            LiveConnection.participant_id == sara.participant_id)).all() == []


# -- two server processes sharing the database and Redis --------------------------------------

def _csrf(http: requests.Session, url: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                     http.get(url).text).group(1)


def _log_in(server) -> requests.Session:
    http = requests.Session()
    http.post(f"{server.url}/login", data={"csrf_token": _csrf(http, f"{server.url}/login"),
                                           "email": server.chair_email,
                                           "password": server.chair_password})
    return http


class _Socket:
    """A python-socketio client that records what it receives."""

    def __init__(self, server, http: requests.Session, view: str) -> None:
        self.events: list[tuple[str, dict]] = []
        self.gone = threading.Event()
        self.client = socketio.Client(reconnection=False)
        for name in ("op", "revoked", "logged_out"):
            self.client.on(name, self._recorder(name), namespace="/live")
        self.client.on("disconnect", lambda *args: self.gone.set(), namespace="/live")
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        self.client.connect(server.url, namespaces=["/live"], headers={"Cookie": cookie},
                            auth={"meeting": server.meeting_id, "view": view},
                            transports=["websocket"], wait_timeout=10)

    def _recorder(self, name: str):
        return lambda data=None: self.events.append((name, data))

    def call(self, event: str, payload: dict) -> dict:
        return self.client.call(event, payload, namespace="/live", timeout=10)

    def received(self, name: str) -> list[dict]:
        return [data for event, data in self.events if event == name]

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def _wait_for(condition, timeout: float = 5.0) -> bool:
    event = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if condition():
            return True
        event.wait(0.05)
    return condition()


@pytest.fixture
def two_servers(tmp_path, database_url, redis_url):
    """Two `sip-meeting serve` processes of one deployment: one database, one Redis channel."""
    from live_server import LiveServer

    env = {"SIP_MEETING_SOCKETIO_MESSAGE_QUEUE": redis_url,
           # a channel of its own, so that no other server on this Redis takes part
           "SIP_MEETING_SOCKETIO_CHANNEL": f"sip-meeting-test-{uuid.uuid4().hex}",
           # the heartbeat's check for lost access would come far too late to pass for it
           "SIP_MEETING_LIVE_SERVER_STALE_SECONDS": "600"}
    a = LiveServer(tmp_path / "instance", database_url=database_url, env=env)
    b = LiveServer.beside(a)
    a.start()
    b.start()
    yield a, b
    for server in (a, b):
        server.stop()


def test_a_revoke_on_one_process_disconnects_the_socket_another_process_holds(two_servers):
    a, b = two_servers
    chair_http = _log_in(a)
    chair = _Socket(a, chair_http, "console")
    assert chair.call("start", {"op_id": "start"})["ok"]
    sara_http = requests.Session()
    sara_http.get(b.url + urlsplit(a.join_links["Sara Berg"]).path, allow_redirects=False)
    sara = _Socket(b, sara_http, "device")
    wall = _Socket(b, chair_http, "wall")  # the chair's own browser, on the other process
    assert chair.call("admit", {"op_id": "admit", "participant_id": "all"})["ok"]
    state = sara.call("sync", {"last_seq": None})["snapshot"]
    plan_id = state["meeting"]["plan_id"]
    sara_id = state["me"]["participant_id"]
    field = dict(state["plan"]["fields"]["strengths"])

    def edit(value: str) -> None:
        answer = chair.call("edit", {"op_id": value, "entity": "plan", "id": plan_id,
                                     "field": "strengths", "base_version": field["version"],
                                     "base": field["value"], "value": value})
        assert answer["ok"], answer
        field.update(value=value, version=answer["version"])

    # the queue carries the meeting between the processes
    assert _wait_for(lambda: wall.received("op"))  # the admission
    sara_ops, wall_ops = len(sara.received("op")), len(wall.received("op"))
    edit("Före")
    assert _wait_for(lambda: len(sara.received("op")) == sara_ops + 1
                     and len(wall.received("op")) == wall_ops + 1)

    revoke = chair_http.post(f"{a.url}/meetings/{a.meeting_id}/participants/{sara_id}/revoke",
                             data={"csrf_token": _csrf(chair_http,
                                                       f"{a.url}/meetings/{a.meeting_id}")},
                             allow_redirects=False)
    assert revoke.status_code == 302

    assert sara.gone.wait(5), "the socket on the other process was not disconnected"
    assert "Din länk till mötet har stängts av" in sara.received("revoked")[0]["message"]
    edit("Efter")
    assert _wait_for(lambda: len(wall.received("op")) == wall_ops + 2)
    assert len(sara.received("op")) == sara_ops + 1
    with pytest.raises(socketio.exceptions.ConnectionError):
        _Socket(b, sara_http, "device")

    # logging out on A closes what the same browser opened on B
    logout = chair_http.post(f"{a.url}/logout", data={"csrf_token": _csrf(
        chair_http, f"{a.url}/meetings/{a.meeting_id}")}, allow_redirects=False)
    assert logout.status_code == 302
    assert wall.gone.wait(5) and chair.gone.wait(5)
    assert "utloggad" in wall.received("logged_out")[0]["message"]
    for client in (sara, wall, chair):
        client.close()
    assert "Traceback" not in a.output() + b.output()
