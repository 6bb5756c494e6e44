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
from sqlalchemy.orm import Session

from . import fields as F
from .db import utcnow
from .meeting_order import meeting_order
from .merge import merge_text
from .models import Action, Chair, Consent, Goal, Meeting, Operation, Participant, Plan
from .planning import audit

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
    meeting = session.get(Meeting, meeting_id, populate_existing=True)
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
    event.update(seq=meeting.seq, op_id=op_id, by=actor.name)
    session.add(Operation(meeting_id=meeting.id, seq=meeting.seq, op_id=op_id,
                          participant_id=actor.participant.id if actor.participant else None,
                          event=event, result={"ok": True, "seq": meeting.seq, **ack_of(event)}))
    session.flush()
    return event


def ack_of(event: dict[str, Any]) -> dict[str, Any]:
    """The part of an event that the sender's acknowledgement repeats."""
    keys = ("version", "value", "id", "item", "merged")
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


def edit_field(entity: str, item_id: Any, name: str, base_version: Any, base: Any, value: Any):
    """Build the operation that changes one field, merging with a concurrent edit of a text."""

    def run(session: Session, meeting: Meeting, actor: Actor) -> dict[str, Any]:
        require_live(meeting)
        require_writer(actor, entity, name)
        field = F.field_for(entity, name)
        new = F.clean(field, value)
        row = target(session, meeting, entity, item_id)
        if row is None:
            raise LiveError("not_found")
        if field.type == "ref":
            check_ref(session, meeting, row, field, new)
        current, version = getattr(row, name), row.version_of(name)
        merged = False
        if base_version != version and new != current:
            new, merged = _resolve(field, base, current, new, version)
        if new == current:
            raise NoChange({"ok": True, "version": version, "value": F.to_wire(field, current)})
        setattr(row, name, new)
        new_version = row.bump_version(name)
        audit(session, actor.record(), entity, row.id, name, F.to_wire(field, current),
              F.to_wire(field, new), plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "field", "entity": entity, "id": row.id, "field": name,
                "value": F.to_wire(field, new), "version": new_version, "merged": merged}

    return run


def _resolve(field: F.Field, base: Any, current: Any, mine: Any, version: int) -> tuple[Any, bool]:
    """Merge an edit made on an old version, or refuse it with both values to choose from."""
    if field.mergeable and isinstance(base, str) and len(base) <= field.max:
        merged = merge_text(base.replace("\r\n", "\n"), current or "", mine)
        if merged is not None and len(merged) <= field.max:
            return merged, True
    error = LiveError("conflict")
    error.extra = {"theirs": F.to_wire(field, current), "mine": F.to_wire(field, mine),
                   "version": version}
    raise error


def item_payload(entity: str, row: Any) -> dict[str, Any]:
    """Describe one list item as the browser receives it."""
    return {"id": row.id, "fields": {
        name: {"value": F.to_wire(field, getattr(row, name)), "version": row.version_of(name)}
        for name, field in F.SCHEMA[entity].items()}}


def _items(meeting: Meeting, entity: str) -> list[Any]:
    plan: Plan = meeting.plan
    return {"goal": plan.goals, "action": plan.actions, "consent": plan.consents}[entity]


def add_item(entity: Any, values: Any):
    """Build the operation that appends a goal, an action or a consent."""

    def run(session: Session, meeting: Meeting, actor: Actor) -> dict[str, Any]:
        require_live(meeting)
        require_writer(actor, "item")
        if entity not in ITEM_MODELS or not isinstance(values, dict):
            raise LiveError("invalid", "unknown_field")
        items = _items(meeting, entity)
        if len(items) >= F.MAX_ITEMS[entity]:
            raise LiveError("too_large", "too_many_items", max=F.MAX_ITEMS[entity])
        row = ITEM_MODELS[entity](plan_id=meeting.plan_id, field_versions={},
                                  position=(items[-1].position + 1) if items else 0)
        session.add(row)
        session.flush()
        for name, value in values.items():
            field = F.field_for(entity, name)
            clean = F.clean(field, value)
            if field.type == "ref":
                check_ref(session, meeting, row, field, clean)
            setattr(row, name, clean)
        items.append(row)
        session.flush()
        audit(session, actor.record(), entity, row.id, "added", None,
              {k: F.to_wire(F.SCHEMA[entity][k], getattr(row, k)) for k in values},
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "item_added", "entity": entity, "item": item_payload(entity, row),
                "position": len(items) - 1, "id": row.id}

    return run


def remove_item(entity: Any, item_id: Any):
    """Build the operation that removes a list item; what pointed at it points nowhere."""

    def run(session: Session, meeting: Meeting, actor: Actor) -> dict[str, Any]:
        require_live(meeting)
        require_writer(actor, "item")
        row = target(session, meeting, entity, item_id) if entity in ITEM_MODELS else None
        if row is None:
            raise LiveError("not_found")
        before = item_payload(entity, row)["fields"]
        for other in meeting.plan.actions:
            for ref in ("goal_id", "depends_on_id"):
                if getattr(other, ref) == row.id and F.SCHEMA["action"][ref].ref == entity:
                    setattr(other, ref, None)
                    other.bump_version(ref)
        _items(meeting, entity).remove(row)
        session.delete(row)
        audit(session, actor.record(), entity, item_id, "removed",
              {k: v["value"] for k, v in before.items()}, None,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "item_removed", "entity": entity, "id": item_id}

    return run


