"""Operations on the plan's content: edit a field, add, remove and move list items."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from . import fields as F
from .db import Precompiled
from .live import (
    ITEM_MODELS,
    Actor,
    LiveError,
    MeetingState,
    NoChange,
    check_ref,
    missing,
    require_live,
    require_writer,
    target,
)
from .merge import merge_text
from .models import Meeting, Plan
from .planning import audit


def edit_field(entity: str, item_id: Any, name: str, base_version: Any, base: Any, value: Any):
    """Build the operation that changes one field, merging with a concurrent edit of a text.

    It reads and writes the one field and its versions by column, without loading the row:
    this is what runs every time someone pauses while typing.
    """

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        require_live(state)
        require_writer(actor, entity, name)
        field = F.field_for(entity, name)
        new = F.clean(field, value)
        if isinstance(item_id, bool) or not isinstance(item_id, int):
            raise LiveError("not_found")
        read, write = _field_statements(entity, name)
        # The row must belong to this meeting's plan (or be this meeting).
        where = {"row_id": item_id, "own_meeting": state.id, "own_plan": state.plan_id}
        row = read.first(session, where)
        if row is None:
            raise missing(session, state.plan_id, entity, item_id)
        current, versions = row[0], dict(row[1] or {})
        if field.type == "ref":
            check_ref(session, state, item_id, field, new)
        version = versions.get(name, 0)
        merged = False
        if base_version != version and new != current:
            new, merged = _resolve(field, base, current, new, version)
        if new == current:
            raise NoChange({"ok": True, "version": version, "value": F.to_wire(field, current)})
        versions[name] = version + 1
        write.execute(session, {**where, "value": new, "new_versions": versions})
        audit(session, actor, entity, item_id, name, F.to_wire(field, current),
              F.to_wire(field, new), plan_id=state.plan_id, meeting_id=state.id, merge=True)
        return {"kind": "field", "entity": entity, "id": item_id, "field": name,
                "value": F.to_wire(field, new), "version": version + 1, "merged": merged}

    return run


@cache
def _field_statements(entity: str, name: str) -> tuple[Precompiled, Precompiled]:
    """Build (once per field) the statements that read and write one field and its versions.

    Their condition matches nothing unless the row is this meeting or belongs to its plan.
    """
    model = {"meeting": Meeting, "plan": Plan, **ITEM_MODELS}[entity]
    own = {"meeting": Meeting.id == bindparam("own_meeting"),
           "plan": Plan.id == bindparam("own_plan")}.get(entity)
    if own is None:
        own = model.plan_id == bindparam("own_plan")
    where = (model.id == bindparam("row_id")) & own
    column = getattr(model, name)
    read = select(column, model.field_versions).where(where)
    write = update(model.__table__).where(where).values(
        {column.expression: bindparam("value"),
         model.field_versions.expression: bindparam("new_versions")})
    return Precompiled(read), Precompiled(write)


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
    return {"id": row.id, "fields": F.versioned_values(entity, row)}


def _items(meeting: Meeting, entity: str) -> list[Any]:
    plan: Plan = meeting.plan
    return {"goal": plan.goals, "action": plan.actions, "consent": plan.consents}[entity]


def add_item(entity: Any, values: Any):
    """Build the operation that appends a goal, an action or a consent."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_live(meeting)
        require_writer(actor, "item")
        if not isinstance(entity, str) or entity not in ITEM_MODELS \
                or not isinstance(values, dict):
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
                check_ref(session, meeting, row.id, field, clean)
            setattr(row, name, clean)
        items.append(row)
        session.flush()
        audit(session, actor, entity, row.id, "added", None,
              {k: F.to_wire(F.SCHEMA[entity][k], getattr(row, k)) for k in values},
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "item_added", "entity": entity, "item": item_payload(entity, row),
                "position": len(items) - 1, "id": row.id}

    return run


def _writable_item(session: Session, meeting: Meeting, actor: Actor, entity: Any, item_id: Any):
    """Return a list item the actor may change in this live meeting, or refuse."""
    require_live(meeting)
    require_writer(actor, "item")
    row = target(session, meeting, entity, item_id) \
        if isinstance(entity, str) and entity in ITEM_MODELS else None
    if row is None:
        raise missing(session, meeting.plan_id, entity, item_id)
    return row


def remove_item(entity: Any, item_id: Any):
    """Build the operation that removes a list item; what pointed at it points nowhere.

    Those cleared links are part of the operation (`changes`), so every screen and every
    catch-up from the op log sees them, with their new versions.
    """

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        row = _writable_item(session, meeting, actor, entity, item_id)
        before = item_payload(entity, row)["fields"]
        changes = []
        for other in meeting.plan.actions:
            for ref in ("goal_id", "depends_on_id"):
                if getattr(other, ref) == row.id and F.SCHEMA["action"][ref].ref == entity:
                    setattr(other, ref, None)
                    changes.append({"entity": "action", "id": other.id, "field": ref,
                                    "value": None, "version": other.bump_version(ref)})
                    audit(session, actor, "action", other.id, ref, row.id, None,
                          plan_id=meeting.plan_id, meeting_id=meeting.id)
        _items(meeting, entity).remove(row)
        session.delete(row)
        audit(session, actor, entity, item_id, "removed",
              {k: v["value"] for k, v in before.items()}, None,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "item_removed", "entity": entity, "id": item_id, "changes": changes}

    return run


def move_item(entity: Any, item_id: Any, position: Any):
    """Build the operation that moves a list item to a new place in its list."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        row = _writable_item(session, meeting, actor, entity, item_id)
        items = sorted(_items(meeting, entity), key=lambda r: r.position)
        if isinstance(position, bool) or not isinstance(position, int) \
                or not 0 <= position < len(items):
            raise LiveError("invalid", "bad_position")
        old = items.index(row)
        items.insert(position, items.pop(old))
        for index, item in enumerate(items):
            item.position = index
        audit(session, actor, entity, row.id, "position", old, position,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "item_moved", "entity": entity, "id": row.id, "position": position}

    return run


_CLAUSE_END = re.compile(r"[,.;:!?]")


def split_condition(action_id: Any, start: Any, end: Any):
    """Build the operation that turns a flagged condition into an action of its own.

    The clause after the conditional word (up to the next punctuation) becomes a new action,
    and the original action waits for it (depends on it), so the condition gets its own who
    and when instead of hanging on an "if".
    """

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_live(meeting)
        require_writer(actor, "item")
        original = target(session, meeting, "action", action_id)
        if original is None:
            raise missing(session, meeting.plan_id, "action", action_id)
        text = original.what or ""
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (start, end)) \
                or not 0 <= start < end <= len(text):
            raise LiveError("invalid", "bad_span")
        rest = text[end:]
        stop = _CLAUSE_END.search(rest)
        clause = (rest[: stop.start()] if stop else rest).strip()
        if not clause:
            raise LiveError("invalid", "bad_span")
        event = add_item("action", {"what": clause[0].upper() + clause[1:]})(
            session, state, actor)
        original.depends_on_id = event["id"]
        version = original.bump_version("depends_on_id")
        audit(session, actor, "action", original.id, "depends_on_id", None, event["id"],
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {**event, "kind": "condition_split", "action_id": original.id,
                "field": "depends_on_id", "value": event["id"], "version": version}

    return run
