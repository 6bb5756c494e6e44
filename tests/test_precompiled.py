"""Precompiled statements read and write exactly what SQLAlchemy's own execution does.

The live edit path runs its statements on the driver's cursor (db.Precompiled). These tests
run each kind of statement both ways on SQLite and PostgreSQL and compare, so that a value
written by a live edit reads back the same through the ORM, and the other way round.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from sip_meeting.db import Precompiled, atomic
from sip_meeting.models import Action, AuditEvent, Meeting, Operation, Plan, TermRequest

AT = datetime(2026, 3, 4, 12, 30, 15, 250000, tzinfo=UTC)


@pytest.fixture
def plan_ids(app, make_meeting):
    """A meeting with an action carrying dates, a term request (a boolean) and an op."""
    meeting = make_meeting()
    with app.app_context(), atomic() as session:
        action = Action(plan_id=meeting.plan_id, what="Ringa skolan", position=0,
                        due_date=date(2026, 5, 1), decision_date=None,
                        field_versions={"what": 3, "due_date": 1})
        session.add(action)
        session.add(TermRequest(meeting_id=meeting.id, word="SIP", on_wall=True, created_at=AT))
        session.add(Operation(meeting_id=meeting.id, seq=1, op_id="op-1", participant_id=None,
                              event={"kind": "field", "value": "Åsa"}, result={"ok": True},
                              at=AT))
        session.flush()
        return {"meeting_id": meeting.id, "plan_id": meeting.plan_id, "action_id": action.id}


READS = [
    ("dates, JSON and nulls",
     select(Action.id, Action.what, Action.due_date, Action.decision_date, Action.field_versions)
     .where(Action.plan_id == bindparam("plan_id")).order_by(Action.position)),
    ("a boolean and a UTC datetime",
     select(TermRequest.word, TermRequest.on_wall, TermRequest.created_at)
     .where(TermRequest.meeting_id == bindparam("meeting_id"))),
    ("JSON objects and two conditions",
     select(Operation.event, Operation.result, Operation.at)
     .where(Operation.meeting_id == bindparam("meeting_id"), Operation.op_id == "op-1")),
    ("an update returning a literal's sum and a null datetime",
     update(Meeting.__table__).where(Meeting.id == bindparam("meeting_id"))
     .values(seq=Meeting.seq + 1).returning(Meeting.seq, Meeting.closed_at, Meeting.status)),
    ("no rows", select(Action.id).where(Action.plan_id == -1)),
]


@pytest.mark.parametrize(("label", "statement"), READS, ids=[r[0] for r in READS])
def test_rows_are_the_same_as_sqlalchemys(app, plan_ids, label, statement):
    with app.app_context(), atomic() as session:
        ours = Precompiled(statement).execute(session, plan_ids)
        session.rollback()  # the update above must run from the same state both times
        theirs = session.execute(statement, plan_ids).all()
    assert [tuple(row) for row in ours] == [tuple(row) for row in theirs]
    assert all(row._fields == tuple(r._fields) for row, r in zip(ours, theirs, strict=True))


def test_rows_carry_their_columns_as_attributes(app, plan_ids):
    statement = Precompiled(select(Action.what, Action.due_date)
                            .where(Action.id == bindparam("action_id")))
    with app.app_context(), atomic() as session:
        row = statement.first(session, plan_ids)
        assert (row.what, row.due_date) == ("Ringa skolan", date(2026, 5, 1))
        assert statement.scalar(session, {"action_id": -1}) is None


AUDIT_COLUMNS = ("plan_id", "meeting_id", "at", "actor_kind", "actor_id", "actor_name",
                 "entity", "entity_id", "field", "before", "after")
WRITES = [
    ("text values", "Förskolan ringer", "Förskolan ringer 'i morgon' \\ \"snart\""),
    ("a null before, a date after", None, "2026-05-01"),
    ("nested JSON", {"what": ["a", 1, None]}, {"what": ["å", 2.5, True]}),
    ("a number and an empty text", 3, ""),
]


@pytest.mark.parametrize(("label", "before", "after"), WRITES, ids=[w[0] for w in WRITES])
def test_a_written_row_is_stored_exactly_as_sqlalchemy_stores_it(app, plan_ids, label, before,
                                                                 after):
    statement = Precompiled.insert_into(AuditEvent.__table__, *AUDIT_COLUMNS)
    values = dict(plan_id=plan_ids["plan_id"], meeting_id=plan_ids["meeting_id"], at=AT,
                  actor_kind="participant", actor_id=7, actor_name="Sara Berg",
                  entity="action", entity_id=plan_ids["action_id"], field="what",
                  before=before, after=after)
    with app.app_context(), atomic() as session:
        statement.execute(session, values | {"field": "ours"})
        session.execute(insert(AuditEvent.__table__), [values | {"field": "theirs"}])
        # As stored: the database's own text of every column, compared row against row.
        stored = session.execute(text(
            "SELECT field, CAST(at AS TEXT), CAST(before AS TEXT), CAST(after AS TEXT), "
            "actor_id, actor_name FROM audit_events WHERE field IN ('ours', 'theirs') "
            "ORDER BY field")).all()
        read_back = session.scalars(select(AuditEvent).where(AuditEvent.field == "ours")).one()
    assert stored[0][1:] == stored[1][1:]
    assert (read_back.before, read_back.after, read_back.at) == (before, after, AT)


def test_an_update_changes_only_the_matching_row(app, plan_ids):
    write = Precompiled(update(Plan.__table__).where(Plan.id == bindparam("plan_id")).values(
        {Plan.strengths.expression: bindparam("value"),
         Plan.field_versions.expression: bindparam("versions")}))
    with app.app_context(), atomic() as session:
        write.execute(session, {"plan_id": plan_ids["plan_id"], "value": "Modig",
                                "versions": {"strengths": 2}})
        write.execute(session, {"plan_id": -1, "value": "Fel", "versions": {}})
    with app.app_context(), atomic() as session:
        plan = session.get(Plan, plan_ids["plan_id"])
        assert (plan.strengths, plan.field_versions) == ("Modig", {"strengths": 2})


def test_a_missing_parameter_is_refused_before_anything_runs(app, plan_ids):
    statement = Precompiled(select(Action.id).where(Action.plan_id == bindparam("plan_id")))
    with app.app_context(), atomic() as session, pytest.raises(KeyError):
        statement.execute(session, {"meeting_id": plan_ids["meeting_id"]})


def test_database_errors_are_sqlalchemys_and_roll_the_transaction_back(app, plan_ids):
    record = Precompiled.insert_into(Operation.__table__, "meeting_id", "seq", "op_id",
                                     "participant_id", "event", "result", "at")
    again = dict(meeting_id=plan_ids["meeting_id"], seq=2, op_id="op-1", participant_id=None,
                 event={}, result={}, at=AT)
    with app.app_context():
        with pytest.raises(IntegrityError), atomic() as session:
            session.execute(update(Plan).where(Plan.id == plan_ids["plan_id"])
                            .values(strengths="Ska inte sparas"))
            record.execute(session, again)  # the op id is taken
        with atomic() as session:
            assert session.get(Plan, plan_ids["plan_id"]).strengths == ""
            assert session.scalar(select(Operation.seq).where(Operation.op_id == "op-1")) == 1
