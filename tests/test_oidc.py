"""Sign-in through an organisation's OpenID Connect provider, against a real provider process.

oidc-provider-mock runs as its own process on a free port. A test sets the person's claims
there, opens the application's sign-in like a browser, submits the provider's authorization
form with the subject it chose, and brings the provider's redirect back to the application.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.flask_client import FlaskOAuth2App
from flask import url_for
from sqlalchemy import func, select

from sip_meeting import create_app
from sip_meeting.db import atomic, utcnow
from sip_meeting.models import BrowserSession, Chair, Organisation

CLIENT_ID = "sip-meeting"
CALLBACK = "http://localhost/login/sso/default/callback"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Provider:
    """An oidc-provider-mock process, stopped when the test session ends."""

    def __init__(self, log_path, *options: str):
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(self.port),
             "--require-nonce=true", *options],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2)
                break
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the OpenID provider did not start; see {log_path}") \
                        from None
                time.sleep(0.1)

    def set_user(self, sub: str, claims: dict) -> None:
        """Give a subject the claims its next sign-in carries."""
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        assert response.status_code == 204, response.text

    def authorize(self, authorization_url: str, sub: str | None) -> str:
        """Submit the provider's form (a subject, or None to deny); return its redirect."""
        data = {"sub": sub} if sub is not None else {"action": "deny"}
        response = requests.post(authorization_url, data=data, allow_redirects=False,
                                 timeout=10)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    """A provider whose tokens are valid for an hour."""
    running = Provider(tmp_path_factory.mktemp("oidc") / "provider.log")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def expired_provider(tmp_path_factory):
    """A provider whose ID tokens expired ten minutes before they are issued."""
    running = Provider(tmp_path_factory.mktemp("oidc") / "expired.log",
                       "--token-max-age=-600")
    yield running
    running.stop()


def configure(app, issuer: str, **settings) -> None:
    """Point the first organisation at a provider, with the roles the tests use."""
    values = {"oidc_issuer": issuer, "oidc_client_id": CLIENT_ID,
              "oidc_client_secret": "client-secret", "oidc_role_claim": "groups",
              "oidc_admin_values": "sip-admins", "oidc_chair_values": "sip-chairs\nsamordnare",
              "oidc_id_claim": "hsa_id"}
    values.update(settings)
    with app.app_context(), atomic() as s:
        org = s.get(Organisation, 1)
        for name, value in values.items():
            setattr(org, name, value)


@pytest.fixture
def sso(app, provider):
    """The first organisation signing in through the provider."""
    configure(app, provider.issuer)
    return provider


def person(groups, email: str | None = None, **claims) -> tuple[str, dict]:
    """Return a new subject and its claims."""
    sub = f"user-{uuid.uuid4().hex[:12]}"
    values = {"email": email or f"{sub}@kommun.example.se", "name": "Karin Holm",
              "groups": groups, **claims}
    return sub, values


def start(client, slug: str = "default", **args) -> str:
    """Open the application's sign-in and return the provider's authorization address."""
    response = client.get(f"/login/sso/{slug}", query_string=args)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def come_back(client, redirect: str):
    """Follow the provider's redirect back into the application."""
    parts = urlsplit(redirect)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, provider, sub: str, claims: dict):
    """Sign in through the provider as this subject, and return the callback's answer."""
    provider.set_user(sub, claims)
    return come_back(client, provider.authorize(start(client), sub))


def accounts(app) -> list[Chair]:
    with app.app_context(), atomic() as s:
        return list(s.scalars(select(Chair).order_by(Chair.id)))


def form_action(response) -> str:
    """Return where the page's Content-Security-Policy lets its forms go."""
    for directive in response.headers["Content-Security-Policy"].split(";"):
        name, _, value = directive.strip().partition(" ")
        if name == "form-action":
            return value
    return ""


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_sign_in_makes_a_chair_from_a_group(app, client, sso):
    authorization_url = start(client)
    params = parse_qs(urlsplit(authorization_url).query)
    assert authorization_url.startswith(f"{sso.issuer}/oauth2/authorize?")
    assert params["client_id"] == [CLIENT_ID]
    assert params["redirect_uri"] == [CALLBACK]
    assert params["response_type"] == ["code"]
    assert set(params["scope"][0].split()) == {"openid", "email", "profile"}
    assert params["code_challenge_method"] == ["S256"] and params["code_challenge"][0]
    assert params["state"][0] and params["nonce"][0]

    sub, claims = person(["staff", "sip-chairs"], hsa_id="SE2321000016-abc1")
    sso.set_user(sub, claims)
    response = come_back(client, sso.authorize(authorization_url, sub))

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert logged_in(client)
    [chair] = accounts(app)
    assert (chair.organisation_id, chair.oidc_subject, chair.email) == (1, sub, claims["email"])
    assert chair.is_chair and not chair.is_admin
    assert chair.password_hash is None
    assert (chair.name, chair.hsa_id) == ("Karin Holm", "SE2321000016-abc1")
    assert chair.last_login_at is not None


