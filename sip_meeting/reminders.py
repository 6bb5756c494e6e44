"""Daily reminders: actions due within a week or overdue, and each chair's summary of their plans.

A plan is reminded about when no meeting of it is in progress and at least one has closed:
the actions then are the ones agreed. A follow-up that is booked but not yet held does not
stop the reminders; they matter most while people wait for it.

Each reminder is claimed in the ledger (ReminderSent) and committed *before* the email goes
out. Two runs on the same day, even at the same moment, therefore never send the same
reminder twice: the unique constraint lets only one of them claim it. If sending fails the
claim is withdrawn, so a later run that day tries again. If the process dies between the
claim and the send, that day's reminder is lost; an overdue action is reminded again the next
day. A missed reminder costs less than a doubled one, which teaches people to ignore them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from .calendars import plain
from .db import atomic, db_session
from .i18n import format_local_date
from .mailer import MailError, send_message
from .models import Action, Chair, Meeting, Participant, Plan, ReminderSent

log = logging.getLogger(__name__)

WINDOW = timedelta(days=7)
OPEN_STATUSES = ("planned", "decided", "ongoing")


@dataclass
class Item:
    """One action to remind about, with the date it is judged by."""

    action: Action
    day: date
    kind: str  # "due" or "decision"


@dataclass
class Email:
    """One reminder email: to whom, in which language, and the ledger rows it claims."""

    kind: str  # "action" or "chair_summary"
    to: str
    name: str
    lang: str
    claims: list[tuple[int, str]]  # (subject id, recipient key)
    items: list[Item] = field(default_factory=list)
    plans: list[tuple[Plan, list[Item]]] = field(default_factory=list)


@dataclass
class Report:
    """What a run sent (or would send), by ids only."""

    action_emails: int = 0
    action_ids: list[int] = field(default_factory=list)
    chair_ids: list[int] = field(default_factory=list)
    failed_action_ids: list[int] = field(default_factory=list)
    failed_chair_ids: list[int] = field(default_factory=list)


def remindable_plans():
    """Select the plans whose agreed actions may be reminded about."""
    closed = aliased(Meeting)
    live = aliased(Meeting)
    return (select(Plan.id).where(
        Plan.closed_at.is_(None),
        exists().where(closed.plan_id == Plan.id, closed.status == "closed"),
        ~exists().where(live.plan_id == Plan.id, live.status == "live")))


def due_items(session: Session, today: date) -> list[Item]:
    """Return open actions of remindable plans due within a week or overdue, soonest first."""
    horizon = today + WINDOW
    actions = session.scalars(select(Action).where(
        Action.plan_id.in_(remindable_plans()), Action.status.in_(OPEN_STATUSES),
        or_(Action.due_date <= horizon,
            and_(Action.due_date.is_(None), Action.decision_date <= horizon))))
    items = [Item(a, a.due_date or a.decision_date, "due" if a.due_date else "decision")
             for a in actions]
    return sorted(items, key=lambda i: (i.day, i.action.id))


def _language(lang: str | None) -> str:
    config = current_app.config
    return lang if lang in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def _reminded_this_week(session: Session, today: date) -> set[tuple[int, str]]:
    rows = session.execute(select(ReminderSent.subject_id, ReminderSent.recipient).where(
        ReminderSent.kind == "action", ReminderSent.day >= today - WINDOW,
        ReminderSent.day < today))
    return {(subject, recipient) for subject, recipient in rows}


def action_emails(session: Session, items: list[Item], today: date) -> list[Email]:
    """Group due actions into one email per responsible person's address.

    An action not yet due is reminded once in the week before its date; an overdue one every
    day until it is done, cancelled or given a new date.
    """
    reminded = _reminded_this_week(session, today)
    emails: dict[str, Email] = {}
    for item in items:
        person = session.get(Participant, item.action.responsible_participant_id) \
            if item.action.responsible_participant_id else None
        if person is None or not person.email.strip():
            continue
        claim = (item.action.id, f"participant:{person.id}")
        if item.day >= today and claim in reminded:
            continue
        address = person.email.strip().lower()
        email = emails.setdefault(address, Email("action", person.email.strip(), person.name,
                                                 _language(person.language), []))
        email.claims.append(claim)
        email.items.append(item)
    return list(emails.values())


def chair_emails(session: Session, items: list[Item], today: date) -> list[Email]:
    """Build one summary per chair: follow-ups due or overdue, and overdue actions."""
    overdue: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        if item.day < today:
            overdue[item.action.plan_id].append(item)
    plans = session.scalars(select(Plan).where(
        Plan.id.in_(remindable_plans()),
        or_(Plan.followup_date <= today + WINDOW, Plan.id.in_(list(overdue))))
        .order_by(Plan.chair_id, Plan.followup_date, Plan.id)).all()
    emails: dict[int, Email] = {}
    for plan in plans:
        chair: Chair = plan.chair
        # Someone whose account was deactivated has left: their plans wait for a hand-over.
        if not chair.email or not chair.active:
            continue
        email = emails.setdefault(chair.id, Email(
            "chair_summary", chair.email, chair.name, _language(chair.locale),
            [(chair.id, f"chair:{chair.id}")]))
        email.plans.append((plan, overdue.get(plan.id, [])))
    return list(emails.values())


def _line(item: Item, today: date, with_child: bool) -> str:
    what = plain(item.action.what, one_line=True) or _("(no description)")
    when = format_local_date(item.day)
    if item.day < today:
        text = _("%(what)s: should have been done by %(date)s", what=what, date=when)
    elif item.kind == "decision":
        text = _("%(what)s: a decision is expected by %(date)s", what=what, date=when)
    else:
        text = _("%(what)s: to be done by %(date)s", what=what, date=when)
    if with_child:
        child = _child_name(item.action.plan_id)
        text += " " + _("(SIP for %(child)s)", child=child)
    return "- " + text


def _child_name(plan_id: int) -> str:
    return plain(db_session().get(Plan, plan_id).child_name, one_line=True)


def compose_action_email(email: Email, today: date) -> tuple[str, str]:
    """Write the reminder to a responsible person, in the current locale."""
    plan_ids = {i.action.plan_id for i in email.items}
    several = len(plan_ids) > 1
    subject = (_("Reminder: your actions in SIP plans") if several else
               _("Reminder: your actions in the SIP plan for %(child)s",
                 child=_child_name(next(iter(plan_ids)))))
    lines = [_("Hello %(name)s,", name=plain(email.name, one_line=True)), "",
             _("This is a reminder of what you are responsible for in a SIP plan:"), ""]
    lines += [_line(item, today, several) for item in email.items]
    lines += ["", _("If it is already done, or if something is in the way, tell the person who "
                    "follows the plan."),
              _("If you do not have the plan at hand, ask the person who follows the plan "
                "for a copy."),
              "", _("You get this reminder once a day while an action is overdue.")]
    return subject, "\n".join(lines) + "\n"


def compose_chair_email(email: Email, today: date) -> tuple[str, str]:
    """Write a chair's summary of the plans that need attention, in the current locale."""
    lines = [_("Hello %(name)s,", name=plain(email.name, one_line=True)), "",
             _("These SIP plans need your attention:")]
    for plan, overdue in email.plans:
        lines += ["", _("SIP for %(child)s:", child=plain(plan.child_name, one_line=True))]
        if plan.followup_date and plan.followup_date < today:
            lines.append("- " + _("The follow-up was due on %(date)s.",
                                  date=format_local_date(plan.followup_date)))
        elif plan.followup_date and plan.followup_date <= today + WINDOW:
            lines.append("- " + _("The follow-up is due on %(date)s.",
                                  date=format_local_date(plan.followup_date)))
        lines += [_line(item, today, False) for item in overdue]
    if current_app.config.get("PUBLIC_URL"):
        lines += ["", _("Log in to follow up the plans: %(url)s",
                        url=current_app.config["PUBLIC_URL"])]
    return _("SIP plans that need your attention"), "\n".join(lines) + "\n"


