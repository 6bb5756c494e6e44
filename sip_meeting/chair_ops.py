"""The chair's operations: admit and dismiss, the meeting order, rounds, start and close."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from .annotations import close_blockers, findings
from .db import utcnow
from .live import Actor, LiveError, MeetingState, require_chair, require_live
from .mailer import mail_enabled, queue_plan_deliveries
from .meeting_order import meeting_order
from .models import Chair, Meeting, Participant
from .planning import audit
from .planning import remove_participant as remove_invited
from .presence import connected_participants
from .rules import NOT_OVERRIDABLE, RULE_IDS
from .versions import freeze


def participant_payload(p: Participant, connected: set[int]) -> dict[str, Any]:
    """Describe a participant for everyone in the room: no contact details."""
    return {"id": p.id, "name": p.name, "role": p.role, "principal": p.principal,
            "organisation": p.organisation, "admitted": p.admitted_at is not None,
            "connected": p.id in connected}


def _own(meeting: Meeting, participant_id: Any) -> list[Participant]:
    """Return the meeting's participant with this id (a true integer: not True, not 1.0)."""
    if isinstance(participant_id, bool) or not isinstance(participant_id, int):
        return []
    return [p for p in meeting.participants if p.id == participant_id]


def admit(participant_id: Any):
    """Build the chair's operation that lets one waiting person, or everyone waiting, in."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_chair(actor)
        if meeting.status == "closed":
            raise LiveError("closed")
        connected = connected_participants(session, meeting.id)
        if participant_id == "all":
            chosen = [p for p in meeting.participants
                      if p.admitted_at is None and p.id in connected]
        else:
            chosen = _own(meeting, participant_id)
            if not chosen:
                raise LiveError("not_found")
        for p in chosen:
            p.admitted_at, p.attendance = p.admitted_at or utcnow(), "present"
            audit(session, actor, "participant", p.id, "admitted", None, True,
                  plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "admitted",
                "participants": [participant_payload(p, connected) for p in chosen]}

    return run


def dismiss(participant_id: Any):
    """Build the chair's operation that sends a participant back to the lobby."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_chair(actor)
        chosen = _own(meeting, participant_id)
        if not chosen:
            raise LiveError("not_found")
        chosen[0].admitted_at = None
        audit(session, actor, "participant", participant_id, "admitted", True, None,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "dismissed", "participant_id": participant_id}

    return run


def remove_participant(chair: Chair, participant_id: int):
    """Build the chair's operation that takes a participant off the meeting (an HTTP form).

    What named them in the plan is cleared in the same operation, so every screen sees it.
    """

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_chair(actor)
        chosen = [p for p in meeting.participants if p.id == participant_id]
        if not chosen:
            raise LiveError("not_found")
        changes = remove_invited(session, chair, chosen[0])
        return {"kind": "participant_removed", "participant_id": participant_id,
                "changes": changes}

    return run


