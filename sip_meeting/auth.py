"""Chair login and logout, and the language switch everyone sees."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func, select

from . import oidc_client, revocation
from .access import browser_session, end_browser_session, start_browser_session
from .db import atomic, db_session, utcnow
from .extensions import limiter
from .forms import LoginForm
from .i18n import current_language
from .models import Chair
from .security import hash_password, verify_password

bp = Blueprint("auth", __name__)
# Checked when the email is unknown, so a wrong email costs as much time as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Return a local path to go to after login, never another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.netloc and not parts.scheme:
            return target
    return url_for("chair.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Log a chair in."""
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        chair = db_session().scalar(select(Chair).where(func.lower(Chair.email) == email))
        # Only an active account with a password, of an organisation that allows local
        # sign-in; every refusal costs the same hash and says the same thing.
        usable = chair is not None and chair.active and chair.password_hash is not None \
            and chair.organisation.local_login
        if verify_password(chair.password_hash if usable else _DUMMY_HASH, form.password.data) \
                and usable:
            with atomic():
                chair.last_login_at = utcnow()
            lang = current_language()
            ended = browser_session()
            start_browser_session(chair.id)  # a new key: the one the browser had ends
            if ended is not None:
                revocation.end_sockets(revocation.browser_sockets([ended.id]), "logged_out",
                                       lang)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.post("/logout")
def logout():
    """Log out: end this browser's session on the server, and close the sockets it opened.

    A browser that signed in through its organisation's provider goes on to the provider's
    end-session endpoint, which sends it back to the login page.
    """
    provider_logout = oidc_client.provider_logout_url()  # before the session is forgotten
    lang = current_language()
    ended = end_browser_session()
    if ended is not None:
        revocation.end_sockets(revocation.browser_sockets([ended.id]), "logged_out", lang)
    flash(_("You are logged out."), "info")
    return redirect(provider_logout or url_for("auth.login"))


@bp.post("/language")
def switch_language():
    """Switch the interface language and remember it for the chair."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if g.get("chair") is not None:
            with atomic():
                g.chair.locale = lang
    return redirect(_safe_next(request.form.get("next")))
