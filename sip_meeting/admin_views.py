"""What the administration pages show: rows of accounts, plans and log entries, and their words.

Plans are read column by column (number, responsible chair, meetings, status), so that
nothing of a plan's content reaches the pages, not even the child's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import admin_ops
from .admin_forms import ChairChoiceForm, SettingsForm
from .i18n import format_local_date
from .models import AdminEvent, Chair, Meeting, Plan, PlanShare

ERRORS = {
    "email_taken": lambda: _("This email address already has an account."),
    "last_admin": lambda: _("The organisation must keep at least one active administrator. "
                            "Make someone else an administrator first."),
    "no_role": lambda: _("Choose at least one role."),
    "inactive": lambda: _("The account is deactivated. Reactivate it first."),
    "no_local_login": lambda: _("Sign-in with a password is switched off, so there is no "
                                "password to choose: the person signs in through the "
                                "organisation's identity provider."),
    "not_colleague": lambda: _("Choose an active chair of the organisation."),
    "responsible": lambda: _("That chair is already responsible for the plan."),
    "already_shared": lambda: _("The plan is already shared with that colleague."),
    "no_provider": lambda: _("Password sign-in cannot be switched off before the identity "
                             "provider is set up (its address and client id): nobody could "
                             "sign in."),
    "no_linked_admin": lambda: _("Password sign-in cannot be switched off yet: no active "
                                 "administrator has signed in through the identity provider. "
                                 "Sign in through it once first, so that someone can still "
                                 "change these settings."),
    "expired": lambda: _("The form has expired. Send it again."),
}


def error_text(key: str) -> str:
    """Return the message of an AdminError's key."""
    return ERRORS[key]()


def form_error(form: ChairChoiceForm) -> str:
    """Say why a choice of colleague was refused: an expired form, or not a colleague."""
    return error_text("expired" if "csrf_token" in form.errors else "not_colleague")


def account_counts(session: Session, organisation_id: int) -> dict[str, int]:
    """Count the organisation's active chairs and administrators and deactivated accounts."""
    rows = session.execute(select(Chair.is_chair, Chair.is_admin, Chair.deactivated_at).where(
        Chair.organisation_id == organisation_id)).all()
    active = [r for r in rows if r.deactivated_at is None]
    return {"chairs": sum(r.is_chair for r in active), "admins": sum(r.is_admin for r in active),
            "deactivated": len(rows) - len(active)}


def plan_count(session: Session, chair_id: int) -> int:
    """Count the plans an account is responsible for."""
    return session.scalar(select(func.count(Plan.id)).where(Plan.chair_id == chair_id)) or 0


def account_rows(session: Session, organisation_id: int) -> list[tuple[Chair, int]]:
    """Return the organisation's accounts, active first and by name, with their plan counts."""
    counts = dict(session.execute(select(Plan.chair_id, func.count(Plan.id)).where(
        Plan.organisation_id == organisation_id).group_by(Plan.chair_id)).all())
    chairs = session.scalars(select(Chair).where(Chair.organisation_id == organisation_id)
                             .order_by(Chair.deactivated_at.is_not(None), Chair.name,
                                       Chair.email)).all()
    return [(chair, counts.get(chair.id, 0)) for chair in chairs]


@dataclass
class PlanRow:
    """A plan as the administrator sees it: who, how many meetings, when, open or closed."""

    id: int
    chair: Chair
    meetings: int
    last_meeting: datetime | None
    closed: bool
    purged: bool
    shared_with: list[tuple[int, Chair]] = field(default_factory=list)  # (share id, chair)


def plan_rows(session: Session, organisation_id: int, page: int, size: int,
              chair_id: int | None = None, plan_id: int | None = None
              ) -> tuple[list[PlanRow], bool]:
    """Return one page of the organisation's plans, newest first, and whether more follow."""
    query = (select(Plan.id, Plan.chair_id, Plan.closed_at, Plan.purged_at,
                    func.count(Meeting.id), func.max(Meeting.starts_at))
             .outerjoin(Meeting, Meeting.plan_id == Plan.id)
             .where(Plan.organisation_id == organisation_id)
             .group_by(Plan.id, Plan.chair_id, Plan.closed_at, Plan.purged_at)
             .order_by(Plan.id.desc()).offset((page - 1) * size).limit(size + 1))
    if chair_id is not None:
        query = query.where(Plan.chair_id == chair_id)
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    found = session.execute(query).all()
    people = {c.id: c for c in session.scalars(select(Chair).where(
        Chair.organisation_id == organisation_id))}
    rows = [PlanRow(pid, people[cid], count, last, closed is not None, purged is not None)
            for pid, cid, closed, purged, count, last in found[:size]]
    by_id = {row.id: row for row in rows}
    # Only the organisation's own chairs: a share with anyone else gives nothing
    # (accounts.plan_access), and another organisation's account is not shown here.
    for share_id, pid, cid in session.execute(
            select(PlanShare.id, PlanShare.plan_id, PlanShare.chair_id)
            .where(PlanShare.plan_id.in_(by_id), PlanShare.chair_id.in_(people))
            .order_by(PlanShare.id)):
        by_id[pid].shared_with.append((share_id, people[cid]))
    return rows, len(found) > size


