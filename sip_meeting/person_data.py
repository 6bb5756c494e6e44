"""One person's data in a plan: everything stored about them (access), and erasing them.

A person is found in a plan by one participant row: that row, and the rows of the plan's
other meetings with the same email address (a follow-up invites the same people again, as
new rows). Rows without an address in other meetings are other rows: the chair erases each.

Erasing keeps the plan's history and versions whole: the rows stay, with their role, their
part in the meeting and their answers, but the name becomes a neutral text in the
installation's language (ERASED_NAME), and the email address, the organisation and the link
go. Wherever the plan's words, versions, audit trail and live log name the person by their
full name or address, that becomes the neutral text too. The caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import fields as F
from .db import utcnow
from .models import (
    AuditEvent,
    Chair,
    Delivery,
    Meeting,
    Operation,
    Participant,
    Plan,
    ReminderSent,
    TermExplanation,
    TermRequest,
)
from .planning import audit
from .retention import MEETING_TEXTS

FORMAT = "sip-meeting/person-data/1"
UNFINISHED = ("open", "live")
# A name shorter than this is replaced only where it is the whole value, never inside a text.
MIN_PHRASE = 3


class ErasureError(ValueError):
    """An erasure that cannot be made now; args[0] is a key of retention_views.ERASE_MESSAGES."""


def erased_name() -> str:
    """The name an erased person is given, in the installation's own language."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _("Erased participant")


def person_rows(session: Session, participant: Participant) -> list[Participant]:
    """Return the person's rows in every meeting of the plan: this one, and the same address."""
    query = select(Participant).join(Meeting, Meeting.id == Participant.meeting_id).where(
        Meeting.plan_id == participant.meeting.plan_id)
    email = participant.email.strip().lower()
    if email:
        query = query.where((Participant.id == participant.id)
                            | (func.lower(func.trim(Participant.email)) == email))
    else:
        query = query.where(Participant.id == participant.id)
    return list(session.scalars(query.order_by(Participant.meeting_id, Participant.id)))


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _names(rows: list[Participant]) -> set[str]:
    return {r.name.strip() for r in rows if r.erased_at is None and r.name.strip()}


def _participation(p: Participant, meeting: Meeting) -> dict[str, Any]:
    return {"participant_id": p.id, "meeting_id": meeting.id, "meeting_kind": meeting.kind,
            "meeting_starts_at": _iso(meeting.starts_at), "meeting_status": meeting.status,
            "name": p.name, "organisation": p.organisation, "email": p.email, "role": p.role,
            "principal": p.principal, "language": p.language, "attendance": p.attendance,
            "invited_at": _iso(p.created_at), "admitted_at": _iso(p.admitted_at),
            "link_issued_at": _iso(p.token_issued_at), "link_stopped_at": _iso(p.token_revoked_at),
            "erased_at": _iso(p.erased_at),
            "satisfaction": (meeting.satisfaction or {}).get(str(p.id))}


def person_data(session: Session, participant: Participant) -> dict[str, Any]:
    """Describe everything the plan stores about one person, as plain JSON-ready data."""
    rows = person_rows(session, participant)
    ids = {r.id for r in rows}
    names = _names(rows)
    plan: Plan = participant.meeting.plan
    meetings = {m.id: m for m in plan.meetings}

    def theirs(action: dict[str, Any]) -> bool:
        return action.get("responsible_participant_id") in ids or \
            str(action.get("responsible") or "").strip() in names

    actions = [F.plain_values("action", a) for a in plan.actions]
    changes = session.scalars(select(AuditEvent).where(
        AuditEvent.actor_kind == "participant", AuditEvent.actor_id.in_(ids),
        AuditEvent.meeting_id.in_(list(meetings))).order_by(AuditEvent.id)).all()
    asked = session.scalars(select(TermRequest).where(
        TermRequest.meeting_id.in_(list(meetings)), TermRequest.asked_by.in_(names))
        .order_by(TermRequest.id)).all() if names else []
    deliveries = session.scalars(select(Delivery).where(Delivery.participant_id.in_(ids))
                                 .order_by(Delivery.id)).all()
    reminders = session.scalars(select(ReminderSent).where(
        ReminderSent.kind == "action",
        ReminderSent.recipient.in_([f"participant:{i}" for i in ids]))
        .order_by(ReminderSent.day, ReminderSent.id)).all()
    versions = []
    for version in plan.versions:
        snapshot = version.snapshot or {}
        named = [p for p in snapshot.get("participants") or [] if p.get("id") in ids]
        responsible = [a for a in snapshot.get("actions") or []
                       if theirs(a) or str(a.get("responsible_name") or "").strip() in names]
        if named or responsible:
            versions.append({"version": version.number, "frozen_at": snapshot.get("frozen_at"),
                             "as_participant": named, "responsible_for": responsible})
    return {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "plan_id": plan.id,
        "participations": [_participation(r, meetings[r.meeting_id]) for r in rows],
        "responsible_for": [a for a in actions if theirs(a)],
        "in_plan_versions": versions,
        "changes_made": [{"at": _iso(e.at), "meeting_id": e.meeting_id, "entity": e.entity,
                          "entity_id": e.entity_id, "field": e.field, "before": e.before,
                          "after": e.after} for e in changes],
        "words_asked_about": [{"meeting_id": r.meeting_id, "word": r.word, "status": r.status,
                               "asked_at": _iso(r.created_at)} for r in asked],
        "plan_sent_by_email": [{"meeting_id": d.meeting_id, "status": d.status,
                                "attempts": d.attempts, "queued_at": _iso(d.created_at),
                                "sent_at": _iso(d.sent_at), "error": d.error}
                               for d in deliveries],
        "reminders_sent": [{"action_id": r.subject_id, "day": _iso(r.day)} for r in reminders],
    }


