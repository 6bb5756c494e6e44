"""The audit trail stays bounded: one person's quick edits of one field are one entry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from sip_meeting import planning
from sip_meeting.models import AuditEvent, Operation


def _edit(client, plan_id: int, value: str, field: str = "strengths"):
    current = client.snapshot()["plan"]["fields"][field]
    answer = client.op("edit", entity="plan", id=plan_id, field=field,
                       base_version=current["version"], base=current["value"], value=value)
    assert answer["ok"], answer
    return answer


def _entries(query, field: str = "strengths"):
    return query(lambda s: [(e.actor_name, e.before, e.after) for e in s.scalars(
        select(AuditEvent).where(AuditEvent.entity == "plan", AuditEvent.field == field)
        .order_by(AuditEvent.id))])


def _field_ops(query) -> int:
    return query(lambda s: s.scalar(select(func.count(Operation.seq)).where(
        Operation.event["kind"].as_string() == "field")))


def test_ten_quick_edits_by_one_person_are_one_entry(live, query):
    live.start()
    sara = live.join()
    plan_id = live.meeting.plan_id
    for n in range(1, 11):
        _edit(sara, plan_id, "Alva är nyfiken" + "." * n)
    assert _entries(query) == [("Sara Berg", "", "Alva är nyfiken" + "." * 10)]
    assert _field_ops(query) == 10  # catching up still needs every step


def test_someone_else_in_between_starts_a_new_entry(live, query):
    live.start()
    sara, karin = live.join(), live.join("Karin Holm", "professional", "municipality")
    plan_id = live.meeting.plan_id
    _edit(sara, plan_id, "Alva")
    _edit(sara, plan_id, "Alva läser")
    _edit(karin, plan_id, "Alva läser gärna")
    _edit(sara, plan_id, "Alva läser gärna serier")
    _edit(sara, plan_id, "Alva läser gärna serier.")
    assert _entries(query) == [("Sara Berg", "", "Alva läser"),
                               ("Karin Holm", "Alva läser", "Alva läser gärna"),
                               ("Sara Berg", "Alva läser gärna", "Alva läser gärna serier.")]


def test_another_field_or_item_has_entries_of_its_own(live, query):
    live.start()
    sara = live.join()
    plan_id = live.meeting.plan_id
    _edit(sara, plan_id, "Nyfiken")
    _edit(sara, plan_id, "Svårt med raster", field="situation_difficult")
    _edit(sara, plan_id, "Nyfiken och glad")
    assert _entries(query) == [("Sara Berg", "", "Nyfiken och glad")]
    assert _entries(query, "situation_difficult") == [("Sara Berg", "", "Svårt med raster")]


def test_an_edit_after_the_window_starts_a_new_entry(live, query, monkeypatch):
    live.start()
    sara = live.join()
    plan_id = live.meeting.plan_id
    now = planning.utcnow()
    monkeypatch.setattr(planning, "utcnow", lambda: now)
    _edit(sara, plan_id, "Ett")
    monkeypatch.setattr(planning, "utcnow", lambda: now + timedelta(seconds=59))
    _edit(sara, plan_id, "Ett två")  # 59 s after the first: the same entry, now dated here
    monkeypatch.setattr(planning, "utcnow", lambda: now + timedelta(seconds=118))
    _edit(sara, plan_id, "Ett två tre")  # 59 s after the last one: still the same
    monkeypatch.setattr(planning, "utcnow", lambda: now + timedelta(seconds=179))
    _edit(sara, plan_id, "Ett två tre fyra")  # 61 s of silence: a new entry
    assert _entries(query) == [("Sara Berg", "", "Ett två tre"),
                               ("Sara Berg", "Ett två tre", "Ett två tre fyra")]
    last = query(lambda s: s.scalars(select(AuditEvent.at).where(
        AuditEvent.field == "strengths").order_by(AuditEvent.id)).all())
    assert last[0] == now + timedelta(seconds=118) and last[1] == now + timedelta(seconds=179)


def test_other_changes_are_never_merged(live, query):
    live.start()
    sara = live.join()
    for step in (1, 2, 3):
        assert live.chair.op("set_step", step=step)["ok"]
    first = sara.op("add_item", entity="action", values={"what": "Ringa"})["id"]
    second = sara.op("add_item", entity="action", values={"what": "Skriva"})["id"]
    assert sara.op("move_item", entity="action", id=second, position=0)["ok"]
    assert sara.op("move_item", entity="action", id=second, position=1)["ok"]
    entries = query(lambda s: [(e.entity, e.entity_id, e.field, e.before, e.after)
                               for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))])
    assert [e[3:] for e in entries if e[2] == "step"] == [(0, 1), (1, 2), (2, 3)]
    assert [e[1] for e in entries if e[:3:2] == ("action", "added")] == [first, second]
    assert [e[3:] for e in entries if e[2] == "position"] == [(1, 0), (0, 1)]