def _taken(session: Session, kind: str, today: date) -> set[tuple[int, str]]:
    """Return the reminders of one kind already recorded today."""
    rows = session.execute(select(ReminderSent.subject_id, ReminderSent.recipient).where(
        ReminderSent.kind == kind, ReminderSent.day == today))
    return {(subject, recipient) for subject, recipient in rows}


def _claim(kind: str, claims: list[tuple[int, str]], today: date) -> list[tuple[int, str]]:
    """Record reminders as sent, in a transaction of their own; return the ones now claimed."""
    for _attempt in range(2):
        taken = _taken(db_session(), kind, today)
        fresh = [c for c in claims if c not in taken]
        if not fresh:
            return []
        try:
            with atomic() as session:
                session.add_all(ReminderSent(kind=kind, subject_id=subject, recipient=recipient,
                                             day=today) for subject, recipient in fresh)
            return fresh
        except IntegrityError:  # another run claimed some of them at this moment
            continue
    return []


def _release(kind: str, claims: list[tuple[int, str]], today: date) -> None:
    """Withdraw claims whose email could not be sent, so a later run may try again."""
    with atomic() as session:
        for subject, recipient in claims:
            session.execute(delete(ReminderSent).where(
                ReminderSent.kind == kind, ReminderSent.subject_id == subject,
                ReminderSent.recipient == recipient, ReminderSent.day == today))


def _narrow(email: Email, claims: list[tuple[int, str]]) -> None:
    """Keep in an action email only the actions it has claimed."""
    if email.kind == "action":
        ids = {subject for subject, _r in claims}
        email.items = [i for i in email.items if i.action.id in ids]
    email.claims = claims


def send_reminders(today: date, dry_run: bool = False) -> Report:
    """Send today's reminders that have not gone out yet; with dry_run only report them."""
    session = db_session()
    items = due_items(session, today)
    emails = action_emails(session, items, today) + chair_emails(session, items, today)
    report = Report()
    for email in emails:
        if dry_run:
            taken = _taken(session, email.kind, today)
            claims = [c for c in email.claims if c not in taken]
        else:
            claims = _claim(email.kind, email.claims, today)
        if not claims:
            continue
        _narrow(email, claims)
        ids = [subject for subject, _r in claims]
        if not dry_run and not _deliver(email, today):
            _release(email.kind, claims, today)
            (report.failed_action_ids if email.kind == "action"
             else report.failed_chair_ids).extend(ids)
            continue
        if email.kind == "action":
            report.action_emails += 1
            report.action_ids.extend(ids)
        else:
            report.chair_ids.extend(ids)
    return report


def _deliver(email: Email, today: date) -> bool:
    with force_locale(email.lang):
        compose: Any = compose_action_email if email.kind == "action" else compose_chair_email
        subject, body = compose(email, today)
    try:
        send_message(current_app.config, email.to, subject, body)
    except MailError:
        log.warning("%s reminder about %s failed", email.kind,
                    ",".join(str(s) for s, _r in email.claims))
        return False
    return True
