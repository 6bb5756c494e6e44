"""The live meeting with several socket clients: edits, rooms, rights and no lost edits."""

from __future__ import annotations

import gc

import pytest
from flask.ctx import RequestContext
from sqlalchemy import create_engine, select
from sqlalchemy import text as sql
from werkzeug.test import EnvironBuilder

from sip_meeting.models import AuditEvent, Operation, Plan


def _edit(client, snap, field="strengths", value="Alva är nyfiken.", base=None, version=None,
          **extra):
    current = snap["plan"]["fields"][field]
    return client.op("edit", entity="plan", id=snap["meeting"]["plan_id"], field=field,
                     base_version=current["version"] if version is None else version,
                     base=current["value"] if base is None else base, value=value, **extra)


def test_edit_is_committed_then_reaches_everyone_in_the_room(live, make_meeting, app, query):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    wall = live.wall()
    snap = sara.snapshot()
    for c in (sara, karin, wall, live.chair):
        c.received()
    ack = _edit(sara, snap)
    assert ack["ok"] and ack["version"] == 1
    for c in (karin, wall, live.chair, sara):
        ops = c.received("op")
        assert [o["value"] for o in ops] == ["Alva är nyfiken."], c
        assert ops[0]["by"] == "Sara Berg" and ops[0]["seq"] == ack["seq"]
    assert query(lambda s: s.scalar(select(Plan.strengths))) == "Alva är nyfiken."


def test_nobody_outside_the_meeting_receives_it(live, app, make_meeting, make_participant):
    from conftest import LiveClient

    live.start()
    sara = live.join()
    other = make_meeting(child="Nils")
    stranger, token = make_participant(other, name="Per")
    http = app.test_client()
    http.get(f"/j/{token}")
    outsider = LiveClient(app, other.id, "device", http)
    outsider.received()
    _edit(sara, sara.snapshot())
    assert outsider.received("op") == []


def test_connect_refused_without_valid_link_or_chair_session(app, live):
    from conftest import LiveClient

    anonymous = LiveClient(app, live.meeting.id, "device", app.test_client())
    assert not anonymous.socket.is_connected("/live")
    chair_as_device = LiveClient(app, live.meeting.id, "device", live.chair.http)
    assert not chair_as_device.socket.is_connected("/live")
    participant = live.join(admit=False)
    as_console = LiveClient(app, live.meeting.id, "console", participant.http)
    assert not as_console.socket.is_connected("/live")


def test_other_meetings_participant_cannot_act_here(app, live, make_meeting, make_participant):
    from conftest import LiveClient

    other = make_meeting(child="Nils")
    _, token = make_participant(other, name="Per")
    http = app.test_client()
    http.get(f"/j/{token}")
    intruder = LiveClient(app, live.meeting.id, "device", http)
    assert not intruder.socket.is_connected("/live")


@pytest.mark.parametrize("event,payload", [
    ("edit", {"entity": "plan", "field": "strengths", "base_version": 0, "value": "x"}),
    ("add_item", {"entity": "action", "values": {"what": "x"}}),
    ("set_step", {"step": 1}),
    ("admit", {"participant_id": "all"}),
    ("end", {}),
])
def test_waiting_participant_is_refused_everything(live, event, payload):
    live.start()
    waiting = live.join(admit=False)
    payload = {**payload, "id": live.meeting.plan_id}
    answer = waiting.op(event, **payload)
    assert answer["ok"] is False and answer["code"] == "forbidden"
    assert "Vänta" in answer["message"]


@pytest.mark.parametrize("event,payload", [
    ("set_step", {"step": 1}),
    ("admit", {"participant_id": "all"}),
    ("dismiss", {"participant_id": 1}),
    ("start", {}),
    ("end", {}),
    ("mark_spoken", {"participant_id": 1, "spoken": True}),
])
def test_chair_commands_refused_for_participants(live, event, payload):
    live.start()
    sara = live.join()
    answer = sara.op(event, **payload)
    assert answer == {"ok": False, "code": "forbidden", "message": answer["message"]}
    assert "mötesledaren" in answer["message"]


def test_observer_reads_but_cannot_write(live):
    live.start()
    observer = live.join("Olle", "observer", "other")
    snap = observer.snapshot()
    assert snap["me"]["can_edit"] is False and snap["plan"]["fields"]["strengths"]
    answer = _edit(observer, snap)
    assert answer["code"] == "forbidden"
    assert observer.op("add_item", entity="goal", values={"text": "x"})["code"] == "forbidden"


def test_child_writes_only_their_own_voice(live):
    live.start()
    child = live.join("Alva", "child", "family")
    snap = child.snapshot()
    assert snap["me"]["simple"] is True
    assert _edit(child, snap, "child_voice", "Jag gillar att rita.")["ok"]
    assert _edit(child, snap, "strengths", "x")["code"] == "forbidden"


