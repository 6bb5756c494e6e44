"""What an administrator (and a chair sharing a plan) changes: accounts, shares, plans, settings.

Each function changes objects and flushes, records the action in the audit log
(admin_log.record) and leaves the commit to the caller. Closing the live connections of
someone who lost access happens after the commit (`close_*`). Every object handed in has
been checked by the caller to belong to the actor's organisation; the functions check the
rest (roles, the last administrator, who may be a colleague) and raise AdminError.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import admin_log, browser_sessions, revocation
from .db import db_session, utcnow
from .models import Chair, LiveConnection, Meeting, Organisation, Plan, PlanShare
from .security import hash_password, new_token

# How long an invitation to choose a password works.
INVITE_DAYS = 7


class AdminError(ValueError):
    """A change that cannot be made; its key names the message the page shows."""


def active_admin_count(session: Session, organisation_id: int) -> int:
    """Count the organisation's active administrators."""
    return session.scalar(select(func.count(Chair.id)).where(
        Chair.organisation_id == organisation_id, Chair.is_admin,
        Chair.deactivated_at.is_(None))) or 0


def colleagues(session: Session, organisation_id: int, exclude: Iterable[int] = ()
               ) -> list[Chair]:
    """Return the organisation's active chairs, by name, leaving out the given accounts."""
    query = select(Chair).where(Chair.organisation_id == organisation_id, Chair.is_chair,
                                Chair.deactivated_at.is_(None))
    if exclude := list(exclude):
        query = query.where(Chair.id.not_in(exclude))
    return list(session.scalars(query.order_by(Chair.name, Chair.email)).all())


def email_taken(session: Session, email: str) -> bool:
    """Tell whether any account of the installation has this email (compared in lower case)."""
    return session.scalar(select(Chair.id).where(
        func.lower(Chair.email) == email.strip().lower())) is not None


def _roles(chair: Chair) -> list[str]:
    return [role for role, on in (("chair", chair.is_chair), ("admin", chair.is_admin)) if on]


def _who(chair: Chair) -> dict[str, Any]:
    return {"name": chair.name, "email": chair.email}


# -- accounts ---------------------------------------------------------------------------------


def _issue_invitation(chair: Chair) -> str:
    token, token_hash = new_token()
    chair.invite_token_hash = token_hash
    chair.invite_expires_at = utcnow() + timedelta(days=INVITE_DAYS)
    return token


def invite(session: Session, admin: Chair, *, email: str, name: str, is_chair: bool,
           is_admin: bool, locale: str) -> tuple[Chair, str | None]:
    """Create an invited account; return it with the one-time token (None: provider only).

    With password sign-in switched off there is nothing to choose: the person signs in
    through the organisation's identity provider, which links the account by its email.
    """
    email = email.strip().lower()
    if email_taken(session, email):
        raise AdminError("email_taken")
    chair = Chair(organisation_id=admin.organisation_id, email=email, name=name.strip(),
                  password_hash=None, is_chair=is_chair, is_admin=is_admin, locale=locale)
    token = _issue_invitation(chair) if admin.organisation.local_login else None
    session.add(chair)
    session.flush()
    admin_log.record(session, admin, "account_invited", admin_log.account_target(chair),
                     **_who(chair), roles=_roles(chair), password=token is not None)
    return chair, token


def invite_again(session: Session, admin: Chair, chair: Chair) -> str:
    """Replace an account's invitation with a new one (the old link stops working)."""
    if not chair.active:
        raise AdminError("inactive")
    if not chair.organisation.local_login:
        raise AdminError("no_local_login")
    token = _issue_invitation(chair)
    admin_log.record(session, admin, "invitation_sent_again", admin_log.account_target(chair),
                     **_who(chair))
    return token


def invitation_for(session: Session, token_hash: str) -> Chair | None:
    """Return the account a still valid invitation is for, or None."""
    chair = session.scalar(select(Chair).where(Chair.invite_token_hash == token_hash))
    if chair is None or not chair.active or not chair.organisation.local_login:
        return None
    if chair.invite_expires_at is None or chair.invite_expires_at <= utcnow():
        return None
    return chair