def chair_choices(session: Session, plan: Plan, for_hand_over: bool = False
                  ) -> list[tuple[int, str]]:
    """Return the colleagues a plan may be shared with, or handed over to, for a select."""
    exclude = {plan.chair_id} | (set() if for_hand_over else {s.chair_id for s in plan.shares})
    return [(c.id, f"{c.name} ({c.email})" if c.name else c.email)
            for c in admin_ops.colleagues(session, plan.organisation_id, exclude)]


def plan_forms(session: Session, plan: Plan) -> dict[str, ChairChoiceForm]:
    """Return the forms of a plan's page: share it, and hand it over."""
    return {
        "share_form": ChairChoiceForm(choices=chair_choices(session, plan),
                                      prefix="share", label=_("Colleague")),
        "hand_over_form": ChairChoiceForm(choices=chair_choices(session, plan, True),
                                          prefix="hand-over", label=_("New responsible chair")),
    }


def audit_page(session: Session, organisation_id: int, page: int, size: int
               ) -> tuple[list[AdminEvent], bool]:
    """Return one page of the organisation's log, newest first, and whether more follow."""
    events = session.scalars(select(AdminEvent).where(
        AdminEvent.organisation_id == organisation_id)
        .order_by(AdminEvent.at.desc(), AdminEvent.id.desc())
        .offset((page - 1) * size).limit(size + 1)).all()
    return list(events[:size]), len(events) > size


def target_text(event: AdminEvent) -> str:
    """Say what an entry was about: an account by its name, a plan by its number."""
    kind, _sep, number = event.target.partition(":")
    detail = event.detail or {}
    if kind == "account":
        name, email = detail.get("name") or "", detail.get("email") or ""
        return f"{name} <{email}>" if name and email else name or email or event.target
    if kind == "plan":
        return _("Plan %(number)s", number=number)
    if kind == "organisation":
        return _("The organisation")
    return event.target


def setting_label(name: str) -> str:
    """Return a setting's label as the settings page shows it."""
    field_ = getattr(SettingsForm, name, None)
    return str(field_.args[0]) if field_ is not None else name


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value in (None, ""):
        return "–"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "–"
    return str(value).replace("\n", ", ")


def detail_lines(event: AdminEvent) -> list[str]:
    """Write an entry's details as short lines in the reader's language."""
    detail = dict(event.detail or {})
    lines = []
    for name, change in (detail.pop("changes", None) or {}).items():
        if change.get("changed"):
            lines.append(_("%(setting)s: changed", setting=setting_label(name)))
        else:
            lines.append(_("%(setting)s: %(before)s → %(after)s", setting=setting_label(name),
                           before=_value(change.get("before")),
                           after=_value(change.get("after"))))
    for key in ("name", "email"):
        detail.pop(key, None)
    words = {
        "roles": _("Roles"), "before": _("Roles before"), "after": _("Roles after"),
        "colleague": _("Colleague"), "colleague_email": _("Colleague's email"),
        "from_chair": _("From"), "from_email": _("From (email)"),
        "to_chair": _("To"), "to_email": _("To (email)"),
        "meetings": _("Meetings moved"), "sessions_ended": _("Browsers signed out"),
        "password": _("Chooses a password"), "slug": _("Short name"), "kind": _("Kind"),
    }
    roles = {"chair": _("chair"), "admin": _("administrator")}
    for key, value in detail.items():
        if key in ("roles", "before", "after") and isinstance(value, list):
            value = [roles.get(v, v) for v in value]
        lines.append(f"{words.get(key, key)}: {_value(value)}")
    return lines


def short_date(value: datetime | None) -> str:
    """Format a moment's day briefly, or a dash."""
    return format_local_date(value, "medium") if value else "–"