def test_closed_meeting_accepts_no_edits(live):
    live.start()
    sara = live.join()
    snap = sara.snapshot()
    live.end()
    answer = _edit(sara, snap)
    assert answer["code"] == "closed" and "avslutat" in answer["message"]


def test_edits_refused_before_the_meeting_starts(live):
    sara = live.join()
    answer = _edit(sara, sara.snapshot())
    assert answer["code"] == "closed" and "inte börjat" in answer["message"]


def test_revoked_link_is_refused_at_the_next_event(live, app):
    from sip_meeting import planning
    from sip_meeting.db import atomic
    from sip_meeting.models import Participant

    live.start()
    sara = live.join()
    snap = sara.snapshot()
    with app.app_context(), atomic() as s:
        p = s.get(Participant, sara.participant_id)
        planning.revoke_link(s, p.meeting.chair, p)
    assert _edit(sara, snap)["code"] == "forbidden"


def test_concurrent_edits_of_different_words_merge_cleanly(live, query):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    base = _edit(sara, sara.snapshot(), value="Alva ritar och läser.")
    snap = karin.snapshot()  # both now start from version 1
    first = _edit(sara, snap, value="Alva ritar gärna och läser.")
    second = _edit(karin, snap, value="Alva ritar och läser serier.")
    assert base["ok"] and first["ok"] and second["ok"] and second["merged"] is True
    assert second["value"] == "Alva ritar gärna och läser serier."
    assert query(lambda s: s.scalar(select(Plan.strengths))) == second["value"]


def test_conflicting_edit_stores_nothing_and_shows_both_texts(live, query):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    _edit(sara, sara.snapshot(), value="Alva ritar.")
    snap = karin.snapshot()
    assert _edit(sara, snap, value="Alva målar.")["ok"]
    karin.received()
    answer = _edit(karin, snap, value="Alva skriver.")
    assert answer["ok"] is False and answer["code"] == "conflict"
    assert (answer["theirs"], answer["mine"], answer["version"]) == ("Alva målar.",
                                                                     "Alva skriver.", 2)
    assert answer["field"] == "strengths" and "samtidigt" in answer["message"]
    assert query(lambda s: s.scalar(select(Plan.strengths))) == "Alva målar."
    assert karin.received("op") == []
    resolved = _edit(karin, snap, value="Alva målar och skriver.", version=2, base="Alva målar.")
    assert resolved["ok"] and resolved["version"] == 3


def test_stale_edit_of_a_date_is_a_conflict(live):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    snap = sara.snapshot()
    assert _edit(sara, snap, "followup_date", "2027-03-01")["ok"]
    answer = _edit(karin, snap, "followup_date", "2027-04-01")
    assert answer["code"] == "conflict" and answer["theirs"] == "2027-03-01"


