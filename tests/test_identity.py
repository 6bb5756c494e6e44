"""An operation meant for one item never lands on another; every change reaches every screen.

Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import sqlite3

from alembic import command as alembic_command
from sqlalchemy import func, select

from sip_meeting import create_app
from sip_meeting.cli import alembic_config
from sip_meeting.models import Action, AuditEvent, Operation


def _plan_id(client) -> int:
    return client.snapshot()["meeting"]["plan_id"]


def test_a_queued_edit_of_a_removed_action_never_lands_on_a_new_one(live, query):
    live.start()
    anna, bo, cecilia = live.join("Anna"), live.join("Bo Ek", role="professional",
                                                    principal="municipality"), \
        live.join("Cecilia", role="professional", principal="region")
    first = anna.op("add_item", entity="action", values={"what": "Ringa skolan"})["id"]
    # Bo is offline: his edit and his removal wait in his outbox, written against version 0.
    queued_edit = {"op_id": "bo-edit", "entity": "action", "id": first, "field": "what",
                   "base_version": 0, "base": "Ringa skolan", "value": "Bo skriver om allt"}
    queued_remove = {"op_id": "bo-remove", "entity": "action", "id": first}
    assert anna.op("remove_item", entity="action", id=first)["ok"]
    second = cecilia.op("add_item", entity="action", values={"what": "Boka tolk"})["id"]
    assert second != first

    edit = bo.call("edit", queued_edit)
    remove = bo.call("remove_item", queued_remove)

    assert edit["ok"] is False and edit["code"] == "removed" and edit["message"]
    assert remove["ok"] is False and remove["code"] == "removed"
    whats = [a["fields"]["what"]["value"] for a in cecilia.snapshot()["actions"]]
    assert whats == ["Boka tolk"]
    assert query(lambda s: s.scalar(select(func.count()).select_from(Action))) == 1


def test_an_edit_of_an_item_that_never_existed_is_not_found(live):
    live.start()
    sara = live.join()
    answer = sara.op("edit", entity="action", id=987654, field="what", base_version=0,
                     base="", value="x")
    assert answer["code"] == "not_found"


def test_removing_a_goal_clears_its_links_on_every_screen_and_in_catch_up(live, query):
    live.start()
    sara, per = live.join(), live.join("Per Holm", role="professional",
                                       principal="municipality")
    goal = sara.op("add_item", entity="goal", values={"text": "Trivas i skolan"})["id"]
    action = sara.op("add_item", entity="action", values={"what": "Ringa skolan"})["id"]
    linked = sara.op("edit", entity="action", id=action, field="goal_id", base_version=0,
                     base=None, value=goal)
    assert linked["ok"] and linked["version"] == 1
    last_seq = per.snapshot()["seq"]
    per.received()

    assert sara.op("remove_item", entity="goal", id=goal)["ok"]

    [op] = [o for o in per.received("op") if o["kind"] == "item_removed"]
    assert op["changes"] == [{"entity": "action", "id": action, "field": "goal_id",
                              "value": None, "version": 2}]
    caught_up = per.call("sync", {"last_seq": last_seq})["ops"]
    assert caught_up[-1]["changes"] == op["changes"]
    stored = query(lambda s: s.scalar(select(Operation.event).where(
        Operation.seq == op["seq"])))
    assert stored["changes"] == op["changes"]
    # The next edit of the link, made on what the screen now shows, is no conflict.
    again = per.op("edit", entity="action", id=action, field="goal_id", base_version=2,
                   base=None, value=None)
    assert again["ok"]
    audited = query(lambda s: s.scalars(select(AuditEvent.field).where(
        AuditEvent.entity == "action", AuditEvent.entity_id == action)).all())
    assert "goal_id" in audited


def test_removing_an_action_clears_what_waited_on_it(live):
    live.start()
    sara = live.join()
    first = sara.op("add_item", entity="action", values={"what": "Ansöka om assistans"})["id"]
    second = sara.op("add_item", entity="action", values={"what": "Börja med assistent"})["id"]
    assert sara.op("edit", entity="action", id=second, field="depends_on_id", base_version=0,
                   base=None, value=first)["ok"]
    sara.received()
    removed = sara.op("remove_item", entity="action", id=first)
    assert removed["ok"]
    [op] = [o for o in live.chair.received("op") if o["kind"] == "item_removed"]
    assert op["changes"] == [{"entity": "action", "id": second, "field": "depends_on_id",
                              "value": None, "version": 2}]
    fields = {a["id"]: a["fields"] for a in sara.snapshot()["actions"]}
    assert fields[second]["depends_on_id"] == {"value": None, "version": 2}


def test_a_resend_of_an_edit_that_changed_nothing_gets_the_same_answer(live, query):
    live.start()
    sara, per = live.join(), live.join("Per Holm", role="professional",
                                       principal="municipality")
    plan = _plan_id(sara)
    assert per.op("edit", entity="plan", id=plan, field="strengths", base_version=0, base="",
                  value="Glad")["ok"]
    seq = sara.snapshot()["seq"]
    # Sara typed the same words at the same time: nothing to change, answered ok.
    same = {"op_id": "sara-same", "entity": "plan", "id": plan, "field": "strengths",
            "base_version": 0, "base": "", "value": "Glad"}
    first = sara.call("edit", same)
    assert first == {"ok": True, "version": 1, "value": "Glad"}
    assert sara.snapshot()["seq"] == seq  # it took no place in the sequence
    assert per.op("edit", entity="plan", id=plan, field="strengths", base_version=1,
                  base="Glad", value="Nyfiken")["ok"]

    # The answer was lost; the resend must not be judged again against the newer text.
    resent = sara.call("edit", same)

    assert resent["ok"] and resent["duplicate"] and resent["value"] == "Glad"
    fields = sara.snapshot()["plan"]["fields"]
    assert fields["strengths"] == {"value": "Nyfiken", "version": 2}
    seqs = query(lambda s: s.scalars(select(Operation.seq).where(
        Operation.seq.is_not(None)).order_by(Operation.seq)).all())
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_resend_of_a_known_operation_takes_no_sequence_number(live):
    live.start()
    sara = live.join()
    payload = {"op_id": "once", "entity": "action", "values": {"what": "Ringa"}}
    first = sara.call("add_item", payload)
    seq = sara.snapshot()["seq"]
    again = sara.call("add_item", payload)
    assert again["id"] == first["id"] and again["duplicate"]
    assert sara.snapshot()["seq"] == seq
    assert len(sara.snapshot()["actions"]) == 1


def test_upgrading_sqlite_never_reuses_an_id_the_audit_trail_saw(tmp_path):
    path = tmp_path / "old.sqlite"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "t", "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        alembic_command.upgrade(alembic_config(), "0004")
    db = sqlite3.connect(path)
    db.executescript("""
        INSERT INTO chairs (id, email, name, password_hash, created_at)
            VALUES (1, 'c@example.se', 'C', 'x', '2026-01-01');
        INSERT INTO plans (id, chair_id, child_name, created_at, closure_reason, situation_works,
            situation_difficult, child_voice, child_participation, child_views_brought_by,
            child_told_by, strengths, lead_principal, lead_person, contact_between,
            followup_form, followup_convener, review_situation_change, field_versions)
            VALUES (1, 1, 'Alva', '2026-01-01', '', '', '', '', '', '', '', '', '', '', '', '',
            '', '', '{}');
        INSERT INTO actions (id, plan_id, what, responsible, organisation, principal, when_note,
            status, family_part, condition_fallback, review_outcome, review_comment,
            condition_review, position, created_at, field_versions)
            VALUES (1, 1, 'Kvar', '', '', '', '', 'planned', '', '', '', '', '', 0,
            '2026-01-01', '{}');
        INSERT INTO audit_events (plan_id, at, actor_kind, actor_name, entity, entity_id, field)
            VALUES (1, '2026-01-01', 'chair', 'C', 'action', 7, 'removed');
    """)
    db.commit()
    db.close()
    with app.app_context():
        alembic_command.upgrade(alembic_config(), "head")
    db = sqlite3.connect(path)
    db.execute("""INSERT INTO actions (plan_id, what, responsible, organisation, principal,
        when_note, status, family_part, condition_fallback, review_outcome, review_comment,
        condition_review, position, created_at, field_versions)
        VALUES (1, 'Ny', '', '', '', '', 'planned', '', '', '', '', '', 1, '2026-01-02', '{}')""")
    ids = [row[0] for row in db.execute("SELECT id FROM actions ORDER BY id")]
    kept = db.execute("SELECT what FROM actions WHERE id = 1").fetchone()
    db.close()
    assert ids == [1, 8]  # above the removed action 7, which the client may still address
    assert kept == ("Kvar",)


def test_removing_a_participant_clears_what_named_them_on_every_screen(live, client, login):
    live.start()
    sara, per = live.join(), live.join("Per Holm", role="professional",
                                       principal="municipality")
    action = sara.op("add_item", entity="action", values={"what": "Ringa skolan"})["id"]
    assert sara.op("edit", entity="action", id=action, field="responsible_participant_id",
                   base_version=0, base=None, value=per.participant_id)["ok"]
    sara.received()
    login()
    page = client.post(f"/meetings/{live.meeting.id}/participants/{per.participant_id}/remove")
    assert page.status_code == 302

    [op] = [o for o in sara.received("op") if o["kind"] == "participant_removed"]
    assert op["participant_id"] == per.participant_id
    assert op["changes"] == [{"entity": "action", "id": action,
                              "field": "responsible_participant_id", "value": None,
                              "version": 2}]
    snap = sara.snapshot()
    assert per.participant_id not in [p["id"] for p in snap["participants"]]
    fields = {a["id"]: a["fields"] for a in snap["actions"]}
    assert fields[action]["responsible_participant_id"] == {"value": None, "version": 2}
