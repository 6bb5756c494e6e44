"""How long a plan's personal data is kept, and the purge that deletes it when that time is over.

The rule (docs/decisions/0023, docs/data-protection.md):

- A plan has **ended** when it is closed (`Plan.closed_at`), or when its last meeting (the
  latest by start) is closed and no meeting of it is open or in progress. A plan in use is
  never purged, however old.
- Its **last activity** is the latest of the plan's close and its meetings' starts and
  closes, as a day in Swedish time.
- The organisation keeps an ended plan through the day `retention_months` calendar months
  after that day (31 March + 1 month keeps it through 30 April). A chair may keep it longer,
  through a day of their choosing (`Plan.retain_until`, with a reason); an extension never
  shortens the period. The plan is **due** from the day after the later of the two.
- A due plan is purged only when every version it froze has been exported for the
  organisation's records (`PlanVersion.exported_at`), unless the organisation's policy says
  to purge unexported plans too (`Organisation.purge_unexported`).

`assess` decides from plain facts (no database), so that the rule can be read and tested as a
table; `purge_plan` removes what identifies anyone and keeps what the statistics count.
The caller commits, one plan per transaction.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, null, or_, select, update
from sqlalchemy.orm import Session, selectinload

from . import fields as F
from .db import utcnow
from .models import (
    AuditEvent,
    Delivery,
    Meeting,
    Operation,
    Organisation,
    Plan,
    PlanVersion,
    ReminderSent,
    TermExplanation,
    TermRequest,
)
from .planning import STOCKHOLM
from .rules import Rules
from .stats import condition_facts

log = logging.getLogger(__name__)

# What a purged text becomes. Empty stays empty, so that "was anything written here?", which
# the statistics ask of the child's voice and of a condition's fallback, keeps its answer.
MARKER = "—"
# How far ahead a chair may keep a plan, and how long their reason may be.
MAX_EXTENSION_YEARS = 5
MAX_REASON = 1000
UNFINISHED = ("open", "live")

# The verdicts, in the order a plan passes through them.
IN_USE, KEPT, EXTENDED, UNEXPORTED, DUE, PURGED = (
    "in_use", "kept", "extended", "unexported", "due", "purged")


@dataclass(frozen=True)
class MeetingFacts:
    """What the rule reads of one meeting."""

    id: int
    status: str
    starts_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True)
class PlanFacts:
    """What the rule reads of one plan: its close, meetings, extension and versions."""

    plan_id: int
    closed_at: datetime | None = None
    meetings: tuple[MeetingFacts, ...] = ()
    retain_until: date | None = None
    # (version number, exported?)
    versions: tuple[tuple[int, bool], ...] = ()
    purged_at: datetime | None = None


@dataclass(frozen=True)
class Policy:
    """The organisation's retention settings."""

    retention_months: int = 24
    purge_unexported: bool = False


@dataclass(frozen=True)
class Assessment:
    """What the rule says of one plan on one day."""

    plan_id: int
    verdict: str
    last_activity: date | None = None
    # The last day the organisation's period keeps the plan, and the last day it is kept
    # at all (a chair's extension may be later); None while the plan is in use.
    period_ends: date | None = None
    kept_until: date | None = None
    retain_until: date | None = None
    # Versions never exported, by number.
    unexported: tuple[int, ...] = ()
    # Due although some version was never exported: the organisation's policy allows it.
    by_policy: bool = False

    @property
    def due(self) -> bool:
        """Tell whether the plan is to be purged now."""
        return self.verdict == DUE

    @property
    def purge_on(self) -> date | None:
        """The first day the plan may be purged."""
        return self.kept_until + timedelta(days=1) if self.kept_until else None


def add_months(day: date, months: int) -> date:
    """Return the same day `months` calendar months later, or that month's last day."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _local_day(moment: datetime) -> date:
    return moment.astimezone(STOCKHOLM).date()


def has_ended(facts: PlanFacts) -> bool:
    """Tell whether a plan is closed, or its last meeting closed with none still to come."""
    if facts.closed_at is not None:
        return True
    if not facts.meetings or any(m.status in UNFINISHED for m in facts.meetings):
        return False
    last = max(facts.meetings, key=lambda m: (m.starts_at, m.id))
    return last.status == "closed"


def last_activity(facts: PlanFacts) -> date | None:
    """The day of the plan's latest close or meeting, in Swedish time."""
    moments = [m for m in (facts.closed_at, *(x.starts_at for x in facts.meetings),
                           *(x.closed_at for x in facts.meetings)) if m is not None]
    return _local_day(max(moments)) if moments else None


