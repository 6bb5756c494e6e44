"""Operations on a live meeting: each runs in one short transaction and yields one `op`.

The caller (events.py) opens the transaction with ``atomic()`` and takes the meeting's write
lock by bumping its sequence number first (``lock_meeting()``), then checks the caller under
that lock; ``apply_locked()`` returns the recorded answer for an op_id seen before, and
otherwise runs the operation, writes its audit event and op-log row and returns the event to
broadcast once the transaction has committed. An operation that changes nothing gives its
sequence number back and keeps its answer under its op_id, so a resend is answered the same
way whatever happened in between. ``apply()`` does both for HTTP handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from . import accounts
from . import fields as F
from .access import link_expired
from .db import Precompiled, utcnow
from .models import (
    Action,
    AuditEvent,
    Chair,
    Consent,
    Goal,
    Meeting,
    Operation,
    Participant,
    Plan,
)

# An operation: given the session, the meeting as its lock returned it and the actor, change
# the plan and return the event to broadcast. One that needs the whole meeting loads it with
# MeetingState.load(); the field edit, sent whenever someone pauses typing, does not.
Op = Callable[[Session, "MeetingState", "Actor"], dict[str, Any]]
WRITER_ROLES = ("guardian", "relative", "professional", "coordinator", "chair")
ITEM_MODELS = {"goal": Goal, "action": Action, "consent": Consent}


class LiveError(Exception):
    """An operation refused; ``code`` is sent to the client with a translated message."""

    def __init__(self, code: str, key: str | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code, self.key, self.params = code, key or code, params
        self.extra: dict[str, Any] = {}


class NoChange(Exception):
    """The edit leaves the value as it is: acknowledge, keep the answer, broadcast nothing."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__("no change")
        self.answer = answer


@dataclass(frozen=True)
class Actor:
    """Who is acting in a meeting, as read from the database for this one event."""

    meeting_id: int
    kind: str  # "chair" or "participant"
    id: int
    name: str
    role: str  # a participant's role; "chair" for the chair
    admitted: bool = True
    lang: str = "sv"

    @classmethod
    def of_chair(cls, meeting_id: int, chair: Chair, lang: str = "sv") -> Actor:
        return cls(meeting_id, "chair", chair.id, chair.name or chair.email, "chair", True, lang)

    @classmethod
    def of_participant(cls, meeting_id: int, participant: Participant, lang: str = "sv") -> Actor:
        return cls(meeting_id, "participant", participant.id, participant.name, participant.role,
                   participant.admitted_at is not None, lang)

    @property
    def is_chair(self) -> bool:
        return self.kind == "chair"

    @property
    def participant_id(self) -> int | None:
        return None if self.is_chair else self.id

    def may_write(self, entity: str, field: str | None = None) -> bool:
        """Tell whether this person may change the plan (a child only their own voice)."""
        if self.is_chair or self.role in WRITER_ROLES:
            return True
        return self.role == "child" and isinstance(entity, str) \
            and isinstance(field, str) and (entity, field) in F.CHILD_FIELDS


@dataclass(frozen=True)
class MeetingState:
    """The few columns of a meeting that checking a caller and editing a field need."""

    id: int
    seq: int
    status: str
    plan_id: int
    chair_id: int
    closed_at: datetime | None

    def load(self, session: Session) -> Meeting:
        """Return the whole meeting, fresh from the database."""
        return session.get(Meeting, self.id, populate_existing=True)


# The statements every live event runs are compiled once and run on the driver's cursor:
# building a statement and SQLAlchemy's per-statement work cost more than the database
# itself (see db.Precompiled). Other operations use the ORM as usual.
_STATE = (Meeting.id, Meeting.seq, Meeting.status, Meeting.plan_id, Meeting.chair_id,
          Meeting.closed_at)
_READ_MEETING = Precompiled(select(*_STATE).where(Meeting.id == bindparam("meeting_id")))
_LOCK_MEETING = Precompiled(
    update(Meeting.__table__).where(Meeting.id == bindparam("meeting_id"))
    .values(seq=Meeting.seq + 1).returning(*_STATE))