def set_step(step: Any):
    """Build the chair's operation that moves the meeting to another step of its order."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_chair(actor)
        require_live(meeting)
        if isinstance(step, bool) or not isinstance(step, int) \
                or not 0 <= step < len(meeting_order(meeting.kind)):
            raise LiveError("invalid", "bad_step")
        audit(session, actor, "meeting", meeting.id, "step", meeting.step, step,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        meeting.step = step
        return {"kind": "step", "step": step}

    return run


# draft → open (the lobby opens) → live → closed; a chair may also start straight from draft.
STATUS_FLOW = {"draft": ("open", "live"), "open": ("draft", "live"), "live": ("closed",),
               "closed": ()}


def set_status(status: Any):
    """Build the chair's operation that opens the lobby, starts or ends the meeting."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_chair(actor)
        if status == "closed" and meeting.status == "closed":
            raise LiveError("closed", "already_closed")
        if status not in STATUS_FLOW.get(meeting.status, ()):
            raise LiveError("invalid", "bad_status")
        if status == "closed":
            require_no_blockers(meeting, actor)
        audit(session, actor, "meeting", meeting.id, "status", meeting.status, status,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        meeting.status = status
        if status == "live":
            meeting.started_at = meeting.started_at or utcnow()
        elif status == "closed":
            meeting.closed_at = utcnow()
            version = freeze(session, meeting)
            if mail_enabled(current_app):
                queue_plan_deliveries(session, meeting)
            return {"kind": "status", "status": status, "plan_version": version.number}
        return {"kind": "status", "status": status}

    return run


def mark_spoken(participant_id: Any, spoken: Any):
    """Build the chair's operation that ticks who has spoken in this step's round."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_chair(actor)
        require_live(meeting)
        if not isinstance(spoken, bool) or not _own(meeting, participant_id):
            raise LiveError("invalid", "bad_participant")
        rounds = {k: list(v) for k, v in (meeting.spoken or {}).items()}
        ids = set(rounds.get(str(meeting.step), []))
        ids = ids | {participant_id} if spoken else ids - {participant_id}
        rounds[str(meeting.step)] = sorted(ids)
        meeting.spoken = rounds
        return {"kind": "spoken", "step": meeting.step, "participant_id": participant_id,
                "spoken": spoken}

    return run


def require_no_blockers(meeting: Meeting, actor: Actor) -> None:
    """Refuse to close while a blocker remains that the chair has not overridden.

    The refusal lists the same blockers the console shows live (annotations' close_blockers).
    """
    blockers = close_blockers(meeting, actor.lang)
    if blockers:
        error = LiveError("blocked", "close_blocked", n=len(blockers))
        error.extra = {"blockers": blockers}
        raise error


MAX_REASON = 500


def _what_it_sets_aside(meeting: Meeting, lang: str, rule: str, item_id: Any) -> dict[str, Any]:
    """Describe the blocker an override sets aside, so it can be named once it is gone.

    Empty when nothing of that rule on that item stops the close.
    """
    for finding in findings(meeting, lang, at_close=True):
        if finding.rule == rule and finding.item_id == item_id and finding.severity == "blocker":
            return {"section": finding.section, "field": finding.field,
                    "message": finding.message}
    return {}


def override(rule: Any, item_id: Any, reason: Any):
    """Build the chair's operation that sets one blocker aside with a written reason.

    An override names one item: an action (`item_id`) or, with `item_id` None, one
    plan-level item; each item needs its own reason. Only what stops the close now can be
    set aside, and a plan without any action never can (it ends as "no plan made" instead).
    An empty reason withdraws the override. The reasons become part of the plan.
    """

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_chair(actor)
        require_live(meeting)
        if rule not in RULE_IDS or not isinstance(reason, str) or len(reason) > MAX_REASON \
                or not (item_id is None or (isinstance(item_id, int)
                                            and not isinstance(item_id, bool))):
            raise LiveError("invalid", "bad_override")
        kept = [o for o in meeting.overrides or []
                if (o["rule"], o.get("item_id")) != (rule, item_id)]
        if reason.strip():
            if rule in NOT_OVERRIDABLE:
                raise LiveError("invalid", "not_overridable")
            aside = _what_it_sets_aside(meeting, actor.lang, rule, item_id)
            if not aside:
                raise LiveError("invalid", "nothing_to_override")
            kept.append({"rule": rule, "item_id": item_id, "reason": reason.strip(),
                         "by": actor.name, "at": utcnow().isoformat(), **aside})
        audit(session, actor, "meeting", meeting.id, "override", rule,
              reason.strip() or None, plan_id=meeting.plan_id, meeting_id=meeting.id)
        meeting.overrides = kept
        return {"kind": "overrides", "overrides": kept}

    return run


def end_without_plan(reason: Any):
    """Build the chair's operation that ends a meeting that made no plan ("no plan made").

    Only a plan without any action can end so: the meeting closes with the reason recorded,
    and no version is frozen, so nothing is handed over as a plan.
    """

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_chair(actor)
        if meeting.status == "closed":
            raise LiveError("closed", "already_closed")
        require_live(meeting)
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
            raise LiveError("invalid", "bad_no_plan")
        if not any(f.rule == "actions" for f in findings(meeting, actor.lang)):
            raise LiveError("invalid", "plan_has_actions")
        audit(session, actor, "meeting", meeting.id, "status", meeting.status, "closed",
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        audit(session, actor, "meeting", meeting.id, "no_plan_reason", None, reason.strip(),
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        meeting.status, meeting.closed_at = "closed", utcnow()
        meeting.no_plan_reason = reason.strip()
        return {"kind": "status", "status": "closed", "no_plan_reason": meeting.no_plan_reason}

    return run