def test_claims_missing_from_the_id_token_come_from_userinfo(app, client, sso, monkeypatch):
    """Some providers put groups only in the userinfo answer, not in the ID token."""
    original = FlaskOAuth2App.parse_id_token

    def without_groups(self, *args, **kwargs):
        verified = original(self, *args, **kwargs)
        return type(verified)({k: v for k, v in verified.items() if k not in ("groups",
                                                                              "hsa_id")})

    monkeypatch.setattr(FlaskOAuth2App, "parse_id_token", without_groups)
    sub, claims = person(["sip-chairs"], hsa_id="SE2321000016-xyz9")
    assert sign_in(client, sso, sub, claims).headers["Location"] == "/"
    [chair] = accounts(app)
    assert chair.is_chair and chair.hsa_id == "SE2321000016-xyz9"


def test_administrator_role_from_a_group_and_roles_read_again(app, client, sso):
    # The role claim may be a string of values separated by spaces or commas.
    sub, claims = person("staff, sip-admins")
    response = sign_in(client, sso, sub, claims)
    with app.test_request_context():
        admin_home = url_for("admin.index") if "admin.index" in app.view_functions \
            else url_for("chair.dashboard")
    assert response.status_code == 302 and response.headers["Location"] == admin_home
    [chair] = accounts(app)
    assert chair.is_admin and not chair.is_chair

    # The provider moves the person to the chairs' group: the next sign-in says so.
    claims["groups"] = ["samordnare"]
    other = app.test_client()
    assert sign_in(other, sso, sub, claims).headers["Location"] == "/"
    [chair] = accounts(app)
    assert chair.is_chair and not chair.is_admin
    assert logged_in(other)


def test_an_invited_account_is_linked_by_its_email(app, client, sso, make_chair):
    invited = make_chair(email="anna.berg@kommun.example.se", name="Anna")
    sub, claims = person(["sip-chairs"], email="Anna.Berg@kommun.example.se",
                         name="Anna Berg")
    assert sign_in(client, sso, sub, claims).status_code == 302
    [chair] = accounts(app)
    assert chair.id == invited.id
    assert (chair.oidc_subject, chair.name) == (sub, "Anna Berg")
    assert logged_in(client)
    # Signed in once, the subject finds the account even after the address changes.
    claims["email"] = "anna.berg2@kommun.example.se"
    other = app.test_client()
    assert sign_in(other, sso, sub, claims).status_code == 302
    [chair] = accounts(app)
    assert (chair.id, chair.email) == (invited.id, "anna.berg2@kommun.example.se")


def test_an_account_of_another_organisation_is_not_linked(app, client, sso, make_chair):
    with app.app_context(), atomic() as s:
        other_org = Organisation(slug="region", name="Regionen")
        s.add(other_org)
        s.flush()
        s.add(Chair(organisation_id=other_org.id, email="per@kommun.example.se",
                    password_hash=None))
    sub, claims = person(["sip-chairs"], email="per@kommun.example.se")
    response = sign_in(client, sso, sub, claims)
    assert response.status_code == 409
    assert "cannot be connected" in response.get_data(as_text=True) \
        or "kan inte kopplas" in response.get_data(as_text=True)
    assert [c.oidc_subject for c in accounts(app)] == [None]
    assert not logged_in(client)


def test_someone_without_a_role_is_refused_and_gets_no_account(app, client, sso, caplog):
    caplog.set_level(logging.DEBUG)
    sub, claims = person(["staff", "teachers"])
    response = sign_in(client, sso, sub, claims)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Du har ingen roll i SIP-möte hos Organisation" in page
    assert accounts(app) == []
    assert not logged_in(client)
    # The application's log says why, not who.
    logged = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("sip_meeting"))
    assert "no role" in logged
    assert sub not in logged and claims["email"] not in logged and "Karin" not in logged