def test_resent_operation_is_applied_once_with_the_same_answer(live, query):
    live.start()
    sara = live.join()
    snap = sara.snapshot()
    first = _edit(sara, snap, value="En gång.", op_id="same-op")
    again = _edit(sara, snap, value="En gång.", op_id="same-op")
    assert first["ok"] and again["ok"] and again["seq"] == first["seq"]
    assert again["version"] == first["version"] == 1
    added = sara.op("add_item", entity="goal", values={"text": "Mål"}, op_id="add-1")
    added_again = sara.op("add_item", entity="goal", values={"text": "Mål"}, op_id="add-1")
    assert added_again["id"] == added["id"]
    assert query(lambda s: len(s.scalars(select(Operation)).all())) == 4  # start, admit, edit, add


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_edit_after_the_database_dropped_every_connection_is_stored(live, app, query):
    """A PostgreSQL restart ends the server's pooled connections: the next edit still lands."""
    live.start()
    sara = live.join()
    snap = sara.snapshot()
    assert _edit(sara, snap, value="Före omstarten")["ok"]
    admin = create_engine(app.config["DATABASE_URL"])
    with admin.begin() as db:
        ended = db.scalar(sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    admin.dispose()
    assert ended >= 1
    ack = _edit(sara, snap, value="Efter omstarten", version=1, base="Före omstarten")
    assert ack["ok"] and ack["version"] == 2
    assert query(lambda s: s.scalar(select(Plan.strengths))) == "Efter omstarten"


def test_reconnect_receives_exactly_what_it_missed(live):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    snap = karin.snapshot()
    last_seen = snap["seq"]
    karin.socket.disconnect(namespace="/live")
    for text in ("Ett.", "Ett. Två.", "Ett. Två. Tre."):
        snap_s = sara.snapshot()
        assert _edit(sara, snap_s, value=text)["ok"]
    karin.socket.connect(namespace="/live", auth={"meeting": live.meeting.id, "view": "device"})
    answer = karin.call("sync", {"last_seq": last_seen})
    assert [op["value"] for op in answer["ops"]] == ["Ett.", "Ett. Två.", "Ett. Två. Tre."]
    assert [op["seq"] for op in answer["ops"]] == list(range(last_seen + 1, last_seen + 4))
    assert karin.call("sync", {"last_seq": answer["seq"]})["ops"] == []
    assert "snapshot" in karin.call("sync", {"last_seq": -5})


def test_lists_add_move_remove_reach_everyone(live):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    ids = [sara.op("add_item", entity="action", values={"what": w})["id"] for w in "ABC"]
    karin.received()
    assert sara.op("move_item", entity="action", id=ids[2], position=0)["ok"]
    assert sara.op("remove_item", entity="action", id=ids[1])["ok"]
    kinds = [(o["kind"], o["id"]) for o in karin.received("op")]
    assert kinds == [("item_moved", ids[2]), ("item_removed", ids[1])]
    whats = [a["fields"]["what"]["value"] for a in karin.snapshot()["actions"]]
    assert whats == ["C", "A"]


def test_action_fields_are_checked_against_the_meeting(live, make_meeting, make_participant):
    live.start()
    sara = live.join()
    action = sara.op("add_item", entity="action", values={"what": "Ringa skolan"})["id"]
    other_person, _ = make_participant(make_meeting(child="Nils"), name="Per")

    def edit(field, value):
        return sara.op("edit", entity="action", id=action, field=field, base_version=0, base="",
                       value=value)

    assert edit("responsible_participant_id", sara.participant_id)["ok"]
    assert edit("responsible_participant_id", other_person.id)["code"] == "invalid"
    assert edit("depends_on_id", action)["code"] == "invalid"  # not on itself
    assert edit("status", "maybe")["code"] == "invalid"
    assert edit("due_date", "31/12/2027")["code"] == "invalid"
    assert edit("due_date", "2027-02-30")["code"] == "invalid"
    assert edit("due_date", "2027-02-28")["ok"]


@pytest.mark.parametrize("payload,code", [
    ("not a dict", "invalid"),
    ({"entity": "plan", "field": "strengths", "value": "x"}, "invalid"),  # no op_id
    ({"op_id": "x" * 65, "entity": "plan", "field": "strengths", "value": "x"}, "invalid"),
    ({"op_id": "a", "entity": "plan", "field": "password", "value": "x"}, "invalid"),
    ({"op_id": "a", "entity": "chairs", "field": "email", "value": "x"}, "invalid"),
    ({"op_id": "a", "entity": "plan", "field": "strengths", "value": 5}, "invalid"),
    ({"op_id": "a", "entity": "plan", "field": "strengths", "value": "x" * 4001}, "too_large"),
    ({"op_id": "a", "entity": "plan", "field": "lead_principal", "value": "king"}, "invalid"),
    ({"op_id": "a", "entity": "action", "id": 999, "field": "what", "value": "x"}, "not_found"),
    ({"op_id": "a", "entity": "plan", "id": 999, "field": "strengths", "value": "x"}, "not_found"),
])
def test_malformed_payloads_are_refused_without_side_effects(live, query, payload, code):
    live.start()
    sara = live.join()
    if isinstance(payload, dict):
        payload.setdefault("id", live.meeting.plan_id)
        payload.setdefault("base_version", 0)
    before = query(lambda s: len(s.scalars(select(Operation)).all()))
    answer = sara.call("edit", payload)
    assert answer["ok"] is False and answer["code"] == code and answer["message"]
    assert query(lambda s: len(s.scalars(select(Operation)).all())) == before
    assert query(lambda s: s.scalar(select(Plan.strengths))) == ""
    assert sara.received("op") == []


def test_list_limit_is_explicit(live, monkeypatch):
    from sip_meeting import fields

    monkeypatch.setitem(fields.MAX_ITEMS, "goal", 2)
    live.start()
    sara = live.join()
    assert sara.op("add_item", entity="goal", values={"text": "1"})["ok"]
    assert sara.op("add_item", entity="goal", values={"text": "2"})["ok"]
    answer = sara.op("add_item", entity="goal", values={"text": "3"})
    assert answer["code"] == "too_large" and "högst 2" in answer["message"]


def test_control_characters_are_removed(live, query):
    live.start()
    sara = live.join()
    assert _edit(sara, sara.snapshot(), value="Rad ett\r\nRad\x1b två\x07")["ok"]
    assert query(lambda s: s.scalar(select(Plan.strengths))) == "Rad ett\nRad två"
    # NUL, which PostgreSQL cannot store in any text, never reaches an operation.
    assert _edit(sara, sara.snapshot(), value="Rad\x00 tre")["code"] == "invalid"


def test_audit_history_records_every_change(live, query):
    live.start()
    sara = live.join()
    _edit(sara, sara.snapshot(), value="Nyfiken.")
    action = sara.op("add_item", entity="action", values={"what": "Ringa"})["id"]
    sara.op("remove_item", entity="action", id=action)
    live.chair.op("set_step", step=2)
    events = query(lambda s: [(e.actor_name, e.entity, e.field, e.before, e.after)
                              for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))])
    assert ("Sara Berg", "plan", "strengths", "", "Nyfiken.") in events
    assert ("Sara Berg", "action", "added", None, {"what": "Ringa"}) in events
    assert any(e[1:3] == ("action", "removed") and e[3]["what"] == "Ringa" for e in events)
    assert ("Eva Lund", "meeting", "step", 0, 2) in events


