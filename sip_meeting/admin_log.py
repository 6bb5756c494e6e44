"""The audit log of administrative actions: one function records an entry, one table names them.

Every change to an organisation's settings, accounts, shares and plan responsibilities is
written as an `AdminEvent`: who did it, when, to which account or plan, and a few details.
An entry names accounts and plan numbers, never a word of a plan. Anything that changes
those things (the administration pages, a chair sharing a plan, the command line, sign-in
through the identity provider, the purge) records it here, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from .models import AdminEvent, Chair

# The actions the audit page names; an action recorded elsewhere and missing here is shown
# by its code.
ACTIONS = {
    "organisation_created": _l("Created the organisation"),
    "settings_changed": _l("Changed the organisation's settings"),
    "account_created": _l("Created an account"),
    "account_invited": _l("Invited a person"),
    "invitation_sent_again": _l("Sent a new invitation"),
    "invitation_accepted": _l("Accepted the invitation and chose a password"),
    "account_deactivated": _l("Deactivated an account"),
    "account_reactivated": _l("Reactivated an account"),
    "roles_changed": _l("Changed an account's roles"),
    "plan_shared": _l("Shared a plan with a colleague"),
    "plan_share_removed": _l("Stopped sharing a plan"),
    "plan_handed_over": _l("Handed a plan over to another chair"),
}
# The longest a target or an actor's name may be (the columns' sizes).
TARGET_MAX = 120


def account_target(chair: Chair) -> str:
    """Name an account as an entry's target."""
    return f"account:{chair.id}"


def plan_target(plan_id: int) -> str:
    """Name a plan, by its number only, as an entry's target."""
    return f"plan:{plan_id}"


def record(session: Session, actor: Chair | None, action: str, target: str = "", *,
           organisation_id: int | None = None, **detail: Any) -> AdminEvent:
    """Add an entry to the organisation's audit log; the caller commits.

    `actor` is the account acting, or None for the command line or the system; the
    organisation is the actor's unless given. `detail` must hold JSON values and no plan
    content: names of accounts, numbers of plans, names of settings.
    """
    if organisation_id is None:
        if actor is None:
            raise ValueError("an entry without an actor needs its organisation")
        organisation_id = actor.organisation_id
    event = AdminEvent(organisation_id=organisation_id, actor_id=getattr(actor, "id", None),
                       actor_name=(getattr(actor, "name", "") or "")[:TARGET_MAX],
                       action=action, target=target[:TARGET_MAX], detail=detail)
    session.add(event)
    session.flush()
    return event


def action_label(action: str) -> str:
    """Return the words for an action, or its code when it has none."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else action