def test_the_refusal_is_in_english_for_an_english_reader(app, client, sso):
    sub, claims = person([])
    sso.set_user(sub, claims)
    redirect = sso.authorize(start(client), sub)
    parts = urlsplit(redirect)
    response = client.get(f"{parts.path}?{parts.query}", headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert "You have no role in SIP meeting at Organisation" in response.get_data(as_text=True)


def test_a_deactivated_account_is_refused(app, client, sso, make_chair):
    sub, claims = person(["sip-chairs"])
    assert sign_in(client, sso, sub, claims).status_code == 302
    with app.app_context(), atomic() as s:
        s.scalar(select(Chair)).deactivated_at = utcnow()
    other = app.test_client()
    response = sign_in(other, sso, sub, claims)
    assert response.status_code == 403
    assert "Ditt konto är inaktiverat" in response.get_data(as_text=True)
    assert not logged_in(other)
    # A deactivated account found by its email is refused too, and not linked.
    make_chair(email="lisa@kommun.example.se")
    with app.app_context(), atomic() as s:
        s.scalar(select(Chair).where(Chair.email == "lisa@kommun.example.se")) \
            .deactivated_at = utcnow()
    sub2, claims2 = person(["sip-chairs"], email="lisa@kommun.example.se")
    assert sign_in(app.test_client(), sso, sub2, claims2).status_code == 403
    assert sub2 not in [c.oidc_subject for c in accounts(app)]


def test_logout_ends_the_session_and_the_providers(app, client, sso):
    sub, claims = person(["sip-chairs"])
    sign_in(client, sso, sub, claims)
    # Browsers hold a form's redirects to the page's form-action: the provider is allowed.
    assert form_action(client.get("/")) == f"'self' {sso.issuer}"

    response = client.post("/logout")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{sso.issuer}/oauth2/end_session?")
    params = parse_qs(urlsplit(location).query)
    assert params["client_id"] == [CLIENT_ID]
    assert params["post_logout_redirect_uri"] == ["http://localhost/login"]
    # Ended here first: the session is over on the server whatever the provider does.
    assert not logged_in(client)
    with app.app_context(), atomic() as s:
        assert s.scalar(select(func.count()).select_from(BrowserSession)
                        .where(BrowserSession.ended_at.is_(None))) == 0

    # The provider ends its session and sends the browser back to the login page.
    confirm = requests.get(location, timeout=10)
    assert confirm.status_code == 200
    back = requests.post(f"{sso.issuer}/oauth2/end_session/confirm",
                         data={"redirect_uri": params["post_logout_redirect_uri"][0]},
                         allow_redirects=False, timeout=10)
    assert back.headers["Location"] == "http://localhost/login"
    page = client.get("/login")
    assert "Du är utloggad" in page.get_data(as_text=True)
    assert form_action(page) == "'self'"


def test_a_password_login_logs_out_here_only(app, client, sso, make_chair, login):
    make_chair()
    login()
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"


def test_cancelling_at_the_provider_is_explained(app, client, sso):
    response = come_back(client, sso.authorize(start(client), None))
    assert response.status_code == 400
    assert "Du avbröt inloggningen" in response.get_data(as_text=True)
    assert accounts(app) == []


def test_a_wrong_or_replayed_state_is_refused(app, client, sso):
    sub, claims = person(["sip-chairs"])
    sso.set_user(sub, claims)
    redirect = sso.authorize(start(client), sub)
    parts = urlsplit(redirect)
    query = parse_qs(parts.query)
    forged = client.get(parts.path, query_string={"code": query["code"][0], "state": "forged"})
    assert forged.status_code == 400
    assert "startades i ett annat fönster" in forged.get_data(as_text=True)
    assert accounts(app) == []

    assert come_back(client, redirect).status_code == 302
    # The same answer again belongs to no sign-in any more.
    assert come_back(app.test_client(), redirect).status_code == 400
    assert come_back(client, redirect).status_code == 400


def test_a_code_issued_to_another_browser_is_refused(app, client, sso):
    """The ID token's nonce is the other browser's, so it is not this sign-in's token."""
    victim = app.test_client()
    sub, claims = person(["sip-chairs"])
    sso.set_user(sub, claims)
    stolen = urlsplit(sso.authorize(start(client), sub))
    own_state = parse_qs(urlsplit(start(victim)).query)["state"][0]
    response = victim.get(stolen.path, query_string={
        "code": parse_qs(stolen.query)["code"][0], "state": own_state})
    assert response.status_code == 400
    assert "kunde inte kontrolleras" in response.get_data(as_text=True)
    assert accounts(app) == []
    assert not logged_in(victim)


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["groups"] = ["sip-admins"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_tampered_id_token_is_refused(app, client, sso, monkeypatch):
    original = FlaskOAuth2App.fetch_access_token

    def tampered(self, *args, **kwargs):
        token = original(self, *args, **kwargs)
        token["id_token"] = _tamper(token["id_token"])
        return token

    monkeypatch.setattr(FlaskOAuth2App, "fetch_access_token", tampered)
    sub, claims = person(["sip-chairs"])
    response = sign_in(client, sso, sub, claims)
    assert response.status_code == 400
    assert "kunde inte kontrolleras" in response.get_data(as_text=True)
    assert accounts(app) == []
    assert not logged_in(client)


def test_an_expired_id_token_is_refused(app, client, expired_provider):
    configure(app, expired_provider.issuer)
    sub, claims = person(["sip-chairs"])
    response = sign_in(client, expired_provider, sub, claims)
    assert response.status_code == 400
    assert "kunde inte kontrolleras" in response.get_data(as_text=True)
    assert accounts(app) == []


@pytest.mark.parametrize("where", ["closed port", "no discovery document"])
def test_a_provider_that_does_not_answer_is_explained(app, client, provider, where):
    issuer = f"http://127.0.0.1:{_free_port()}" if where == "closed port" \
        else f"{provider.issuer}/nowhere"
    configure(app, issuer)
    response = client.get("/login/sso/default")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Inloggningstjänsten för Organisation svarar inte just nu" in page
    # Back from a provider that went down meanwhile: the same message, nothing stored.
    callback = client.get("/login/sso/default/callback", query_string={"code": "x",
                                                                        "state": "y"})
    assert callback.status_code == 503
    assert accounts(app) == []


def test_the_login_page_offers_each_provider(app, client, sso, make_chair):
    with app.app_context(), atomic() as s:
        s.add(Organisation(slug="region", name="Region Norrland"))  # passwords only
    page = client.get("/login?next=/plans/new").get_data(as_text=True)
    assert 'href="/login/sso/default?next=/plans/new"' in page
    assert "Logga in via Organisation" in page
    assert "Region Norrland" not in page
    assert 'name="password"' in page


def test_local_login_switched_off_hides_and_refuses_passwords(app, client, sso, make_chair):
    make_chair()
    configure(app, sso.issuer, local_login=False)
    page = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page
    assert "Logga in via Organisation" in page
    response = client.post("/login", data={"email": "chair@example.se",
                                           "password": "correct horse battery"})
    assert response.status_code == 400
    assert not logged_in(client)


def test_after_signing_in_the_chair_goes_where_they_were_going(app, client, sso):
    sub, claims = person(["sip-chairs"])
    sso.set_user(sub, claims)
    response = come_back(client, sso.authorize(start(client, next="/plans/new"), sub))
    assert response.headers["Location"] == "/plans/new"
    sub, claims = person(["sip-chairs"])
    sso.set_user(sub, claims)
    other = app.test_client()
    response = come_back(other, sso.authorize(start(other, next="//evil.example/x"), sub))
    assert response.headers["Location"] == "/"


def test_the_redirect_address_follows_public_url(app, client, sso):
    app.config["PUBLIC_URL"] = "https://sip.kommun.example.se/"
    params = parse_qs(urlsplit(start(client)).query)
    assert params["redirect_uri"] == ["https://sip.kommun.example.se/login/sso/default/callback"]


def test_changed_settings_make_a_new_client(app, client, sso):
    first = start(client)
    configure(app, sso.issuer, oidc_client_id="sip-meeting-2")
    second = start(app.test_client())
    assert parse_qs(urlsplit(second).query)["client_id"] == ["sip-meeting-2"]
    # A sign-in started under the old settings starts over.
    sub, claims = person(["sip-chairs"])
    sso.set_user(sub, claims)
    assert come_back(client, sso.authorize(first, sub)).status_code == 400
    assert accounts(app) == []


def test_an_organisation_without_a_provider_has_no_sign_in(app, client):
    assert client.get("/login/sso/default").status_code == 404
    assert client.get("/login/sso/default/callback").status_code == 404
    assert client.get("/login/sso/nobody").status_code == 404
    assert "/login/sso/" not in client.get("/login").get_data(as_text=True)


def test_sign_in_is_rate_limited_like_the_password_login(database_url, tmp_path, provider):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": database_url,
                      "LOGIN_RATE_LIMIT": "2 per minute", "RATELIMIT_ENABLED": True,
                      "INSTANCE_PATH": str(tmp_path)})
    configure(app, provider.issuer)
    client = app.test_client()
    assert [client.get("/login/sso/default").status_code for _ in range(3)] == [302, 302, 429]
    callback = "/login/sso/default/callback?state=x&code=y"
    assert [client.get(callback).status_code for _ in range(3)] == [400, 400, 429]