_GIVE_BACK_SEQ = Precompiled(
    update(Meeting.__table__).where(Meeting.id == bindparam("meeting_id"))
    .values(seq=Meeting.seq - 1))
_EARLIER_RESULT = Precompiled(select(Operation.result).where(
    Operation.meeting_id == bindparam("meeting_id"), Operation.op_id == bindparam("op_id")))
_RECORD_OPERATION = Precompiled.insert_into(
    Operation.__table__, "meeting_id", "seq", "op_id", "participant_id", "event", "result", "at")
# The chair must still be an active chair who may act on the meeting's plan (accounts.py).
_CHAIR = Precompiled(select(Chair.id, Chair.name, Chair.email).where(
    Chair.id == bindparam("chair_id"), Chair.deactivated_at.is_(None), Chair.is_chair,
    exists().where(Plan.id == bindparam("plan_id"),
                   accounts.plan_access(Chair.id))))
_PARTICIPANT = Precompiled(select(
    Participant.id, Participant.name, Participant.role, Participant.admitted_at,
    Participant.token_hash, Participant.token_revoked_at, Participant.meeting_id,
).where(Participant.id == bindparam("participant_id")))


def read_meeting(session: Session, meeting_id: int) -> MeetingState | None:
    """Read a meeting's state without locking it."""
    row = _READ_MEETING.first(session, {"meeting_id": meeting_id})
    return MeetingState(*row) if row is not None else None


def lock_meeting(session: Session, meeting_id: int) -> MeetingState:
    """Bump the meeting's sequence number first, which takes its write lock in both databases.

    Everything read after this, the caller's right to act included, is read under the lock.
    """
    row = _LOCK_MEETING.first(session, {"meeting_id": meeting_id})
    if row is None:
        raise LiveError("not_found")
    return MeetingState(*row)


def caller(session: Session, meeting: MeetingState | None, lang: str, *,
           chair_id: int | None = None, participant_id: int | None = None,
           token_hash: str | None = None) -> Actor:
    """Re-read who a socket proved to be at connect; raise LiveError if they lost access.

    A chair must still be an active chair who may act on the meeting's plan (accounts.py);
    a participant must still belong to it through the same, unrevoked, unexpired link.
    Given the meeting as lock_meeting() returned it, the check is made under the lock.
    """
    if meeting is not None and chair_id is not None:
        chair = _CHAIR.first(session, {"chair_id": chair_id, "plan_id": meeting.plan_id})
        if chair is not None:
            return Actor.of_chair(meeting.id, chair, lang)
    elif meeting is not None and participant_id is not None:
        person = _PARTICIPANT.first(session, {"participant_id": participant_id})
        if (person is not None and person.meeting_id == meeting.id
                and person.token_hash == token_hash and person.token_revoked_at is None
                and not link_expired(meeting)):
            return Actor.of_participant(meeting.id, person, lang)
    raise LiveError("forbidden")


@dataclass(frozen=True)
class Outcome:
    """What one operation did: the event to broadcast (None if nothing changed) and the
    sender's acknowledgement."""

    event: dict[str, Any] | None
    answer: dict[str, Any]


def apply(session: Session, actor: Actor, op_id: Any, operation: Op) -> Outcome:
    """Lock the meeting, run one operation and record it."""
    return apply_locked(session, lock_meeting(session, actor.meeting_id), actor, op_id, operation)


def apply_locked(session: Session, state: MeetingState, actor: Actor, op_id: Any,
                 operation: Op) -> Outcome:
    """Run one operation on a meeting locked by lock_meeting() and record it.

    The caller commits whatever this returns; a LiveError leaves nothing to commit.
    """
    if not isinstance(op_id, str) or not 0 < len(op_id) <= F.MAX_OP_ID:
        raise LiveError("invalid", "bad_op_id")
    earlier = _EARLIER_RESULT.scalar(session, {"meeting_id": state.id, "op_id": op_id})
    if earlier is not None:
        _GIVE_BACK_SEQ.execute(session, {"meeting_id": state.id})
        return Outcome(None, earlier | {"duplicate": True})
    try:
        event = operation(session, state, actor)
    except NoChange as unchanged:
        _GIVE_BACK_SEQ.execute(session, {"meeting_id": state.id})
        _RECORD_OPERATION.execute(session, dict(
            meeting_id=state.id, seq=None, op_id=op_id, participant_id=actor.participant_id,
            event={}, result=unchanged.answer, at=utcnow()))
        return Outcome(None, unchanged.answer)
    event.update(seq=state.seq, op_id=op_id)
    event.setdefault("by", actor.name)  # an operation may leave its author unnamed
    session.flush()
    answer = {"ok": True, "seq": state.seq, **ack_of(event)}
    _RECORD_OPERATION.execute(session, dict(
        meeting_id=state.id, seq=state.seq, op_id=op_id, participant_id=actor.participant_id,
        event=event, result=answer, at=utcnow()))
    return Outcome(event, answer)