def accept_invitation(session: Session, chair: Chair, password: str) -> None:
    """Give the invited account its password and use the invitation up."""
    chair.password_hash = hash_password(password)
    chair.invite_token_hash = None
    chair.invite_expires_at = None
    chair.last_login_at = utcnow()
    admin_log.record(session, chair, "invitation_accepted", admin_log.account_target(chair),
                     **_who(chair))


def _keep_an_admin(session: Session, chair: Chair) -> None:
    """Refuse a change that would leave the organisation without an active administrator."""
    if chair.is_admin and chair.active and \
            active_admin_count(session, chair.organisation_id) <= 1:
        raise AdminError("last_admin")


def deactivate(session: Session, admin: Chair, chair: Chair) -> list[int]:
    """Deactivate an account and end its signed-in browsers; return their ids.

    Its plans stay where they are until handed over; its invitation stops working.
    """
    if not chair.active:
        return []
    _keep_an_admin(session, chair)
    chair.deactivated_at = utcnow()
    chair.invite_token_hash = None
    chair.invite_expires_at = None
    ended = browser_sessions.end_all_of_chair(session, chair.id)
    admin_log.record(session, admin, "account_deactivated", admin_log.account_target(chair),
                     **_who(chair), sessions_ended=len(ended))
    return ended


def reactivate(session: Session, admin: Chair, chair: Chair) -> None:
    """Let a deactivated account sign in again."""
    if chair.active:
        return
    chair.deactivated_at = None
    admin_log.record(session, admin, "account_reactivated", admin_log.account_target(chair),
                     **_who(chair))


def set_roles(session: Session, admin: Chair, chair: Chair, *, is_chair: bool,
              is_admin: bool) -> bool:
    """Change an account's roles; return whether the chair role was taken away."""
    if not (is_chair or is_admin):
        raise AdminError("no_role")
    if (is_chair, is_admin) == (chair.is_chair, chair.is_admin):
        return False
    if not is_admin:
        _keep_an_admin(session, chair)
    before, lost_chair = _roles(chair), chair.is_chair and not is_chair
    chair.is_chair, chair.is_admin = is_chair, is_admin
    admin_log.record(session, admin, "roles_changed", admin_log.account_target(chair),
                     **_who(chair), before=before, after=_roles(chair))
    return lost_chair


# -- plans ------------------------------------------------------------------------------------


def _check_colleague(plan: Plan, colleague: Chair | None) -> Chair:
    if colleague is None or colleague.organisation_id != plan.organisation_id \
            or not colleague.is_chair or not colleague.active:
        raise AdminError("not_colleague")
    return colleague


def share_plan(session: Session, actor: Chair, plan: Plan, colleague: Chair | None
               ) -> PlanShare:
    """Share a plan with an active chair of its organisation, who may then chair it."""
    colleague = _check_colleague(plan, colleague)
    if colleague.id == plan.chair_id:
        raise AdminError("responsible")
    if any(share.chair_id == colleague.id for share in plan.shares):
        raise AdminError("already_shared")
    share = PlanShare(plan_id=plan.id, chair_id=colleague.id, shared_by_id=actor.id)
    plan.shares.append(share)
    session.flush()
    admin_log.record(session, actor, "plan_shared", admin_log.plan_target(plan.id),
                     colleague=colleague.name, colleague_email=colleague.email)
    return share


def remove_share(session: Session, actor: Chair, share: PlanShare) -> int:
    """Stop sharing a plan with a colleague; return the colleague's account id."""
    colleague = session.get(Chair, share.chair_id)
    session.get(Plan, share.plan_id).shares.remove(share)  # deleted as an orphan
    session.flush()
    admin_log.record(session, actor, "plan_share_removed", admin_log.plan_target(share.plan_id),
                     colleague=colleague.name, colleague_email=colleague.email)
    return colleague.id