def move_item(entity: Any, item_id: Any, position: Any):
    """Build the operation that moves a list item to a new place in its list."""

    def run(session: Session, meeting: Meeting, actor: Actor) -> dict[str, Any]:
        require_live(meeting)
        require_writer(actor, "item")
        row = target(session, meeting, entity, item_id) if entity in ITEM_MODELS else None
        if row is None:
            raise LiveError("not_found")
        items = sorted(_items(meeting, entity), key=lambda r: r.position)
        if isinstance(position, bool) or not isinstance(position, int) \
                or not 0 <= position < len(items):
            raise LiveError("invalid", "bad_position")
        old = items.index(row)
        items.insert(position, items.pop(old))
        for index, item in enumerate(items):
            item.position = index
        audit(session, actor.record(), entity, row.id, "position", old, position,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "item_moved", "entity": entity, "id": row.id, "position": position}

    return run


def participant_payload(p: Participant) -> dict[str, Any]:
    """Describe a participant for everyone in the room: no contact details."""
    return {"id": p.id, "name": p.name, "role": p.role, "principal": p.principal,
            "organisation": p.organisation, "admitted": p.admitted_at is not None,
            "connected": p.connections > 0}


def admit(participant_id: Any):
    """Build the chair's operation that lets one waiting person, or everyone waiting, in."""

    def run(session: Session, meeting: Meeting, actor: Actor) -> dict[str, Any]:
        require_chair(actor)
        if meeting.status == "closed":
            raise LiveError("closed")
        if participant_id == "all":
            chosen = [p for p in meeting.participants if p.admitted_at is None and p.connections]
        else:
            chosen = [p for p in meeting.participants if p.id == participant_id]
            if not chosen:
                raise LiveError("not_found")
        for p in chosen:
            p.admitted_at, p.attendance = p.admitted_at or utcnow(), "present"
            audit(session, actor.record(), "participant", p.id, "admitted", None, True,
                  plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "admitted", "participants": [participant_payload(p) for p in chosen]}

    return run


def dismiss(participant_id: Any):
    """Build the chair's operation that sends a participant back to the lobby."""

    def run(session: Session, meeting: Meeting, actor: Actor) -> dict[str, Any]:
        require_chair(actor)
        chosen = [p for p in meeting.participants if p.id == participant_id]
        if not chosen:
            raise LiveError("not_found")
        chosen[0].admitted_at = None
        audit(session, actor.record(), "participant", participant_id, "admitted", True, None,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "dismissed", "participant_id": participant_id}

    return run


def set_step(step: Any):
    """Build the chair's operation that moves the meeting to another step of its order."""

    def run(session: Session, meeting: Meeting, actor: Actor) -> dict[str, Any]:
        require_chair(actor)
        require_live(meeting)
        if isinstance(step, bool) or not isinstance(step, int) \
                or not 0 <= step < len(meeting_order()):
            raise LiveError("invalid", "bad_step")
        audit(session, actor.record(), "meeting", meeting.id, "step", meeting.step, step,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        meeting.step = step
        return {"kind": "step", "step": step}

    return run


# draft → open (the lobby opens) → live → closed; a chair may also start straight from draft.
STATUS_FLOW = {"draft": ("open", "live"), "open": ("draft", "live"), "live": ("closed",),
               "closed": ()}


def set_status(status: Any):
    """Build the chair's operation that opens the lobby, starts or ends the meeting."""

    def run(session: Session, meeting: Meeting, actor: Actor) -> dict[str, Any]:
        require_chair(actor)
        if status not in STATUS_FLOW.get(meeting.status, ()):
            raise LiveError("invalid", "bad_status")
        audit(session, actor.record(), "meeting", meeting.id, "status", meeting.status, status,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        meeting.status = status
        if status == "live":
            meeting.started_at = meeting.started_at or utcnow()
        elif status == "closed":
            meeting.closed_at = utcnow()
        return {"kind": "status", "status": status}

    return run


def mark_spoken(participant_id: Any, spoken: Any):
    """Build the chair's operation that ticks who has spoken in this step's round."""

    def run(session: Session, meeting: Meeting, actor: Actor) -> dict[str, Any]:
        require_chair(actor)
        require_live(meeting)
        if not isinstance(spoken, bool) or not any(p.id == participant_id
                                                   for p in meeting.participants):
            raise LiveError("invalid", "bad_participant")
        rounds = {k: list(v) for k, v in (meeting.spoken or {}).items()}
        ids = set(rounds.get(str(meeting.step), []))
        ids = ids | {participant_id} if spoken else ids - {participant_id}
        rounds[str(meeting.step)] = sorted(ids)
        meeting.spoken = rounds
        return {"kind": "spoken", "step": meeting.step, "participant_id": participant_id,
                "spoken": spoken}

    return run
