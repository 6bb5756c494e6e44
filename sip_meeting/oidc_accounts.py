"""From the claims of a verified ID token to the account that signs in, or a refusal.

The account is found by the provider's subject within the organisation; else by the email
the provider gives, when that account is the organisation's and not yet tied to another
subject (an administrator invited the person, or they had a password); else it is made,
when the claims grant a role. The roles are read from the claims at every sign-in, so a
change in the person's groups at the provider takes effect the next time they sign in.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import Chair, Organisation

_SEPARATORS = re.compile(r"[\s,]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MAX_VALUES = 500  # groups read from one claim; more is not a person's list of groups


class Refusal(Exception):
    """A sign-in that is refused, with the message the person reads and the HTTP status."""

    def __init__(self, message: str, status: int = 403, reason: str = "refused"):
        super().__init__(reason)
        self.message = message
        self.status = status
        # Logged: says why without saying who.
        self.reason = reason


def claim(claims: dict, name: str):
    """Return a claim by its name, or by a dotted path into nested claims (realm_access.roles)."""
    name = name.strip()
    if not name:
        return None
    if name in claims:
        return claims[name]
    value = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def missing_claims(org: Organisation, claims: dict) -> bool:
    """Tell whether a claim the organisation reads is absent from these claims."""
    names = (org.oidc_name_claim, org.oidc_email_claim, org.oidc_role_claim, org.oidc_id_claim)
    return any(name.strip() and claim(claims, name) is None for name in names)


def claim_values(value) -> set[str]:
    """Return the values of a role claim: a list, or a string separated by spaces or commas."""
    if isinstance(value, str):
        items = _SEPARATORS.split(value)
    elif isinstance(value, list | tuple):
        items = [item for item in value if isinstance(item, str)]
    else:
        return set()
    return {item.strip().casefold() for item in items[:_MAX_VALUES] if item.strip()}


def configured_values(text: str) -> set[str]:
    """Return the values an organisation lists for a role, one a line."""
    return {line.strip().casefold() for line in (text or "").splitlines() if line.strip()}


def granted_roles(org: Organisation, claims: dict) -> tuple[bool, bool]:
    """Return (administrator, chair) as the organisation's role claim grants them."""
    values = claim_values(claim(claims, org.oidc_role_claim))
    return (bool(values & configured_values(org.oidc_admin_values)),
            bool(values & configured_values(org.oidc_chair_values)))


def _text(value, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:limit]


def _email(org: Organisation, claims: dict) -> str | None:
    value = claim(claims, org.oidc_email_claim)
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.fullmatch(value.strip()):
        return None
    return value.strip().lower()


def _by_email(session: Session, email: str) -> Chair | None:
    return session.scalar(select(Chair).where(func.lower(Chair.email) == email))


def sign_in(session: Session, org: Organisation, claims: dict) -> Chair:
    """Return the account these verified claims sign in to, made or updated; or raise Refusal.

    Nothing is changed when the sign-in is refused.
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise Refusal(_("The answer from the sign-in service could not be verified, so you "
                        "are not logged in. Try again, or ask your administrator."),
                      400, "no usable subject")
    is_admin, is_chair = granted_roles(org, claims)
    email = _email(org, claims)
    # A provider that says it has not verified the address does not get it linked.
    verified = email is not None and claims.get("email_verified") is not False
    chair = session.scalar(select(Chair).where(Chair.organisation_id == org.id,
                                               Chair.oidc_subject == subject))
    if chair is None and email is not None:
        chair = _link_by_email(session, org, email, verified)
    if chair is not None and not chair.active:
        raise Refusal(_("Your account is deactivated. Ask your administrator if you need "
                        "it again."), 403, "deactivated")
    if not (is_admin or is_chair):
        raise Refusal(_("You have no role in SIP meeting at %(organisation)s. Ask your "
                        "administrator for the chair or the administrator role.",
                        organisation=org.name), 403, "no role")
    if chair is None:
        if not verified:
            raise Refusal(_("The sign-in service gave no verified email address, so no "
                            "account can be made for you. Ask your administrator."),
                          403, "no verified email")
        chair = Chair(organisation_id=org.id, email=email, password_hash=None)
        session.add(chair)
    chair.oidc_subject = subject
    chair.is_admin, chair.is_chair = is_admin, is_chair
    _update_details(session, org, chair, claims, email if verified else None)
    chair.last_login_at = utcnow()
    session.flush()
    return chair


def _link_by_email(session: Session, org: Organisation, email: str,
                   verified: bool) -> Chair | None:
    """Return the organisation's account with this email, to be tied to the subject."""
    chair = _by_email(session, email)
    if chair is None:
        return None
    if chair.organisation_id != org.id or chair.oidc_subject is not None or not verified:
        raise Refusal(_("An account with your email address exists but cannot be connected "
                        "to this sign-in. Ask your administrator."), 409, "email taken")
    return chair


def _update_details(session: Session, org: Organisation, chair: Chair, claims: dict,
                    email: str | None) -> None:
    """Take the name, the email and the HSA-id or employee id from the claims."""
    name = _text(claim(claims, org.oidc_name_claim), 120)
    if name is not None:
        chair.name = name
    if email is not None and email != chair.email.lower() and _by_email(session, email) is None:
        chair.email = email  # an address another account holds is left where it is
    if org.oidc_id_claim.strip():
        value = claim(claims, org.oidc_id_claim)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and 0 < len(value.strip()) <= 64:
            chair.hsa_id = value.strip()
