"""Chair login, logout, rate limiting and CSRF on every form."""

from __future__ import annotations

import re

import pytest

from sip_meeting import create_app


def test_login_shows_dashboard_and_logout_ends_session(client, make_chair, login):
    make_chair()
    response = login()
    assert response.status_code == 302
    assert "Mina möten" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("email,password", [
    ("chair@example.se", "wrong password"),
    ("nobody@example.se", "correct horse battery"),
    ("", ""),
])
def test_wrong_credentials_are_refused_with_a_message(client, make_chair, login, email, password):
    make_chair()
    response = login(email, password)
    assert response.status_code == 400
    assert client.get("/").status_code == 302
    assert "/login" in client.get("/").headers["Location"]


def test_wrong_password_message_is_translated(client, make_chair):
    make_chair()
    body = client.post("/login", data={"email": "chair@example.se", "password": "x"}).get_data(
        as_text=True)
    assert "Fel e-post eller lösenord." in body


def test_login_redirect_stays_on_this_site(client, make_chair):
    make_chair()
    response = client.post("/login?next=//evil.example/x",
                           data={"email": "chair@example.se", "password": "correct horse battery"})
    assert response.headers["Location"] == "/"


def test_login_is_rate_limited(database_url, tmp_path, make_chair):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": database_url,
                      "WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "3 per minute",
                      "RATELIMIT_ENABLED": True,
                      "INSTANCE_PATH": str(tmp_path)})
    client = app.test_client()
    codes = [client.post("/login", data={"email": "a@b.se", "password": "x"}).status_code
             for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    assert "För många försök" in client.post("/login", data={}).get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(client, make_chair, login):
    make_chair()
    cookie = login().headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def csrf_app(database_url, tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": database_url,
                       "RATELIMIT_ENABLED": False, "INSTANCE_PATH": str(tmp_path)})


def _post_urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/static"):
            urls.append(re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule))
    return urls


def test_every_form_requires_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    urls = _post_urls(csrf_app)
    assert len(urls) >= 8
    for url in urls:
        response = client.post(url, data={"email": "a@b.se", "password": "x"})
        assert response.status_code == 400, url
        assert "Formuläret har gått ut" in response.get_data(as_text=True), url


def test_form_with_csrf_token_is_accepted(csrf_app, make_chair):
    make_chair()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": "chair@example.se",
                                           "password": "correct horse battery",
                                           "csrf_token": token})
    assert response.status_code == 302