def hand_over(session: Session, admin: Chair, plan: Plan, new_chair: Chair | None) -> int:
    """Make another chair responsible for a plan and its meetings not yet closed.

    The previous chair keeps nothing (unless the plan is also shared with them); a share
    the new chair had is no longer needed. Returns the previous chair's id.
    """
    new_chair = _check_colleague(plan, new_chair)
    if new_chair.id == plan.chair_id:
        raise AdminError("responsible")
    previous = session.get(Chair, plan.chair_id)
    plan.chair_id = new_chair.id
    for share in [s for s in plan.shares if s.chair_id == new_chair.id]:
        plan.shares.remove(share)
    moved = 0
    for meeting in plan.meetings:
        if meeting.status != "closed":
            meeting.chair_id = new_chair.id
            moved += 1
    session.flush()
    admin_log.record(session, admin, "plan_handed_over", admin_log.plan_target(plan.id),
                     from_chair=previous.name, from_email=previous.email,
                     to_chair=new_chair.name, to_email=new_chair.email, meetings=moved)
    return previous.id


# -- settings ---------------------------------------------------------------------------------

SETTINGS = ("name", "kind", "local_login", "oidc_issuer", "oidc_client_id", "oidc_client_secret",
            "oidc_name_claim", "oidc_email_claim", "oidc_id_claim", "oidc_role_claim",
            "oidc_admin_values", "oidc_chair_values", "retention_months", "purge_unexported")
SECRET = "oidc_client_secret"


def provider_configured(issuer: str, client_id: str) -> bool:
    """Tell whether an identity provider is set up enough to sign in through."""
    return bool(issuer.strip() and client_id.strip())


def local_login_problem(session: Session, organisation: Organisation, issuer: str,
                        client_id: str) -> str | None:
    """Say why password sign-in cannot be switched off now, or None when it can.

    Someone must still be able to sign in and change the settings back: the provider must be
    set up, and an active administrator must already have signed in through it.
    """
    if not provider_configured(issuer, client_id):
        return "no_provider"
    linked_admin = session.scalar(select(Chair.id).where(
        Chair.organisation_id == organisation.id, Chair.is_admin,
        Chair.deactivated_at.is_(None), Chair.oidc_subject.is_not(None)).limit(1))
    return None if linked_admin is not None else "no_linked_admin"


def apply_settings(session: Session, admin: Chair, organisation: Organisation,
                   values: dict[str, Any], *, clear_secret: bool = False) -> list[str]:
    """Save changed settings and log them; return the names of those that changed.

    An empty secret keeps the stored one, unless `clear_secret` removes it; the secret's
    value is never written to the log.
    """
    changes: dict[str, Any] = {}
    if not values.get(SECRET):
        values = {**values, SECRET: "" if clear_secret else organisation.oidc_client_secret}
    for name in SETTINGS:
        if name not in values:
            continue
        before, after = getattr(organisation, name), values[name]
        if before == after:
            continue
        setattr(organisation, name, after)
        changes[name] = {"changed": True} if name == SECRET else {"before": before,
                                                                   "after": after}
    if changes:
        session.flush()
        admin_log.record(session, admin, "settings_changed", f"organisation:{organisation.id}",
                         changes=changes)
    return list(changes)


# -- live connections, after the commit ----------------------------------------------------


def close_account_sockets(ended: list[int], chair: Chair) -> int:
    """Close every live connection of a deactivated account, in every process."""
    return revocation.end_sockets(revocation.browser_sockets(ended, chair_id=chair.id),
                                  "logged_out", chair.locale)


def close_plan_sockets(chair: Chair, plan_id: int | None = None) -> int:
    """Close a chair's live connections to one plan's meetings (all plans when None)."""
    query = select(LiveConnection.sid).where(LiveConnection.chair_id == chair.id)
    if plan_id is not None:
        query = query.where(LiveConnection.meeting_id.in_(
            select(Meeting.id).where(Meeting.plan_id == plan_id)))
    return revocation.end_sockets(db_session().scalars(query).all(), "removed", chair.locale)
