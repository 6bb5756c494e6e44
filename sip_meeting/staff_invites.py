"""Inviting staff: the email with a one-time link, and the page where the person chooses a password.

The link carries a long random token; only its hash is stored (as for join links), it works
once and for admin_ops.INVITE_DAYS days. With password sign-in switched off the email says
to sign in through the organisation's identity provider instead, and carries no link.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from . import accounts, admin_ops, revocation
from .access import browser_session, start_browser_session
from .admin_forms import PasswordForm
from .db import atomic, db_session
from .i18n import current_language, format_local_date
from .mailer import MailError, mail_enabled, send_message
from .models import Chair
from .security import hash_token

log = logging.getLogger(__name__)
bp = Blueprint("staff_invite", __name__)


def _absolute(path: str) -> str:
    base = current_app.config["PUBLIC_URL"] or request.url_root
    return base.rstrip("/") + path


def invitation_url(token: str) -> str:
    """Return the absolute address of an invitation's one-time link."""
    return _absolute(url_for("staff_invite.accept", token=token))


def _made_you(chair: Chair, inviter: Chair) -> str:
    """Say who made the account, where, and in which roles."""
    who, organisation = inviter.name or inviter.email, chair.organisation.name
    if chair.is_chair and chair.is_admin:
        return _("%(inviter)s has made you an account for SIP meetings at %(organisation)s, "
                 "as a chair and an administrator.", inviter=who, organisation=organisation)
    if chair.is_admin:
        return _("%(inviter)s has made you an account for SIP meetings at %(organisation)s, "
                 "as an administrator.", inviter=who, organisation=organisation)
    return _("%(inviter)s has made you an account for SIP meetings at %(organisation)s, "
             "as a chair.", inviter=who, organisation=organisation)


def invitation_email(chair: Chair, inviter: Chair, url: str | None) -> tuple[str, str]:
    """Write the invitation's subject and body in the current locale (no link: provider)."""
    lines = [_("Hello %(name)s,", name=chair.name), "", _made_you(chair, inviter), ""]
    if url:
        lines += [_("Choose your password here:"), url, "",
                  _("The link works once, until %(date)s. If it has stopped working, ask "
                    "%(inviter)s for a new one.", date=format_local_date(chair.invite_expires_at),
                    inviter=inviter.name or inviter.email)]
    else:
        lines += [_("Sign in with your organisation's login here, with the email address "
                    "%(email)s:", email=chair.email), _absolute(url_for("auth.login"))]
    return _("Your account for SIP meetings at %(organisation)s",
             organisation=chair.organisation.name), "\n".join(lines) + "\n"


def send_invitation(chair: Chair, inviter: Chair, token: str | None) -> bool:
    """Email an invitation in the invited person's language; return whether it was sent."""
    if not mail_enabled(current_app):
        return False
    url = invitation_url(token) if token else None
    with force_locale(chair.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject, body = invitation_email(chair, inviter, url)
    try:
        send_message(current_app.config, chair.email, subject, body)
    except MailError:
        log.warning("the invitation of account %s could not be sent", chair.id)
        return False
    return True


def _invitation(token: str) -> Chair | None:
    if not token or len(token) > 200:
        return None
    return admin_ops.invitation_for(db_session(), hash_token(token))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Let an invited person choose a password, and sign them in."""
    chair = _invitation(token)
    if chair is None:
        return render_template("account/invite_invalid.html",
                               days=admin_ops.INVITE_DAYS), 404
    form = PasswordForm()
    if form.validate_on_submit():
        with atomic() as session:
            admin_ops.accept_invitation(session, chair, form.password.data)
        lang = current_language()
        ended = browser_session()
        start_browser_session(chair.id)
        if ended is not None:
            revocation.end_sockets(revocation.browser_sockets([ended.id]), "logged_out", lang)
        flash(_("Your password is saved and you are signed in."), "success")
        target = "chair.dashboard" if accounts.may_chair(chair) else "admin.index"
        return redirect(url_for(target))
    return render_template("account/invite.html", form=form, chair=chair), \
        400 if form.errors else 200