# -- erasing ------------------------------------------------------------------------------------


def replacer(names: set[str], emails: set[str], marker: str) -> Callable[[Any], Any]:
    """Return a function that puts `marker` wherever a JSON value says a name or an address.

    A whole value equal to one (ignoring case) is replaced; so is a full name or an address
    standing as words inside a longer text. A name shorter than MIN_PHRASE letters is replaced
    only as a whole value: inside texts it would hit other words.
    """
    whole = {v.strip().lower() for v in names | emails if v.strip()}
    phrases = sorted((v.strip() for v in names | emails if len(v.strip()) >= MIN_PHRASE),
                     key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(p)}(?!\w)" for p in phrases),
                         re.IGNORECASE) if phrases else None

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            if value.strip().lower() in whole:
                return marker
            return pattern.sub(marker, value) if pattern is not None else value
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return fix


@dataclass
class Erasure:
    """What an erasure changed: the rows erased (their ids), for closing their sockets."""

    participant_ids: list[int]
    languages: dict[int, str]


def erase_person(session: Session, chair: Chair, participant: Participant) -> Erasure:
    """Erase one person from a plan (see the module's description); raise ErasureError."""
    if participant.erased_at is not None:
        raise ErasureError("already")
    rows = person_rows(session, participant)
    if any(r.meeting.status in UNFINISHED for r in rows):
        raise ErasureError("in_meeting")
    plan: Plan = participant.meeting.plan
    marker = erased_name()
    fix = replacer(_names(rows), {r.email.strip() for r in rows if r.email.strip()}, marker)
    ids = {r.id for r in rows}
    languages = {r.id: r.language for r in rows}
    now = utcnow()
    for row in rows:
        row.name, row.email, row.organisation = marker, "", ""
        if row.token_hash is not None:
            row.token_hash, row.token_revoked_at = None, now
        row.erased_at = now
    _fix_plan_rows(plan, fix)
    for version in plan.versions:
        snapshot = deepcopy(version.snapshot or {})
        for person in snapshot.get("participants") or []:
            if person.get("id") in ids:
                person["name"], person["organisation"] = marker, ""
        for action in snapshot.get("actions") or []:
            if action.get("responsible_participant_id") in ids:
                action["responsible_name"] = marker
        child = snapshot.get("child_name")
        snapshot = fix(snapshot)
        if child is not None:  # the plan's subject keeps the name the plan has
            snapshot["child_name"] = child
        version.snapshot = snapshot
    meeting_ids = [m.id for m in plan.meetings]
    _fix_log(session, plan.id, meeting_ids, ids, marker, fix)
    for request in session.scalars(select(TermRequest).where(
            TermRequest.meeting_id.in_(meeting_ids))):
        if request.asked_by is not None and fix(request.asked_by) != request.asked_by:
            request.asked_by = None
        request.word = fix(request.word)
    for explanation in session.scalars(select(TermExplanation).where(
            TermExplanation.plan_id == plan.id)):
        explanation.word, explanation.text = fix(explanation.word), fix(explanation.text)
    for delivery in session.scalars(select(Delivery).where(Delivery.participant_id.in_(ids))):
        delivery.error = fix(delivery.error)
    audit(session, chair, "participant", participant.id, "erased", None, True,
          plan_id=plan.id, meeting_id=participant.meeting_id)
    session.flush()
    return Erasure(sorted(ids), languages)


def _fix_plan_rows(plan: Plan, fix: Callable[[Any], Any]) -> None:
    """Replace the person in the plan's words: its fields, goals, actions, consents, meetings."""
    for entity, rows in (("plan", [plan]), ("goal", plan.goals), ("action", plan.actions),
                         ("consent", plan.consents)):
        texts = [name for name, field in F.SCHEMA[entity].items()
                 if field.type in ("text", "line")]
        for row in rows:
            for name in texts:
                value = getattr(row, name)
                if value and fix(value) != value:
                    setattr(row, name, fix(value))
    for meeting in plan.meetings:
        for name in MEETING_TEXTS:
            value = getattr(meeting, name)
            if value and fix(value) != value:
                setattr(meeting, name, fix(value))
        overrides = fix(list(meeting.overrides or []))
        if overrides != list(meeting.overrides or []):
            meeting.overrides = overrides


def _fix_log(session: Session, plan_id: int, meeting_ids: list[int], ids: set[int],
             marker: str, fix: Callable[[Any], Any]) -> None:
    """Replace the person in the plan's audit trail and its meetings' live log."""
    for event in session.scalars(select(AuditEvent).where(
            (AuditEvent.plan_id == plan_id) | AuditEvent.meeting_id.in_(meeting_ids))):
        if event.actor_kind == "participant" and event.actor_id in ids:
            event.actor_name = marker
        elif event.actor_name and fix(event.actor_name) != event.actor_name:
            event.actor_name = marker
        for side in ("before", "after"):
            value = getattr(event, side)
            if value is not None and fix(value) != value:
                setattr(event, side, fix(value))
    for op in session.scalars(select(Operation).where(Operation.meeting_id.in_(meeting_ids))):
        event, result = fix(op.event), fix(op.result)
        if event != op.event:
            op.event = event
        if result != op.result:
            op.result = result
