"""The app factory and the order in which configuration is read."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sip_meeting import create_app
from sip_meeting.db import db_session


def test_config_order_defaults_instance_env_test(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        "JOIN_LINK_DAYS_AFTER_CLOSE = 10\nPUBLIC_URL = 'https://from-file'\n"
        "LOGIN_RATE_LIMIT = 'from file'\n"
    )
    monkeypatch.setenv("SIP_MEETING_PUBLIC_URL", "https://from-env")
    monkeypatch.setenv("SIP_MEETING_LOGIN_RATE_LIMIT", "from env")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "LOGIN_RATE_LIMIT": "from test"})
    assert app.config["BABEL_DEFAULT_LOCALE"] == "sv"  # default
    assert app.config["JOIN_LINK_DAYS_AFTER_CLOSE"] == 10  # instance file over default
    assert app.config["PUBLIC_URL"] == "https://from-env"  # environment over file
    assert app.config["LOGIN_RATE_LIMIT"] == "from test"  # test mapping over everything


def test_env_values_are_parsed_as_json(tmp_path, monkeypatch):
    monkeypatch.setenv("SIP_MEETING_JOIN_LINK_DAYS_AFTER_CLOSE", "5")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["JOIN_LINK_DAYS_AFTER_CLOSE"] == 5


def test_secret_key_generated_once_and_kept(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_secret(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "MODE": "production"})


def test_production_sets_secure_cookies(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "MODE": "production", "SECRET_KEY": "x" * 64})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_default_database_is_sqlite_in_instance_folder(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'sip_meeting.sqlite'}"


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        session = db_session()
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_sqlite_durability_setting_is_checked(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLITE_SYNCHRONOUS": "NORMAL"})
    with app.app_context():
        assert db_session().execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLITE_SYNCHRONOUS": "OFF"})


def test_invalid_rules_file_stops_start_up_naming_it(tmp_path):
    from sip_meeting.rules import RuleError

    bad = tmp_path / "kommun-regler.toml"
    bad.write_text("[thresholds]\nfamily = -1\n")
    with pytest.raises(RuleError, match="kommun-regler.toml"):
        create_app({"INSTANCE_PATH": str(tmp_path), "RULES_PATH": str(bad)})


def test_invalid_glossary_stops_start_up_naming_the_file(tmp_path):
    from sip_meeting.glossary import GlossaryError

    folder = tmp_path / "ordlista"
    folder.mkdir()
    (folder / "trasig.toml").write_text("this is = = not toml")
    with pytest.raises(GlossaryError, match="trasig.toml"):
        create_app({"INSTANCE_PATH": str(tmp_path), "GLOSSARY_PATH": str(folder)})


def test_behind_a_proxy_links_use_the_forwarded_address(tmp_path):
    from flask import request

    seen = {}
    for proxies, expected in ((1, "https://sip.kommun.se/"), (0, "http://localhost/")):
        app = create_app({"INSTANCE_PATH": str(tmp_path), "TRUSTED_PROXIES": proxies})
        app.add_url_rule("/_where", "where", lambda: seen.update(root=request.url_root) or "")
        app.test_client().get("/_where", headers={"X-Forwarded-Proto": "https",
                                                  "X-Forwarded-Host": "sip.kommun.se"})
        assert seen["root"] == expected


def test_sqlite_writers_of_one_process_take_turns(app, make_meeting):
    """On SQLite a second unit of work waits for the first to commit, and then sees its change;
    on PostgreSQL it is not held up by a transaction that does not touch its rows."""
    import threading

    from sqlalchemy import select, update

    from sip_meeting.db import atomic
    from sip_meeting.models import Meeting

    meeting_id = make_meeting().id
    writing, release, seen = threading.Event(), threading.Event(), []

    def first() -> None:
        with app.app_context(), atomic() as session:
            session.execute(update(Meeting).where(Meeting.id == meeting_id)
                            .values(place="Ny plats"))
            writing.set()
            release.wait(10)

    def second() -> None:
        with app.app_context(), atomic() as session:
            seen.append(session.scalar(select(Meeting.place).where(Meeting.id == meeting_id)))

    writer = threading.Thread(target=first)
    writer.start()
    assert writing.wait(10)
    reader = threading.Thread(target=second)
    reader.start()
    reader.join(0.5)
    waited = reader.is_alive()
    release.set()
    writer.join(10)
    reader.join(10)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        assert waited and seen == ["Ny plats"]
    else:
        assert not waited and seen == ["Skolan"]
