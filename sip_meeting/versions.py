"""Frozen plan versions: what the plan said when a meeting closed, kept unchanged for good.

A version snapshot is plain JSON-ready data (the structure `sip-meeting export --format json`
writes, described by docs/plan-version.schema.json). Texts are the plan's own words; labels of
choices ("planned", "municipality") are translated when the version is shown or printed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import fields as F
from .annotations import findings, rules
from .db import utcnow
from .models import FAMILY_ROLES, Meeting, Participant, PlanVersion, TermExplanation
from .rules import accepted_conditions, is_overridden

FORMAT = "sip-meeting/plan-version/1"


def _participant(p: Participant) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "organisation": p.organisation, "role": p.role,
            "principal": p.principal, "language": p.language,
            "attendance": "present" if p.admitted_at is not None or p.attendance == "present"
            else "absent"}


def _responsible_name(action: dict[str, Any], people: dict[int, dict[str, Any]]) -> str:
    person = people.get(action["responsible_participant_id"])
    return person["name"] if person else action["responsible"]


def _responsible_role(action: dict[str, Any], people: dict[int, dict[str, Any]]) -> str:
    person = people.get(action["responsible_participant_id"])
    return person["role"] if person else ""


def version_snapshot(session: Session, meeting: Meeting, number: int,
                     frozen_at: datetime) -> dict[str, Any]:
    """Describe the plan as it stands now, as version `number` frozen at `frozen_at`."""
    plan = meeting.plan
    people = {p.id: _participant(p) for p in meeting.participants}
    actions = [F.plain_values("action", a) for a in plan.actions]
    for action in actions:
        action["responsible_name"] = _responsible_name(action, people)
        action["responsible_role"] = _responsible_role(action, people)
    sections = F.plain_values("plan", plan)
    sections.pop("id")
    explanations = session.scalars(select(TermExplanation).where(
        TermExplanation.plan_id == plan.id).order_by(TermExplanation.id)).all()
    snapshot = {
        "format": FORMAT,
        "plan_id": plan.id,
        "version": number,
        "frozen_at": frozen_at.isoformat(),
        "child_name": plan.child_name,
        "meeting": _meeting(meeting),
        "participants": list(people.values()),
        "sections": sections,
        "goals": [F.plain_values("goal", g) for g in plan.goals],
        "actions": actions,
        "consents": [F.plain_values("consent", c) for c in plan.consents],
        "overrides": overrides_in_effect(meeting),
        "explanations": [{"word": e.word, "term_id": e.term_id, "text": e.text}
                         for e in explanations],
    }
    rules_view = {"actions": actions}
    snapshot["accepted_conditions"] = accepted_conditions(rules_view, rules())
    return snapshot


def overrides_in_effect(meeting: Meeting) -> list[dict[str, Any]]:
    """Return the overrides that set aside something that would stop the close now.

    One set aside before the item was fixed, or whose action was removed, left nothing open
    and does not go into the plan.
    """
    overrides = list(meeting.overrides or [])
    blockers = [f for f in findings(meeting, "sv", at_close=True) if f.severity == "blocker"]
    return [o for o in overrides if any(is_overridden(f, [o]) for f in blockers)]


def _meeting(meeting: Meeting) -> dict[str, Any]:
    return {"id": meeting.id, "kind": meeting.kind, "starts_at": meeting.starts_at.isoformat(),
            "duration_minutes": meeting.duration_minutes, "place": meeting.place,
            "video_link": meeting.video_link, "purpose": meeting.purpose,
            "questions": [q.strip() for q in meeting.questions.splitlines() if q.strip()],
            "chair": meeting.chair.name or meeting.chair.email,
            "started_at": meeting.started_at.isoformat() if meeting.started_at else None,
            "closed_at": (meeting.closed_at or utcnow()).isoformat()}


def freeze(session: Session, meeting: Meeting) -> PlanVersion:
    """Store the plan as its next version, linked to the meeting that closed it.

    The version is dated when that meeting closed. Each action it holds for the first time
    is marked with its number: a later meeting carries it over.
    """
    number = (session.scalar(select(func.max(PlanVersion.number)).where(
        PlanVersion.plan_id == meeting.plan_id)) or 0) + 1
    frozen_at = meeting.closed_at or utcnow()
    for action in meeting.plan.actions:  # from now on carried over into later meetings
        if action.first_version is None:
            action.first_version = number
    version = PlanVersion(plan_id=meeting.plan_id, meeting_id=meeting.id, number=number,
                          created_at=frozen_at,
                          snapshot=version_snapshot(session, meeting, number, frozen_at))
    session.add(version)
    session.flush()
    return version


def responsible_role(snapshot: dict[str, Any], action: dict[str, Any]) -> str:
    """Return the role of the participant responsible for an action; "" when none is named.

    Versions frozen before actions carried the role are answered from their participants.
    """
    if "responsible_role" in action:
        return action["responsible_role"] or ""
    person_id = action.get("responsible_participant_id")
    person = next((p for p in snapshot.get("participants") or []
                   if person_id is not None and p.get("id") == person_id), None)
    return (person or {}).get("role") or ""


def family_does(snapshot: dict[str, Any], action: dict[str, Any]) -> bool:
    """Tell whether the family does an action itself.

    So it does when a member of the family (a guardian, the child or a relative) is
    responsible for it, or when the family is the action's principal.
    """
    return (action.get("principal") == "family"
            or responsible_role(snapshot, action) in FAMILY_ROLES)


def family_tasks(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the family's tasks in a version, in the plan's order.

    They are the actions the family does itself (`family_does`) and the actions with a part
    written for the child or the family (`family_part`); cancelled actions are left out.
    The family page, the printed plan, the document, the email and the calendar files all
    take the family's tasks from here, so that they never disagree.
    """
    return [a for a in snapshot.get("actions") or []
            if a.get("status") != "cancelled"
            and (family_does(snapshot, a) or (a.get("family_part") or "").strip())]


def meeting_version(session: Session, meeting_id: int) -> PlanVersion | None:
    """Return the version a closed meeting froze, if any."""
    return session.scalar(select(PlanVersion).where(PlanVersion.meeting_id == meeting_id))
