"""Two server processes of one deployment on PostgreSQL and Redis are one meeting, correct.

Each test starts two real `sip-meeting serve` processes (tests/multiproc.py) sharing the
PostgreSQL test database and a Redis channel of their own, as the README's deployment section
runs them. A meeting's changes are ordered by the database's lock on its row, not by anything
inside a process; who is here is right on both and after one is killed; losing access
disconnects a socket whichever process holds it; and the login limit counts both.
Run with SIP_MEETING_TEST_DATABASE_URL and SIP_MEETING_TEST_REDIS_URL set (.ci/run sets both).
"""

from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio
from multiproc import Deployment, Socket, csrf, join, log_in, wait_for
from sqlalchemy import create_engine, select

from sip_meeting.models import Meeting, Operation

pytestmark = pytest.mark.timeout(240)
STALE = 3  # seconds after which a silent process is taken for dead (one beat a second)


@pytest.fixture
def deploy(tmp_path, pg_database_url, redis_url):
    """Return a factory of two-process deployments; each is stopped after the test."""
    made: list[Deployment] = []

    def make(**env: str) -> Deployment:
        deployment = Deployment(tmp_path / f"d{len(made)}", pg_database_url, redis_url,
                                env={f"SIP_MEETING_{k}": v for k, v in env.items()})
        made.append(deployment)
        deployment.start()
        return deployment

    yield make
    for deployment in made:
        output = deployment.output()
        deployment.stop()
        assert "Traceback" not in output, output[-3000:]


