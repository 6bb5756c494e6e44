"""Each organisation's OpenID Connect client, and where its sign-in and sign-out lead.

An Authlib client is made the first time an organisation's sign-in is used and made anew
when its issuer, client id or secret change: the client's name carries a digest of them,
so a sign-in started under the old settings finds no state and starts over. The provider's
discovery document is read again after METADATA_MAX_AGE, so a new signing key or endpoint
is picked up without a restart (a token signed with a key not yet seen fetches the keys at
once).
"""

from __future__ import annotations

import hashlib
import threading
import time
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import Flask, current_app, request, session, url_for
from sqlalchemy import select

from .db import db_session
from .i18n import current_language
from .models import Organisation

SCOPES = "openid email profile"
# Seconds to wait for the provider's discovery, keys and token endpoints.
PROVIDER_TIMEOUT = 10
METADATA_MAX_AGE = 3600
# In the (signed) session cookie: which organisation's provider this browser signed in
# through, and its end-session endpoint, for the logout. Neither says who the person is.
SESSION_SSO = "sso"
_EXTENSION = "sip_meeting.oidc_clients"


class ProviderUnusable(Exception):
    """The provider's discovery document cannot be used (wrong issuer, or plain http)."""


def configured(org: Organisation | None) -> bool:
    """Tell whether an organisation's staff can sign in through its provider."""
    return org is not None and bool(org.oidc_issuer.strip()) and bool(org.oidc_client_id.strip())


def issuer_of(org: Organisation) -> str:
    """Return the organisation's issuer as it is compared with the provider's."""
    return org.oidc_issuer.strip().rstrip("/")


def client_for(org: Organisation) -> FlaskOAuth2App:
    """Return the organisation's client, made anew if its settings changed."""
    issuer = issuer_of(org)
    settings = "\n".join((issuer, org.oidc_client_id.strip(), org.oidc_client_secret))
    name = f"sso{org.id}-{hashlib.sha256(settings.encode()).hexdigest()[:12]}"
    state = current_app.extensions[_EXTENSION]
    with state["lock"]:
        client = state["clients"].get(org.id)
        if client is None or client.name != name:
            client = _new_client(name, issuer, org)
            state["clients"][org.id] = client
    loaded_at = client.server_metadata.get("_loaded_at")
    if loaded_at is not None and time.time() - loaded_at > METADATA_MAX_AGE:
        client.server_metadata.pop("_loaded_at", None)
    return client


def _new_client(name: str, issuer: str, org: Organisation) -> FlaskOAuth2App:
    secret = org.oidc_client_secret or None
    client_kwargs = {"scope": SCOPES, "code_challenge_method": "S256",
                     "default_timeout": PROVIDER_TIMEOUT}
    if secret is None:  # a public client: PKCE alone binds the code to this browser
        client_kwargs["token_endpoint_auth_method"] = "none"
    return FlaskOAuth2App(
        FlaskIntegration(name), name, client_id=org.oidc_client_id.strip(),
        client_secret=secret, client_kwargs=client_kwargs,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration")


def load_metadata(client: FlaskOAuth2App, org: Organisation) -> dict:
    """Read the provider's discovery document and check that it is the configured issuer's.

    Raises requests' errors when the provider does not answer, ValueError for an answer that
    is not JSON, and ProviderUnusable for one that does not belong to the issuer.
    """
    issuer = issuer_of(org)
    if current_app.config["MODE"] == "production" and not _secure(issuer):
        raise ProviderUnusable("the issuer is not https")
    metadata = client.load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != issuer:
        client.server_metadata.pop("_loaded_at", None)
        raise ProviderUnusable("the discovery document names another issuer")
    return metadata


def _secure(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or parts.hostname in ("localhost", "127.0.0.1", "::1")


def public_url(endpoint: str, **values) -> str:
    """Return an absolute address on this site, from PUBLIC_URL when it is set."""
    base = current_app.config["PUBLIC_URL"] or request.url_root
    return base.rstrip("/") + url_for(endpoint, **values)


def remember_sign_in(org: Organisation, metadata: dict) -> None:
    """Note in the session cookie which provider this browser signed in through."""
    session[SESSION_SSO] = {"org": org.slug,
                            "logout": str(metadata.get("end_session_endpoint") or "")}


def provider_logout_url() -> str | None:
    """Return the provider's end-session address for a browser that signed in through one.

    Read it before the session is forgotten. It names the client and the way back to the
    login page; the provider ends its own session and returns the person there.
    """
    sso = session.get(SESSION_SSO)
    if not isinstance(sso, dict) or not sso.get("logout"):
        return None
    org = db_session().scalar(select(Organisation).where(Organisation.slug == sso.get("org")))
    if not configured(org):
        return None
    return add_params_to_uri(sso["logout"], {
        "client_id": org.oidc_client_id.strip(),
        "post_logout_redirect_uri": public_url("auth.login"),
        "ui_locales": current_language(),
    })


def allow_provider_logout(response):
    """Let the logout form's redirect reach the provider (an after_request hook).

    Browsers apply the page's form-action to every redirect a form submission follows, so
    the pages of a browser signed in through a provider name its end-session origin too.
    """
    if request.endpoint == "static":
        return response
    sso = session.get(SESSION_SSO)
    csp = response.headers.get("Content-Security-Policy")
    if not isinstance(sso, dict) or not sso.get("logout") or not csp:
        return response
    parts = urlsplit(sso["logout"])
    if parts.scheme in ("http", "https") and parts.netloc:
        origin = f"{parts.scheme}://{parts.netloc}"
        response.headers["Content-Security-Policy"] = csp.replace(
            "form-action 'self'", f"form-action 'self' {origin}")
    return response


def init_app(app: Flask) -> None:
    """Give the app its own set of clients."""
    app.extensions[_EXTENSION] = {"lock": threading.Lock(), "clients": {}}