def ack_of(event: dict[str, Any]) -> dict[str, Any]:
    """The part of an event that the sender's acknowledgement repeats."""
    keys = ("version", "value", "id", "item", "merged", "plan_version")
    return {k: event[k] for k in keys if k in event}


def require_live(meeting: Meeting | MeetingState) -> None:
    """Refuse plan changes unless the meeting is in progress."""
    if meeting.status != "live":
        raise LiveError("closed", "not_live" if meeting.status != "closed" else "closed")


def require_writer(actor: Actor, entity: str, field: str | None = None) -> None:
    """Refuse a change from someone whose role only reads."""
    if not actor.may_write(entity, field):
        raise LiveError("forbidden", "read_only")


def require_chair(actor: Actor) -> None:
    """Refuse a chair's command from anyone else."""
    if not actor.is_chair:
        raise LiveError("forbidden", "chair_only")


def missing(session: Session, plan_id: int, entity: Any, item_id: Any) -> LiveError:
    """The refusal for an item that is not there: `removed` if this plan once had it.

    Ids are never reused (docs/decisions/0013), so an operation addressed to a removed item
    is refused as such and never lands on another.
    """
    if isinstance(entity, str) and entity in ITEM_MODELS and isinstance(item_id, int) \
            and not isinstance(item_id, bool):
        removed = session.scalar(select(AuditEvent.actor_name).where(
            AuditEvent.entity == entity, AuditEvent.entity_id == item_id,
            AuditEvent.field == "removed", AuditEvent.plan_id == plan_id).limit(1))
        if removed is not None:
            error = LiveError("removed", "removed")
            error.extra = {"entity": entity, "id": item_id}
            return error
    return LiveError("not_found")


def target(session: Session, meeting: Meeting, entity: str, item_id: Any):
    """Return the row an edit addresses, if it belongs to this meeting's plan."""
    if entity == "meeting":
        return meeting if item_id == meeting.id else None
    if entity == "plan":
        return meeting.plan if item_id == meeting.plan_id else None
    model = ITEM_MODELS.get(entity) if isinstance(entity, str) else None
    if model is None or isinstance(item_id, bool) or not isinstance(item_id, int):
        return None
    row = session.get(model, item_id)
    return row if row is not None and row.plan_id == meeting.plan_id else None


def check_ref(session: Session, meeting: Meeting | MeetingState, row_id: int, field: F.Field,
              value: Any) -> None:
    """Make sure a reference points into this meeting (and an action never waits on itself)."""
    if value is None:
        return
    if field.ref == "participant":
        found = session.scalar(select(Participant.meeting_id).where(Participant.id == value))
        ok = found == meeting.id
    else:
        model = ITEM_MODELS[field.ref]
        found = session.scalar(select(model.plan_id).where(model.id == value))
        ok = found == meeting.plan_id and not (
            field.ref == "action" and _depends_on(session, value, row_id))
    if not ok:
        raise LiveError("invalid", "bad_ref")


def _depends_on(session: Session, start: int, row_id: int) -> bool:
    """Tell whether following depends-on links from `start` leads back to row `row_id`."""
    seen: set[int] = set()
    current: int | None = start
    while current is not None and current not in seen:
        if current == row_id:
            return True
        seen.add(current)
        current = session.scalar(select(Action.depends_on_id).where(Action.id == current))
    return False