class Meeting2:
    """The demo meeting started by the chair on process A, with people on either process."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.a, self.b = deployment.servers
        self.chair_http = log_in(self.a)
        self.chair = Socket(self.a, self.chair_http, "console")
        self.sockets = [self.chair]
        assert self.chair.call("start", {"op_id": "start"})["ok"]

    def device(self, name: str, server) -> Socket:
        socket = Socket(server, join(self.d, name, server), "device")
        socket.view = "device"
        self.sockets.append(socket)
        return socket

    def wall(self, server) -> Socket:
        socket = Socket(server, self.chair_http, "wall")
        self.sockets.append(socket)
        return socket

    def admit_all(self) -> dict:
        assert self.chair.call("admit", {"op_id": f"admit-{time.monotonic()}",
                                         "participant_id": "all"})["ok"]
        for socket in self.sockets:
            if getattr(socket, "view", None) == "device":
                # As the page does on `admitted`: its sync puts it in the meeting's room on
                # a process other than the chair's.
                assert socket.call("sync", {"last_seq": None})["ok"]
        return self.chair.call("sync", {"last_seq": None})["snapshot"]

    def close(self) -> None:
        for socket in self.sockets:
            socket.close()


def _edit(socket: Socket, plan_id: int, field: dict, value: str, op_id: str) -> dict:
    return socket.call("edit", {"op_id": op_id, "entity": "plan", "id": plan_id,
                                "field": "strengths", "base_version": field["version"],
                                "base": field["value"], "value": value})


def test_an_edit_through_one_process_reaches_the_other_once_and_in_order(deploy):
    m = Meeting2(deploy(LIVE_EVENTS_PER_SECOND="0"))
    sara = m.device("Sara Berg", m.b)
    wall = m.wall(m.b)
    state = m.admit_all()
    plan_id, field = state["meeting"]["plan_id"], dict(state["plan"]["fields"]["strengths"])
    assert wait_for(lambda: wall.received("op"))  # the admission, from A
    sara.events.clear()
    wall.events.clear()

    acked = []
    for n in range(30):
        if n % 3 == 2:
            answer = m.chair.call("add_item", {"op_id": f"add{n}", "entity": "action",
                                               "values": {"what": f"Åtgärd {n}"}})
        else:
            answer = _edit(m.chair, plan_id, field, f"{field['value']} ord{n}".strip(), f"e{n}")
            field.update(value=answer["value"], version=answer["version"])
        assert answer["ok"], answer
        acked.append((answer["seq"], f"add{n}" if n % 3 == 2 else f"e{n}"))

    for screen in (sara, wall):
        assert wait_for(lambda s=screen: len(s.received("op")) >= len(acked))
        time.sleep(0.3)  # anything doubled would come now
        got = [(op["seq"], op["op_id"]) for op in screen.received("op")]
        assert got == acked  # each once, in the order of their sequence numbers
    state = sara.call("sync", {"last_seq": None})["snapshot"]
    assert state["plan"]["fields"]["strengths"] == {"value": field["value"],
                                                    "version": field["version"]}
    m.close()


def test_concurrent_changes_through_both_processes_are_serialised_by_the_database(
        deploy, pg_database_url):
    """Writers on both processes at once: contiguous seqs, no lost update, every op once."""
    m = Meeting2(deploy(LIVE_EVENTS_PER_SECOND="0"))  # as fast as the answers come
    writers = [m.chair, m.device("Sara Berg", m.b), m.device("Karin Holm", m.a),
               m.device("Leila Nasser", m.b)]
    walls = [m.wall(m.a), m.wall(m.b)]
    state = m.admit_all()
    plan_id = state["meeting"]["plan_id"]
    start_seq = state["seq"]
    assert wait_for(lambda: all(w.received("op") for w in walls))
    for w in walls:
        w.events.clear()

    rounds = 15
    results: dict[int, list[dict]] = {n: [] for n in range(len(writers))}
    failures: list[str] = []

    def write(n: int, socket: Socket) -> None:
        # Each writer knows only what its own answers told it: its edits race the others'
        # and are merged with them or refused as conflicts, then sent again on the new text.
        field = dict(state["plan"]["fields"]["strengths"])
        try:
            for r in range(rounds):
                word = f"w{n}r{r}"
                for attempt in range(30):
                    answer = _edit(socket, plan_id, field, f"{field['value']} {word}".strip(),
                                   f"{n}-{r}-{attempt}")
                    if answer["ok"]:
                        results[n].append({"word": word, **answer})
                        field.update(value=answer["value"], version=answer["version"])
                        break
                    assert answer["code"] == "conflict", answer
                    field.update(value=answer["theirs"], version=answer["version"])
                else:
                    failures.append(f"writer {n}: {word} never stored")
                answer = socket.call("add_item", {"op_id": f"{n}-item-{r}", "entity": "action",
                                                  "values": {"what": f"Åtgärd {n}.{r}"}})
                assert answer["ok"], answer
                results[n].append({**answer, "added": answer["id"]})
        except Exception as error:  # noqa: BLE001  (reported by the test's thread)
            failures.append(f"writer {n}: {error!r}")

    threads = [threading.Thread(target=write, args=(n, s)) for n, s in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures

    answers = [a for rs in results.values() for a in rs]
    seqs = sorted(a["seq"] for a in answers)
    assert seqs == list(range(start_seq + 1, start_seq + 1 + len(answers)))  # none twice, no gap
    edits = [a for a in answers if "word" in a]
    assert sorted(a["version"] for a in edits) == list(
        range(state["plan"]["fields"]["strengths"]["version"] + 1,
              state["plan"]["fields"]["strengths"]["version"] + 1 + len(edits)))

    final = m.chair.call("sync", {"last_seq": None})["snapshot"]
    words = final["plan"]["fields"]["strengths"]["value"].split()
    assert sorted(words) == sorted(a["word"] for a in edits)  # no acknowledged word lost
    assert {a["id"] for a in final["actions"]} >= {a["added"] for a in answers if "added" in a}

    engine = create_engine(pg_database_url)
    try:
        with engine.connect() as conn:
            db_seq = conn.scalar(select(Meeting.seq).where(Meeting.id == m.a.meeting_id))
            logged = conn.scalars(select(Operation.seq).where(
                Operation.meeting_id == m.a.meeting_id, Operation.seq.is_not(None))
                .order_by(Operation.seq)).all()
    finally:
        engine.dispose()
    assert db_seq == start_seq + len(answers) == final["seq"]
    assert list(logged) == list(range(1, db_seq + 1))

    # Each screen, on either process, receives every change exactly once. Changes committed
    # by the two processes can cross on the way (the page catches up on a gap), but each
    # process's own leave in order.
    for w in walls:
        assert wait_for(lambda w=w: len(w.received("op")) >= len(answers), 20)
        time.sleep(0.3)
        got = [op["seq"] for op in w.received("op")]
        assert sorted(got) == seqs
        for n, rs in results.items():
            mine = [op["seq"] for op in w.received("op") if op["op_id"].startswith(f"{n}-")]
            assert mine == sorted(a["seq"] for a in rs)
    m.close()


def _presence(socket: Socket, participant_id: int) -> list[bool]:
    return [p["connected"] for p in socket.received("presence")
            if p["participant_id"] == participant_id]


def _connected(socket: Socket) -> set[str]:
    state = socket.call("sync", {"last_seq": None})["snapshot"]
    return {p["name"] for p in state["participants"] if p["connected"]}


def test_presence_is_right_on_both_processes_and_after_one_is_killed(deploy):
    d = deploy(LIVE_SERVER_STALE_SECONDS=str(STALE))
    m = Meeting2(d)
    sara = m.device("Sara Berg", m.b)
    karin = m.device("Karin Holm", m.a)
    m.admit_all()
    wall_b = m.wall(m.b)
    sara_id = sara.call("sync", {"last_seq": None})["snapshot"]["me"]["participant_id"]
    assert _connected(m.chair) == _connected(wall_b) == {"Sara Berg", "Karin Holm"}

    # A clean leave on B is announced on A, and a return too.
    sara.close()
    assert wait_for(lambda: _presence(m.chair, sara_id)[-1:] == [False])
    assert _connected(m.chair) == _connected(wall_b) == {"Karin Holm"}
    sara = m.device("Sara Berg", m.b)
    assert wait_for(lambda: _presence(m.chair, sara_id)[-1:] == [True])
    assert _connected(m.chair) == {"Sara Berg", "Karin Holm"}

    # B is killed: nobody tells A, whose heartbeat finds B silent and announces who left.
    m.chair.events.clear()
    killed = time.monotonic()
    m.b.stop(hard=True)
    assert wait_for(lambda: _presence(m.chair, sara_id)[-1:] == [False], STALE * 4 + 5), \
        m.chair.events
    assert time.monotonic() - killed >= STALE - 1  # taken for dead only once it was silent
    assert _connected(m.chair) == {"Karin Holm"}
    assert karin.client.connected

    # B comes back (a new process) and Sara with it.
    m.b.start(timeout=60)
    sara = m.device("Sara Berg", m.b)
    assert wait_for(lambda: _presence(m.chair, sara_id)[-1:] == [True])
    assert _connected(m.chair) == {"Sara Berg", "Karin Holm"}
    m.close()


@pytest.mark.parametrize("action,message", [
    ("remove", "Du är inte längre inbjuden till mötet"),
    ("revoke", "Din länk till mötet har stängts av"),
])
def test_losing_access_through_one_process_disconnects_the_socket_the_other_holds(
        deploy, action, message):
    # The heartbeat's own check for lost access would come far too late to pass for it.
    m = Meeting2(deploy(LIVE_SERVER_STALE_SECONDS="600"))
    sara = m.device("Sara Berg", m.b)
    karin = m.device("Karin Holm", m.b)
    state = m.admit_all()
    plan_id, field = state["meeting"]["plan_id"], dict(state["plan"]["fields"]["strengths"])
    sara_id = sara.call("sync", {"last_seq": None})["snapshot"]["me"]["participant_id"]
    meeting_page = f"{m.a.url}/meetings/{m.a.meeting_id}"
    answer = m.chair_http.post(f"{meeting_page}/participants/{sara_id}/{action}",
                               data={"csrf_token": csrf(m.chair_http, meeting_page)},
                               allow_redirects=False, timeout=30)
    assert answer.status_code == 302

    assert wait_for(lambda: not sara.client.connected and sara.received("disconnect"))
    names = [name for name, _ in sara.events if name in ("revoked", "disconnect")]
    assert names == ["revoked", "disconnect"]  # told why first, in the person's language
    assert message in sara.received("revoked")[0]["message"]  # Sara reads Swedish
    assert karin.client.connected and not karin.received("revoked")

    ops = len(karin.received("op"))
    assert _edit(m.chair, plan_id, field, "Efter", "after")["ok"]
    assert wait_for(lambda: len(karin.received("op")) > ops)
    assert not [op for op in sara.received("op") if op.get("op_id") == "after"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        Socket(m.b, join(m.d, "Sara Berg", m.b), "device")
    m.close()


def test_a_participant_sent_back_to_the_lobby_on_one_process_gets_nothing_more_on_the_other(
        deploy):
    """The page syncs on `dismissed` and leaves the meeting's room; a socket that does not
    must leave it too, as it does when the chair's process holds it."""
    m = Meeting2(deploy())
    sara = m.device("Sara Berg", m.b)
    karin = m.device("Karin Holm", m.b)
    state = m.admit_all()
    plan_id, field = state["meeting"]["plan_id"], dict(state["plan"]["fields"]["strengths"])
    sara_id = sara.call("sync", {"last_seq": None})["snapshot"]["me"]["participant_id"]
    assert m.chair.call("dismiss", {"op_id": "dismiss", "participant_id": sara_id})["ok"]
    assert wait_for(lambda: sara.received("dismissed"))
    sara.events.clear()
    ops = len(karin.received("op"))
    assert _edit(m.chair, plan_id, field, "Bara för de insläppta", "after")["ok"]
    assert wait_for(lambda: len(karin.received("op")) > ops)
    time.sleep(0.5)
    assert sara.received("op") == []
    assert sara.client.connected  # still invited: waiting in the lobby
    m.close()


def test_the_login_limit_counts_the_attempts_on_every_process(deploy):
    d = deploy(LOGIN_RATE_LIMIT="4 per minute")
    statuses = []
    browsers = [requests.Session() for _ in d.servers]
    for n in range(6):
        server, http = d.servers[n % 2], browsers[n % 2]
        answer = http.post(f"{server.url}/login", timeout=30, data={
            "csrf_token": csrf(http, f"{server.url}/login"), "email": server.chair_email,
            "password": f"wrong {n}"}, allow_redirects=False)
        statuses.append(answer.status_code)
    assert statuses == [400, 400, 400, 400, 429, 429]  # wrong password, then the limit
    # the right password is refused too, on either process, until the minute is over
    for server, http in zip(d.servers, browsers, strict=True):
        answer = http.post(f"{server.url}/login", timeout=30, data={
            "csrf_token": csrf(http, f"{server.url}/login"), "email": server.chair_email,
            "password": server.chair_password}, allow_redirects=False)
        assert answer.status_code == 429