def assess(facts: PlanFacts, policy: Policy, today: date) -> Assessment:
    """Decide what the retention rule says of a plan today (see the module's description)."""
    unexported = tuple(sorted(n for n, exported in facts.versions if not exported))
    if facts.purged_at is not None:
        return Assessment(facts.plan_id, PURGED)
    last = last_activity(facts)
    if not has_ended(facts) or last is None:
        return Assessment(facts.plan_id, IN_USE, last, retain_until=facts.retain_until,
                          unexported=unexported)
    period_ends = add_months(last, max(int(policy.retention_months), 0))
    kept_until = max(period_ends, facts.retain_until or period_ends)
    found = dict(plan_id=facts.plan_id, last_activity=last, period_ends=period_ends,
                 kept_until=kept_until, retain_until=facts.retain_until, unexported=unexported)
    if today <= period_ends:
        return Assessment(verdict=KEPT, **found)
    if today <= kept_until:
        return Assessment(verdict=EXTENDED, **found)
    if unexported and not policy.purge_unexported:
        return Assessment(verdict=UNEXPORTED, **found)
    return Assessment(verdict=DUE, by_policy=bool(unexported), **found)


# -- reading plans ------------------------------------------------------------------------------


def facts_of(plan: Plan) -> PlanFacts:
    """Read the facts the rule needs from a plan."""
    return PlanFacts(
        plan_id=plan.id, closed_at=plan.closed_at, retain_until=plan.retain_until,
        purged_at=plan.purged_at,
        meetings=tuple(MeetingFacts(m.id, m.status, m.starts_at, m.closed_at)
                       for m in plan.meetings),
        versions=tuple((v.number, v.exported_at is not None) for v in plan.versions))


def policy_of(organisation: Organisation | None) -> Policy:
    """Read an organisation's retention settings (the defaults without one)."""
    if organisation is None:
        return Policy()
    return Policy(organisation.retention_months, bool(organisation.purge_unexported))


def assess_plan(session: Session, plan: Plan, today: date) -> Assessment:
    """Decide what the retention rule says of one plan today."""
    return assess(facts_of(plan), policy_of(session.get(Organisation, plan.organisation_id)),
                  today)


@dataclass(frozen=True)
class Listed:
    """A plan's assessment with its organisation, as a run of the purge lists it."""

    assessment: Assessment
    organisation_id: int
    organisation: str  # the organisation's short name


def assess_all(session: Session, today: date) -> list[Listed]:
    """Assess every plan not yet purged, by plan number."""
    organisations = {o.id: o for o in session.scalars(select(Organisation))}
    plans = session.scalars(
        select(Plan).where(Plan.purged_at.is_(None)).order_by(Plan.id)
        .options(selectinload(Plan.meetings), selectinload(Plan.versions))).all()
    out = []
    for plan in plans:
        organisation = organisations.get(plan.organisation_id)
        out.append(Listed(assess(facts_of(plan), policy_of(organisation), today),
                          plan.organisation_id,
                          organisation.slug if organisation else str(plan.organisation_id)))
    return out


def local_today() -> date:
    """Today in Swedish time, the day the rule is applied on."""
    return datetime.now(STOCKHOLM).date()


# -- export before purge ------------------------------------------------------------------------


# The exports that count as a copy for the organisation's records (a calendar file does not).
RECORD_FORMATS = ("docx", "json", "fhir")


def mark_exported(session: Session, version_id: int) -> None:
    """Record the first time a closed version was exported for the organisation's records."""
    session.execute(update(PlanVersion).where(PlanVersion.id == version_id,
                                              PlanVersion.exported_at.is_(None))
                    .values(exported_at=utcnow()))


# -- the purge ----------------------------------------------------------------------------------

# Values of a version that are codes, dates and times rather than anyone's words: the purge
# keeps them, since the statistics count by them. Every other text of a version is replaced.
CODE_KEYS = frozenset(
    {name for fields in F.SCHEMA.values() for name, field in fields.items()
     if field.type in ("choice", "date")}
    | {"format", "frozen_at", "starts_at", "started_at", "closed_at", "at", "kind", "role",
       "principal", "language", "attendance", "status", "rule", "term_id", "responsible_role"})
# Texts of a meeting row (besides the live field `questions`).
MEETING_TEXTS = ("place", "video_link", "purpose", "questions", "prepare", "no_plan_reason")
PLAN_TEXTS = ("closure_reason", "retain_reason")


def blank(value: str | None) -> str:
    """What the purge leaves of a text: the marker for words, nothing for nothing."""
    return MARKER if (value or "").strip() else ""