def test_lobby_admit_all_and_step_follow(live):
    sara = live.join(admit=False)
    karin = live.join("Karin Holm", "professional", "municipality", admit=False)
    assert sara.call("sync", {"last_seq": None})["snapshot"]["lobby"] is True
    lobby = live.chair.received("lobby")
    assert {p["name"] for p in lobby[-1]["waiting"]} == {"Sara Berg", "Karin Holm"}
    assert live.chair.op("admit", participant_id="all")["ok"]
    assert sara.received("admitted") and karin.received("admitted")
    live.start()
    wall = live.wall()
    wall.received()
    assert live.chair.op("set_step", step=3)["ok"]
    assert [o["step"] for o in wall.received("op")] == [3]
    assert sara.snapshot()["meeting"]["step"] == 3


def test_typing_is_shown_to_others_but_not_stored(live, query):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    karin.received()
    assert sara.call("typing", {"entity": "plan", "id": 1, "field": "strengths", "active": True})
    assert karin.received("typing") == [{"entity": "plan", "id": 1, "field": "strengths",
                                         "name": "Sara Berg", "active": True}]
    assert sara.received("typing") == []


def test_presence_shows_who_is_connected_and_who_left(live):
    live.start()
    live.join()
    karin = live.join("Karin Holm", "professional", "municipality")
    live.chair.received()
    karin.socket.disconnect(namespace="/live")
    presence = live.chair.received("presence")
    assert presence == [{"participant_id": karin.participant_id, "connected": False}]
    people = {p["name"]: p["connected"] for p in live.chair.snapshot()["participants"]}
    assert people == {"Sara Berg": True, "Karin Holm": False}


def test_no_contact_details_in_live_payloads(live):
    live.start()
    live.join(email="sara@example.se")
    wall = live.wall()
    assert "sara@example.se" not in str(wall.snapshot())


def test_chair_reads_the_plans_history(live):
    live.start()
    sara = live.join()
    _edit(sara, sara.snapshot(), value="Nyfiken och modig.")
    page = live.chair.http.get(f"/plans/{live.meeting.plan_id}/history").get_data(as_text=True)
    assert "Sara Berg" in page and "Nyfiken och modig." in page and "Styrkor" in page
    assert sara.http.get(f"/plans/{live.meeting.plan_id}/history").status_code == 302


def _contexts_left_for_the_collector(action) -> list:
    """Run action and return the request contexts only a garbage-collector pass would free."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        action()
        gc.collect()
        return [o for o in gc.garbage if isinstance(o, RequestContext)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_socket_events_leave_no_cycles_for_the_garbage_collector(live):
    """An event's request context is freed when the event ends, not by a collector pass.

    Cycles made per event fill the collector's generations, and its full passes stop every
    meeting of the process for tens of milliseconds.
    """
    live.start()
    sara = live.join()
    snap = sara.snapshot()
    base = snap["plan"]["fields"]["strengths"]

    def write() -> None:
        nonlocal base
        for n in range(5):
            value = f"Alva läser {n} böcker."
            ack = _edit(sara, snap, value=value, base=base["value"], version=base["version"])
            assert ack["ok"]
            base = {"value": value, "version": ack["version"]}

    assert _contexts_left_for_the_collector(write) == []


@pytest.mark.parametrize("headers", [{}, {"Upgrade": "websocket", "Connection": "Upgrade"}],
                         ids=["polling", "websocket"])
def test_a_socket_handshake_makes_no_cycle_either_way(app, headers):
    """The served sockets open over a WebSocket, which the test client above does not use."""
    environ = EnvironBuilder(path="/socket.io/", query_string="EIO=4&transport=websocket",
                             headers=headers).get_environ()

    def open_context() -> None:
        with app.request_context(environ):
            pass

    assert _contexts_left_for_the_collector(open_context) == []
