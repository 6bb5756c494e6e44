"""Sign-in through an organisation's OpenID Connect provider.

The authorization code flow with PKCE (S256), state and nonce, through Authlib's Flask
client. The callback accepts only an ID token whose signature verifies with the provider's
published keys and whose issuer, audience, expiry and nonce are this sign-in's; then
oidc_accounts finds or makes the account and the browser gets a new session, as with a
password. Whatever goes wrong ends on the login page with a message, never an error page,
and the log says what went wrong but not who it was.
"""

from __future__ import annotations

import logging
import re

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuthError
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from joserfc.errors import JoseError  # Authlib verifies ID tokens with joserfc
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import oidc_client, revocation
from .access import browser_session, start_browser_session
from .auth import _login_limit, _safe_next
from .db import atomic, db_session
from .extensions import limiter
from .forms import LoginForm
from .i18n import current_language
from .models import Chair, Organisation
from .oidc_accounts import Refusal, missing_claims, sign_in

bp = Blueprint("oidc", __name__)
log = logging.getLogger(__name__)
# Where to go after signing in, kept in the session cookie between the start and the callback.
_NEXT = "sso_next"
# The provider does not answer, answers what is not JSON, or is not the configured issuer
# (RuntimeError: its discovery document lacks an endpoint).
_UNAVAILABLE = (requests.RequestException, ValueError, oidc_client.ProviderUnusable,
                RuntimeError)
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


@bp.record_once
def _setup(state) -> None:
    oidc_client.init_app(state.app)


@bp.app_context_processor
def _login_choices() -> dict:
    return {"sso_organisations": sso_organisations, "local_login_offered": local_login_offered}


bp.after_app_request(oidc_client.allow_provider_logout)


def sso_organisations() -> list[Organisation]:
    """Return the organisations whose staff can sign in through their provider, by name."""
    rows = db_session().scalars(select(Organisation).where(Organisation.oidc_issuer != "")
                                .order_by(Organisation.name))
    return [org for org in rows if oidc_client.configured(org)]


def local_login_offered() -> bool:
    """Tell whether any organisation still lets its staff sign in with a password."""
    return db_session().scalar(select(Organisation.id).where(Organisation.local_login)
                               .limit(1)) is not None


def _provider(slug: str) -> tuple[Organisation, FlaskOAuth2App]:
    """Return the organisation and its client, or 404 for one that signs in no other way."""
    org = db_session().scalar(select(Organisation).where(Organisation.slug == slug))
    if not oidc_client.configured(org):
        abort(404)
    return org, oidc_client.client_for(org)


def _refuse(message: str, status: int):
    """Show the login page with what went wrong."""
    return render_template("auth/login.html", form=LoginForm(), sso_error=message), status


def _unavailable(org: Organisation, error: Exception):
    log.warning("sign-in through the provider of %s failed: %s", org.slug,
                type(error).__name__)
    return _refuse(_("The sign-in service of %(organisation)s does not answer right now. Try "
                     "again in a while, or ask your administrator.",
                     organisation=org.name), 503)


@bp.get("/login/sso/<slug>")
@limiter.limit(_login_limit)
def start(slug: str):
    """Send the browser to the organisation's provider to sign in."""
    org, client = _provider(slug)
    try:
        oidc_client.load_metadata(client, org)
        response = client.authorize_redirect(
            oidc_client.public_url("oidc.callback", slug=org.slug),
            ui_locales=current_language())
    except _UNAVAILABLE as error:
        return _unavailable(org, error)
    next_path = request.args.get("next")
    if next_path:
        session[_NEXT] = next_path[:500]
    else:
        session.pop(_NEXT, None)
    return response


@bp.get("/login/sso/<slug>/callback")
@limiter.limit(_login_limit)
def callback(slug: str):
    """Finish the sign-in: verify the provider's answer and sign the account in."""
    org, client = _provider(slug)
    try:
        metadata = oidc_client.load_metadata(client, org)
    except _UNAVAILABLE as error:
        return _unavailable(org, error)
    try:
        claims = _verified_claims(org, client, metadata)
    except OAuthError as error:
        return _failed(org, error)
    except requests.RequestException as error:
        return _unavailable(org, error)
    except (JoseError, AuthlibBaseError, ValueError, KeyError, TypeError,
            RuntimeError) as error:  # a token that is malformed, forged, expired or not ours
        return _invalid(org, error)
    try:
        with atomic():
            chair = sign_in(db_session(), org, claims)
    except Refusal as refusal:
        log.info("sign-in through the provider of %s refused: %s", org.slug, refusal.reason)
        return _refuse(refusal.message, refusal.status)
    except IntegrityError as error:  # the same person's first sign-in, twice at once
        return _invalid(org, error)
    return _log_in(org, chair, metadata)


def _verified_claims(org: Organisation, client: FlaskOAuth2App, metadata: dict) -> dict:
    """Return the claims of this sign-in's verified ID token.

    A claim the organisation reads that the ID token lacks is taken from the provider's
    userinfo endpoint, when it answers for the same subject; the ID token's values win.
    """
    token = client.authorize_access_token()
    claims = dict(token.get("userinfo") or {})
    if not claims:
        raise ValueError("the token response has no ID token")
    if metadata.get("userinfo_endpoint") and missing_claims(org, claims):
        extra = client.userinfo(token=token)
        if extra.get("sub") == claims["sub"]:
            claims = {**extra, **claims}
    return claims


def _failed(org: Organisation, error: OAuthError):
    """Answer a provider's error or a callback that belongs to no sign-in of this browser."""
    code = error.error if _ERROR_CODE.fullmatch(str(error.error)) else "other"
    log.info("sign-in through the provider of %s did not finish: %s", org.slug, code)
    if error.error == "access_denied":
        return _refuse(_("You cancelled the sign-in, so you are not logged in."), 400)
    if error.error == "mismatching_state":
        return _refuse(_("The sign-in could not be finished: it took too long, or it was "
                         "started in another window. Try again."), 400)
    return _invalid(org, error)


def _invalid(org: Organisation, error: Exception):
    log.warning("sign-in through the provider of %s not accepted: %s", org.slug,
                type(error).__name__)
    return _refuse(_("The answer from the sign-in service could not be verified, so you "
                     "are not logged in. Try again, or ask your administrator."), 400)


def _log_in(org: Organisation, chair: Chair, metadata: dict):
    """Start the browser's new session, as a password login does, and go on."""
    next_path = session.get(_NEXT)
    lang = current_language()
    ended = browser_session()
    start_browser_session(chair.id)  # a new key: the one the browser had ends
    if ended is not None:
        revocation.end_sockets(revocation.browser_sockets([ended.id]), "logged_out", lang)
    oidc_client.remember_sign_in(org, metadata)
    if next_path:
        return redirect(_safe_next(next_path))
    if chair.is_admin and not chair.is_chair and "admin.index" in current_app.view_functions:
        return redirect(url_for("admin.index"))
    return redirect(url_for("chair.dashboard"))
