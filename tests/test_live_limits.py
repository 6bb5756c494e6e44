"""Limits on live sockets: sockets per participant, events and `typing` per socket.

They are far above what a meeting does (a person writing sends about one event a second) and
cut a script that floods; the live benchmark's writer (5 edits a second) stays far under them.
"""

from __future__ import annotations

import time

import pytest
from socketio import packet
from sqlalchemy import func, select

from sip_meeting import live_limits
from sip_meeting.models import Operation, Plan

RATE_LIMITED = {"ok": False, "code": "rate_limited",
                "message": "För många ändringar på kort tid. Vänta en stund och försök igen."}


class Clock:
    """The buckets' clock, standing still until moved on (from the real one, which the
    sockets' buckets may already have read)."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(live_limits, "clock", frozen)
    return frozen


@pytest.fixture
def refusals(monkeypatch):
    """Collect what the server sends with each refused connection (the client's connect_error)."""
    from sip_meeting.extensions import socketio

    sent = []
    base = socketio.server.packet_class

    class Recording(base):
        def __init__(self, packet_type=packet.EVENT, data=None, *args, **kwargs):
            super().__init__(packet_type, data, *args, **kwargs)
            if packet_type == packet.CONNECT_ERROR:
                sent.append(data)

    monkeypatch.setattr(socketio.server, "packet_class", Recording)
    return sent


def _edit(client, plan_id: int, value: str, version: int):
    return client.op("edit", entity="plan", id=plan_id, field="strengths", base_version=version,
                     base="", value=value)


def _stored_edits(query) -> int:
    return query(lambda s: s.scalar(select(func.count(Operation.seq)).where(
        Operation.event["kind"].as_string() == "field")))


def test_the_sixth_socket_of_one_participant_is_refused(app, live, refusals):
    from conftest import LiveClient

    sara = live.join()
    sockets = [sara] + [LiveClient(app, live.meeting.id, "device", sara.http) for _ in range(4)]
    assert all(s.socket.is_connected("/live") for s in sockets)
    sixth = LiveClient(app, live.meeting.id, "device", sara.http)
    assert not sixth.socket.is_connected("/live")
    message = ("Mötet är öppet i för många fönster med din länk. Stäng de andra fönstren och "
               "ladda om den här sidan om en minut.")
    assert refusals == [{"message": message,
                         "data": {"code": "too_many_connections", "message": message}}]
    # Someone else, and the chair, still get in; and a closed socket makes room again.
    karin = live.join("Karin Holm", "professional", "municipality")
    assert karin.socket.is_connected("/live") and live.wall().socket.is_connected("/live")
    sockets[-1].socket.disconnect(namespace="/live")
    assert LiveClient(app, live.meeting.id, "device", sara.http).socket.is_connected("/live")


def test_a_refused_connection_tells_the_browser_why(app, live, refusals):
    from conftest import LiveClient

    stranger = LiveClient(app, live.meeting.id, "device", app.test_client())
    assert not stranger.socket.is_connected("/live")
    message = "Du har inte längre tillgång till mötet. Be mötesledaren om en ny länk."
    assert refusals == [{"message": message, "data": {"code": "forbidden", "message": message}}]


def test_typing_floods_are_cut_and_not_broadcast(live):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    plan_id = live.meeting.plan_id
    karin.received()
    started = time.monotonic()
    answers = [sara.call("typing", {"entity": "plan", "id": plan_id, "field": "strengths",
                                    "active": n % 2 == 0}) for n in range(40)]
    elapsed = time.monotonic() - started
    accepted = [a for a in answers if a == {"ok": True}]
    refused = [a for a in answers if a != {"ok": True}]
    # A burst of 5, then 2 a second: however slow this machine, most of the 40 are cut.
    assert 5 <= len(accepted) <= 5 + 2 * elapsed + 1
    assert refused and all(a == RATE_LIMITED for a in refused)
    assert len(karin.received("typing")) == len(accepted)


def test_an_edit_flood_is_refused_and_stops_storing(live, query, clock):
    live.start()
    sara = live.join()
    plan_id = live.meeting.plan_id
    answers = [_edit(sara, plan_id, f"Version {n}", n) for n in range(100)]
    assert [a["ok"] for a in answers] == [True] * 40 + [False] * 60  # the burst, then nothing
    assert all(a == RATE_LIMITED for a in answers[40:])
    assert _stored_edits(query) == 40
    assert query(lambda s: s.scalar(select(Plan.strengths))) == "Version 39"
    assert sara.call("sync", {"last_seq": None}) == RATE_LIMITED  # sync counts too
    clock.advance(1.0)  # 20 more a second
    answers = [_edit(sara, plan_id, f"Later {n}", 40 + n) for n in range(30)]
    assert sum(a["ok"] for a in answers) == 20
    assert _stored_edits(query) == 60
    # Other sockets have budgets of their own.
    assert live.chair.op("set_step", step=1)["ok"]


def test_normal_use_never_meets_a_limit(live, query, clock):
    """An edit every 200 ms, a `typing` at each new field and a sync now and then, for 40 s."""
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    plan_id = live.meeting.plan_id
    fields = ["strengths", "situation_works", "situation_difficult", "contact_between"]
    for n in range(200):
        field = fields[n // 50]
        if n % 50 == 0:  # a new field: typing starts there, and ends in the last one
            for active in (False, True):
                assert sara.call("typing", {"entity": "plan", "id": plan_id, "field": field,
                                            "active": active}) == {"ok": True}
        answer = sara.op("edit", entity="plan", id=plan_id, field=field, base_version=n % 50,
                         base="", value=f"Text {n}")
        assert answer["ok"], (n, answer)
        if n % 25 == 0:
            assert karin.call("sync", {"last_seq": None})["ok"]
        clock.advance(0.2)
    assert _stored_edits(query) == 200
    # The limits were in force all along: a flood from the same socket is cut at once.
    flood = [sara.call("sync", {"last_seq": None}) for _ in range(50)]
    assert RATE_LIMITED in flood