def scrub(value: Any, key: str = "") -> Any:
    """Replace every text of a JSON value with the marker, except codes and dates (CODE_KEYS)."""
    if isinstance(value, str):
        return value if key in CODE_KEYS else blank(value)
    if isinstance(value, dict):
        return {k: scrub(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, key) for v in value]
    return value


def _text_fields(entity: str) -> list[str]:
    return [name for name, field in F.SCHEMA[entity].items() if field.type in ("text", "line")]


def _date_fields(entity: str) -> list[str]:
    return [name for name, field in F.SCHEMA[entity].items() if field.type == "date"]


def _scrub_rows(rows: Iterable[Any], entity: str, extra: Iterable[str] = ()) -> None:
    """Blank a plan's rows' texts and clear their dates (the versions keep the dates)."""
    texts, dates = [*_text_fields(entity), *extra], _date_fields(entity)
    for row in rows:
        for name in texts:
            setattr(row, name, blank(getattr(row, name)))
        for name in dates:
            setattr(row, name, None)


def _scrub_versions(session: Session, plan: Plan, rules: Rules) -> None:
    """Replace a plan's frozen versions' texts, keeping what the statistics read of them.

    The statistics ask of an action's words whether they held a condition, at the close and
    during the meeting (the audit trail); that answer is kept in the version as flags
    (stats.condition_facts) before the words go.
    """
    for version in plan.versions:
        facts = condition_facts(session, version, rules)
        snapshot = scrub(version.snapshot or {})
        for action in snapshot.get("actions") or []:
            action.update(facts.get(action.get("id"), {}))
        version.snapshot = snapshot


def purge_plan(session: Session, plan_id: int, today: date, rules: Rules) -> Assessment:
    """Purge one plan's personal data if the rule says it is due today; return the verdict.

    The plan is read afresh (and locked, on PostgreSQL), so that a chair's extension made
    since the plan was listed is respected. Nothing is changed unless the verdict is DUE.
    """
    plan = session.get(Plan, plan_id, with_for_update=True, populate_existing=True)
    if plan is None:
        return Assessment(plan_id, PURGED)
    verdict = assess_plan(session, plan, today)
    if not verdict.due:
        return verdict
    meeting_ids = [m.id for m in plan.meetings]
    # The versions first: their flags are read from the audit trail, which goes next.
    _scrub_versions(session, plan, rules)
    now = utcnow()
    plan.child_name = MARKER
    _scrub_rows([plan], "plan", PLAN_TEXTS)
    _scrub_rows(plan.goals, "goal")
    _scrub_rows(plan.actions, "action")
    _scrub_rows(plan.consents, "consent")
    for meeting in plan.meetings:
        for name in MEETING_TEXTS:
            setattr(meeting, name, blank(getattr(meeting, name)))
        meeting.overrides = scrub(list(meeting.overrides or []))
        for person in meeting.participants:
            person.name, person.email, person.organisation = MARKER, "", ""
            if person.token_hash is not None and person.token_revoked_at is None:
                # The hash stays, so that the link says the plan was purged.
                person.token_revoked_at = now
    action_ids = [a.id for a in plan.actions]
    in_plan = or_(AuditEvent.plan_id == plan.id, AuditEvent.meeting_id.in_(meeting_ids))
    session.execute(update(AuditEvent).where(in_plan).values(
        before=null(), after=null(), actor_name=""))
    # An explanation's entry names its word where other entries name a field.
    session.execute(update(AuditEvent).where(in_plan, AuditEvent.entity == "explanation")
                    .values(field=MARKER))
    if meeting_ids:
        session.execute(update(Operation).where(Operation.meeting_id.in_(meeting_ids))
                        .values(event={}, result={}))
        session.execute(update(TermRequest).where(TermRequest.meeting_id.in_(meeting_ids))
                        .values(word=MARKER, asked_by=None))
        session.execute(update(Delivery).where(Delivery.meeting_id.in_(meeting_ids))
                        .values(error=""))
    session.execute(update(TermExplanation).where(TermExplanation.plan_id == plan.id)
                    .values(word=MARKER, text=MARKER))
    if action_ids:
        session.execute(delete(ReminderSent).where(ReminderSent.kind == "action",
                                                   ReminderSent.subject_id.in_(action_ids)))
    plan.purged_at = now
    session.flush()
    log.info("purged the personal data of plan %s", plan.id)
    return verdict


def plan_meeting_ids(session: Session, plan_id: int) -> list[int]:
    """Return the ids of a plan's meetings."""
    return list(session.scalars(select(Meeting.id).where(Meeting.plan_id == plan_id)))

