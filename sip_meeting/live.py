"""Operations on a live meeting: each runs in one short transaction and yields one `op`.

The caller (events.py) opens the transaction with ``atomic()``; ``apply()`` takes the meeting's
write lock by bumping its sequence number first, returns the recorded answer for an op_id seen
before, and otherwise runs the operation, writes its audit event and op-log row and returns the
event to broadcast once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from . import fields as F
from .models import Action, Chair, Consent, Goal, Meeting, Operation, Participant

WRITER_ROLES = ("guardian", "relative", "professional", "coordinator", "chair")
ITEM_MODELS = {"goal": Goal, "action": Action, "consent": Consent}


class LiveError(Exception):
    """An operation refused; ``code`` is sent to the client with a translated message."""

    def __init__(self, code: str, key: str | None = None, **params: Any) -> None:
        super().__init__(code)
        self.code, self.key, self.params = code, key or code, params
        self.extra: dict[str, Any] = {}


class NoChange(Exception):
    """The edit leaves the value as it is: acknowledge without recording anything."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__("no change")
        self.answer = answer


@dataclass
class Actor:
    """Who is acting in a meeting: its chair or one of its participants."""

    meeting_id: int
    chair: Chair | None = None
    participant: Participant | None = None
    lang: str = "sv"

    @property
    def name(self) -> str:
        if self.chair is not None:
            return self.chair.name or self.chair.email
        return self.participant.name if self.participant else ""

    @property
    def is_chair(self) -> bool:
        return self.chair is not None

    @property
    def role(self) -> str:
        return "chair" if self.chair is not None else self.participant.role

    def may_write(self, entity: str, field: str | None = None) -> bool:
        """Tell whether this person may change the plan (a child only their own voice)."""
        if self.is_chair or self.role in WRITER_ROLES:
            return True
        return self.role == "child" and (entity, field) in F.CHILD_FIELDS

    def record(self) -> Chair | Participant:
        """Return the model to name in the audit history."""
        return self.chair or self.participant


def lock_meeting(session: Session, meeting_id: int) -> Meeting:
    """Bump the meeting's sequence number first, which takes its write lock in both databases."""
    session.execute(update(Meeting).where(Meeting.id == meeting_id).values(seq=Meeting.seq + 1))
    # Its plan comes in the same query: nearly every operation needs it.
    meeting = session.get(Meeting, meeting_id, populate_existing=True,
                          options=[joinedload(Meeting.plan)])
    if meeting is None:
        raise LiveError("not_found")
    return meeting


def apply(session: Session, actor: Actor, op_id: Any,
          operation: Callable[[Session, Meeting, Actor], dict[str, Any]]) -> dict[str, Any]:
    """Run one operation under the meeting's lock and record it; return the event to broadcast."""
    if not isinstance(op_id, str) or not 0 < len(op_id) <= F.MAX_OP_ID:
        raise LiveError("invalid", "bad_op_id")
    meeting = lock_meeting(session, actor.meeting_id)
    earlier = session.scalar(select(Operation).where(Operation.meeting_id == meeting.id,
                                                     Operation.op_id == op_id))
    if earlier is not None:
        raise NoChange(earlier.result | {"duplicate": True})
    event = operation(session, meeting, actor)
    event.update(seq=meeting.seq, op_id=op_id)
    event.setdefault("by", actor.name)  # an operation may leave its author unnamed
    session.add(Operation(meeting_id=meeting.id, seq=meeting.seq, op_id=op_id,
                          participant_id=actor.participant.id if actor.participant else None,
                          event=event, result={"ok": True, "seq": meeting.seq, **ack_of(event)}))
    session.flush()
    return event


def ack_of(event: dict[str, Any]) -> dict[str, Any]:
    """The part of an event that the sender's acknowledgement repeats."""
    keys = ("version", "value", "id", "item", "merged", "plan_version")
    return {k: event[k] for k in keys if k in event}


def require_live(meeting: Meeting) -> None:
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


def target(session: Session, meeting: Meeting, entity: str, item_id: Any):
    """Return the row an edit addresses, if it belongs to this meeting's plan."""
    if entity == "meeting":
        return meeting if item_id == meeting.id else None
    if entity == "plan":
        return meeting.plan if item_id == meeting.plan_id else None
    model = ITEM_MODELS.get(entity)
    if model is None or isinstance(item_id, bool) or not isinstance(item_id, int):
        return None
    row = session.get(model, item_id)
    return row if row is not None and row.plan_id == meeting.plan_id else None


def check_ref(session: Session, meeting: Meeting, row: Any, field: F.Field, value: Any) -> None:
    """Make sure a reference points into this meeting (and an action never waits on itself)."""
    if value is None:
        return
    if field.ref == "participant":
        found = session.get(Participant, value)
        ok = found is not None and found.meeting_id == meeting.id
    else:
        found = target(session, meeting, field.ref, value)
        ok = found is not None and not (field.ref == "action" and _depends_on(session, value, row))
    if not ok:
        raise LiveError("invalid", "bad_ref")


def _depends_on(session: Session, start: int, row: Any) -> bool:
    """Tell whether following depends-on links from `start` leads back to `row`."""
    seen: set[int] = set()
    current: int | None = start
    while current is not None and current not in seen:
        if current == row.id:
            return True
        seen.add(current)
        current = session.scalar(select(Action.depends_on_id).where(Action.id == current))
    return False
