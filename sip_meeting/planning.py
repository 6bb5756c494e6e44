"""Operations that set up plans, meetings and participants.

Each function changes objects and flushes; the caller commits with ``atomic()``.
Every change is written to the audit history.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from .db import Precompiled, utcnow
from .models import AuditEvent, Chair, Meeting, Participant, Plan
from .security import hash_token, new_token

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MAX_PARTICIPANTS = 40


class SetupError(ValueError):
    """A setup change that cannot be made; the message is shown to the chair."""


_RECORD_AUDIT = Precompiled.insert_into(
    AuditEvent.__table__, "plan_id", "meeting_id", "at", "actor_kind", "actor_id", "actor_name",
    "entity", "entity_id", "field", "before", "after")
# One person's edits of one field, each within this long of the last, are one entry: someone
# writing a paragraph pauses (and so saves) every few seconds, and the trail should say who
# changed the text from what to what, not hold a row per pause. The op log keeps every step.
AUDIT_MERGE_WINDOW = timedelta(seconds=60)
# The latest entry of an entity's field, found through the index on (entity, entity_id).
_LATEST_AUDIT = Precompiled(
    select(AuditEvent.id, AuditEvent.actor_kind, AuditEvent.actor_id, AuditEvent.at)
    .where(AuditEvent.entity == bindparam("entity"),
           AuditEvent.entity_id == bindparam("entity_id"),
           AuditEvent.field == bindparam("field"))
    .order_by(AuditEvent.id.desc()).limit(1))
_EXTEND_AUDIT = Precompiled(
    update(AuditEvent.__table__).where(AuditEvent.id == bindparam("audit_id"))
    .values(after=bindparam("after"), at=bindparam("at")))


def audit(session: Session, actor: Chair | Participant | None, entity: str, entity_id: int | None,
          field: str = "", before: Any = None, after: Any = None, *, plan_id: int | None = None,
          meeting_id: int | None = None, merge: bool = False) -> None:
    """Record one change in the audit history.

    With `merge` (a field's edit), an edit that follows the same person's last edit of the
    same field within AUDIT_MERGE_WINDOW extends that entry instead: it keeps its `before`
    and takes this `after` and time. Anyone else's edit of the field in between starts anew.
    """
    if actor is None:
        kind = "system"
    else:  # a Chair, a Participant, or the live Actor of either
        kind = "chair" if isinstance(actor, Chair) or getattr(actor, "is_chair", False) \
            else "participant"
    # An insert of its own (after flushing what it may refer to) rather than the unit of work:
    # a live edit writes one of these every time someone types.
    session.flush()
    now = utcnow()
    if merge and actor is not None and entity_id is not None:
        latest = _LATEST_AUDIT.first(session, {"entity": entity, "entity_id": entity_id,
                                               "field": field})
        if latest is not None and (latest.actor_kind, latest.actor_id) == (kind, actor.id) \
                and now - latest.at <= AUDIT_MERGE_WINDOW:
            _EXTEND_AUDIT.execute(session, {"audit_id": latest.id, "after": after, "at": now})
            return
    _RECORD_AUDIT.execute(session, dict(
        plan_id=plan_id, meeting_id=meeting_id, at=now, actor_kind=kind,
        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "name", "") or "",
        entity=entity, entity_id=entity_id, field=field, before=before, after=after,
    ))


def ends_at(starts_at: datetime, minutes: int | None) -> datetime:
    """When a meeting that starts then and lasts so many minutes ends.

    A start stored before meeting dates were checked can lie so late that its end passes the
    calendar's last day: it ends there, so that no page or file fails on it.
    """
    try:
        return starts_at + timedelta(minutes=minutes or 0)
    except OverflowError:
        return datetime.max.replace(tzinfo=starts_at.tzinfo)


def local_to_utc(day: date, at: time) -> datetime:
    """Interpret a date and time given in Swedish local time."""
    return datetime.combine(day, at, tzinfo=STOCKHOLM).astimezone(ZoneInfo("UTC"))


def create_plan(session: Session, chair: Chair, child_name: str) -> Plan:
    """Start a new plan for a child, named by first name or alias."""
    plan = Plan(chair=chair, child_name=child_name.strip())
    session.add(plan)
    session.flush()
    audit(session, chair, "plan", plan.id, "child_name", None, plan.child_name, plan_id=plan.id)
    return plan


MEETING_FIELDS = ("duration_minutes", "place", "video_link", "purpose", "questions", "prepare")


def schedule_meeting(session: Session, chair: Chair, plan: Plan, starts_at: datetime,
                     **details: Any) -> Meeting:
    """Schedule a meeting for a plan; a plan's later meetings are follow-ups."""
    kind = "followup" if plan.meetings else "first"
    meeting = Meeting(plan=plan, chair_id=chair.id, kind=kind, starts_at=starts_at)
    _apply_details(meeting, details)
    session.add(meeting)
    session.flush()
    audit(session, chair, "meeting", meeting.id, "scheduled", None,
          meeting.starts_at.isoformat(), plan_id=plan.id, meeting_id=meeting.id)
    return meeting


def update_meeting(session: Session, chair: Chair, meeting: Meeting, starts_at: datetime,
                   **details: Any) -> None:
    """Change a meeting's time, place and purpose."""
    if meeting.status == "closed":
        raise SetupError("closed")
    before = {"starts_at": meeting.starts_at.isoformat(),
              **{k: getattr(meeting, k) for k in MEETING_FIELDS}}
    meeting.starts_at = starts_at
    _apply_details(meeting, details)
    after = {"starts_at": starts_at.isoformat(), **{k: getattr(meeting, k) for k in MEETING_FIELDS}}
    changed = {k for k in after if after[k] != before[k]}
    for key in sorted(changed):
        audit(session, chair, "meeting", meeting.id, key, before[key], after[key],
              plan_id=meeting.plan_id, meeting_id=meeting.id)
        if key in ("questions", "purpose"):
            meeting.bump_version(key)
    session.flush()


def _apply_details(meeting: Meeting, details: dict[str, Any]) -> None:
    for key in MEETING_FIELDS:
        if key in details:
            value = details[key]
            setattr(meeting, key, value.strip() if isinstance(value, str) else value)


def add_participant(session: Session, chair: Chair, meeting: Meeting, **fields: Any) -> Participant:
    """Invite a person to a meeting; their join link is issued separately."""
    if meeting.status == "closed":
        raise SetupError("closed")
    if len(meeting.participants) >= MAX_PARTICIPANTS:
        raise SetupError("too_many")
    position = session.scalar(
        select(func.coalesce(func.max(Participant.position), 0)).where(
            Participant.meeting_id == meeting.id)
    ) + 1
    participant = Participant(meeting=meeting, position=position,
                              **{k: (v.strip() if isinstance(v, str) else v)
                                 for k, v in fields.items()})
    session.add(participant)
    session.flush()
    audit(session, chair, "participant", participant.id, "added", None,
          {"role": participant.role, "principal": participant.principal},
          plan_id=meeting.plan_id, meeting_id=meeting.id)
    return participant


def remove_participant(session: Session, chair: Chair, participant: Participant
                       ) -> list[dict[str, Any]]:
    """Remove an invited person; their link stops working with them.

    Actions they were responsible for keep their text but no longer name them; the cleared
    fields are returned as changes for the live meeting to broadcast.
    """
    meeting = participant.meeting
    if meeting.status == "closed":
        raise SetupError("closed")
    changes = []
    for action in meeting.plan.actions:
        if action.responsible_participant_id == participant.id:
            action.responsible_participant_id = None
            changes.append({"entity": "action", "id": action.id,
                            "field": "responsible_participant_id", "value": None,
                            "version": action.bump_version("responsible_participant_id")})
            audit(session, chair, "action", action.id, "responsible_participant_id",
                  participant.id, None, plan_id=meeting.plan_id, meeting_id=meeting.id)
    audit(session, chair, "participant", participant.id, "removed",
          {"role": participant.role, "principal": participant.principal}, None,
          plan_id=meeting.plan_id, meeting_id=meeting.id)
    session.delete(participant)
    session.flush()
    return changes


def issue_link(session: Session, chair: Chair | None, participant: Participant,
               token: str | None = None) -> str:
    """Give a participant a new join link, replacing any earlier one, and return its token."""
    if token is None:
        token, token_hash = new_token()
    else:
        token_hash = hash_token(token)
    had_link = participant.token_hash is not None
    participant.token_hash = token_hash
    participant.token_issued_at = utcnow()
    participant.token_revoked_at = None
    audit(session, chair, "participant", participant.id, "link",
          "replaced" if had_link else None, "issued",
          plan_id=participant.meeting.plan_id, meeting_id=participant.meeting_id)
    session.flush()
    return token


def revoke_link(session: Session, chair: Chair, participant: Participant) -> None:
    """Stop a participant's join link from working."""
    participant.token_revoked_at = utcnow()
    audit(session, chair, "participant", participant.id, "link", "issued", "revoked",
          plan_id=participant.meeting.plan_id, meeting_id=participant.meeting_id)
    session.flush()


PARTICIPANT_FIELDS = ("name", "organisation", "role", "principal", "email", "language")
REVIEW_FIELDS = ("review_outcome", "review_comment", "condition_review")


def latest_meeting(plan: Plan) -> Meeting | None:
    """Return the plan's most recent meeting."""
    return max(plan.meetings, key=lambda m: (m.starts_at, m.id), default=None)


def schedule_followup(session: Session, chair: Chair, plan: Plan, starts_at: datetime,
                      **details: Any) -> tuple[Meeting, list[tuple[Participant, str]]]:
    """Schedule the follow-up of a closed plan, carrying its participants over with new links.

    The plan's actions keep their responsible people (now this meeting's participants) and
    their review starts empty.
    """
    previous = latest_meeting(plan)
    if previous is None or previous.status != "closed":
        raise SetupError("not_closed")
    meeting = schedule_meeting(session, chair, plan, starts_at, **details)
    links, renamed = [], {}
    for old in previous.participants:
        new = add_participant(session, chair, meeting,
                              **{k: getattr(old, k) for k in PARTICIPANT_FIELDS})
        links.append((new, issue_link(session, chair, new)))
        renamed[old.id] = new.id
    for action in plan.actions:
        if action.responsible_participant_id in renamed:
            action.responsible_participant_id = renamed[action.responsible_participant_id]
        for name in REVIEW_FIELDS:
            if getattr(action, name):
                setattr(action, name, "")
                action.bump_version(name)
    if plan.review_situation_change:
        plan.review_situation_change = ""
        plan.bump_version("review_situation_change")
    session.flush()
    return meeting, links


FOLLOWUP_SOON_DAYS = 14
OPEN_STATUSES = ("planned", "decided", "ongoing")


def followups_due(plans: list[Plan], today: date) -> list[tuple[Plan, date]]:
    """Return closed plans whose follow-up date is near or past and not yet booked."""
    due = []
    for plan in plans:
        last = latest_meeting(plan)
        if last is not None and last.status == "closed" and plan.followup_date is not None \
                and (plan.followup_date - today).days <= FOLLOWUP_SOON_DAYS:
            due.append((plan, plan.followup_date))
    return sorted(due, key=lambda pair: pair[1])


def overdue_actions(plans: list[Plan], today: date) -> list[tuple[Plan, Any]]:
    """Return open actions whose date has passed, oldest first."""
    found = []
    for plan in plans:
        for action in plan.actions:
            when = action.due_date or action.decision_date
            if action.status in OPEN_STATUSES and when is not None and when < today:
                found.append((plan, action))
    return sorted(found, key=lambda pair: pair[1].due_date or pair[1].decision_date)
