"""Who may act on which plan: the one place where organisation and role are decided.

An account belongs to one organisation and is a chair, an administrator, or both. A chair
acts on a plan of their own organisation that they are responsible for or that is shared
with them (a colleague standing in); an administrator manages the organisation's settings
and accounts and sees no plan content through that role. A deactivated account does
nothing. Every route and live event that reaches a plan as staff asks this module.
"""

from __future__ import annotations

from flask import abort, g
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session, aliased

from .models import Chair, Meeting, Plan, PlanShare


def plan_access(chair_id):
    """Return the condition that a plan (Plan) is one this chair (by id) may act on.

    Used in queries, so that listing and checking can never disagree. It does not check
    that the account is an active chair (see may_chair). `chair_id` may be a column of an
    enclosing query on chairs (live._CHAIR): the account's row is read under an alias of
    its own, and the share is looked up correlated to the enclosing plan and chair.
    """
    shared = exists().where(PlanShare.plan_id == Plan.id, PlanShare.chair_id == chair_id
                            ).correlate_except(PlanShare)
    account = aliased(Chair)
    same_org = Plan.organisation_id == select(account.organisation_id).where(
        account.id == chair_id).correlate_except(account).scalar_subquery()
    return same_org & or_(Plan.chair_id == chair_id, shared)


def may_chair(chair: Chair | None) -> bool:
    """Tell whether an account may chair meetings at all (active, with the chair role)."""
    return chair is not None and chair.active and chair.is_chair


def may_administer(chair: Chair | None) -> bool:
    """Tell whether an account may manage its organisation (active, administrator)."""
    return chair is not None and chair.active and chair.is_admin


def visible_plans(chair: Chair) -> Select:
    """Return a query of the plans this chair may act on."""
    return select(Plan).where(plan_access(chair.id))


def visible_meetings(chair: Chair) -> Select:
    """Return a query of the meetings of the plans this chair may act on."""
    return select(Meeting).join(Plan, Plan.id == Meeting.plan_id).where(plan_access(chair.id))


def may_act_on_plan(session: Session, chair: Chair | None, plan_id: int) -> bool:
    """Tell whether this account may act as chair on this plan (read fresh)."""
    if not may_chair(chair):
        return False
    return bool(session.scalar(select(exists().where(Plan.id == plan_id,
                                                     plan_access(chair.id)))))


def plan_or_404(session: Session, plan_id: int) -> Plan:
    """Return a plan the logged-in chair may act on, or 404 (as for a plan that does not exist)."""
    plan = session.get(Plan, plan_id)
    if plan is None or not may_act_on_plan(session, g.get("chair"), plan.id):
        abort(404)
    return plan


def meeting_or_404(session: Session, meeting_id: int) -> Meeting:
    """Return a meeting of a plan the logged-in chair may act on, or 404."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not may_act_on_plan(session, g.get("chair"), meeting.plan_id):
        abort(404)
    return meeting
