"""The whole state of a live meeting as one reader receives it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from . import fields as F
from .annotations import annotate
from .chair_ops import participant_payload
from .closing_ops import satisfaction_counts
from .db import db_session
from .live import Actor
from .meeting_order import meeting_order
from .models import Meeting, TermExplanation, TermRequest
from .plan_ops import item_payload
from .presence import connected_participants
from .term_ops import explanation_payload, request_payload


def me_payload(meeting: Meeting, actor: Actor, lang: str, view: str = "device") -> dict[str, Any]:
    """Describe the reader: who they are and what they may do."""
    if view == "wall":
        return {"kind": "wall", "can_edit": False, "simple": False, "lang": lang}
    if actor.is_chair:
        return {"kind": "chair", "name": actor.name, "role": "chair", "can_edit": True,
                "simple": False, "lang": lang}
    return {"kind": "participant", "participant_id": actor.id, "name": actor.name,
            "role": actor.role, "can_edit": actor.may_write("plan", "strengths"),
            "simple": actor.role == "child", "lang": lang,
            "satisfaction": (meeting.satisfaction or {}).get(str(actor.id))}


def meeting_payload(meeting: Meeting) -> dict[str, Any]:
    """Describe the meeting itself."""
    return {"id": meeting.id, "plan_id": meeting.plan_id, "status": meeting.status,
            "step": meeting.step, "kind": meeting.kind, "child_name": meeting.plan.child_name,
            "starts_at": meeting.starts_at.isoformat(),
            "questions": F.versioned_values("meeting", meeting)["questions"],
            "spoken": meeting.spoken or {},
            "satisfaction": satisfaction_counts(meeting),
            "no_plan_reason": meeting.no_plan_reason or ""}


def order_payload(kind: str, lang: str) -> list[dict[str, Any]]:
    """Describe the meeting order in the reader's language."""
    out = []
    for step in meeting_order(kind):
        title, summary = step.text(lang)
        out.append({"id": step.id, "title": title, "summary": summary,
                    "sections": list(step.sections)})
    return out


def lobby_snapshot(meeting: Meeting, actor: Actor, lang: str) -> dict[str, Any]:
    """What a participant who waits to be admitted may see."""
    return {"lobby": True, "seq": meeting.seq, "me": me_payload(meeting, actor, lang),
            "meeting": {"id": meeting.id, "status": meeting.status,
                        "child_name": meeting.plan.child_name}}


def snapshot(meeting: Meeting, actor: Actor, lang: str, view: str) -> dict[str, Any]:
    """Return the full state of the meeting for one reader."""
    plan = meeting.plan
    connected = connected_participants(object_session(meeting), meeting.id)
    return {
        "seq": meeting.seq,
        "me": me_payload(meeting, actor, lang, view),
        "meeting": meeting_payload(meeting),
        "order": order_payload(meeting.kind, lang),
        "participants": [participant_payload(p, connected) for p in meeting.participants],
        "plan": {"fields": F.versioned_values("plan", plan)},
        "goals": [item_payload("goal", g) for g in plan.goals],
        "actions": [item_payload("action", a) for a in plan.actions],
        "consents": [item_payload("consent", c) for c in plan.consents],
        "schema": F.describe_schema(),
        "annotations": annotate(meeting, lang),
        "overrides": list(meeting.overrides or []),
        "term_requests": [request_payload(r) for r in _requests(meeting, actor, view)],
        "explanations": [explanation_payload(e) for e in _explanations(meeting)],
    }


def _requests(meeting: Meeting, actor: Actor, view: str) -> list[TermRequest]:
    """Open word requests: all of them for the chair's console, those on the wall for others."""
    query = select(TermRequest).where(TermRequest.meeting_id == meeting.id,
                                      TermRequest.status == "open")
    if not (actor.is_chair and view == "console"):
        query = query.where(TermRequest.on_wall.is_(True))
    return db_session().scalars(query.order_by(TermRequest.id)).all()


def _explanations(meeting: Meeting) -> list[TermExplanation]:
    return db_session().scalars(select(TermExplanation).where(
        TermExplanation.plan_id == meeting.plan_id).order_by(TermExplanation.id)).all()
