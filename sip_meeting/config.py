"""Configuration: defaults, then the instance file, then SIP_MEETING_* variables, then tests."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask


class Defaults:
    """Settings every deployment starts from; each one is listed in the README."""

    # "development" generates and keeps a secret key; "production" refuses to start without one.
    MODE = "development"
    SECRET_KEY = None
    DATABASE_URL = None  # None means SQLite in the instance folder
    # FULL: every acknowledged edit survives even a power cut (see docs/decisions/0006).
    SQLITE_SYNCHRONOUS = "FULL"
    SOCKETIO_MESSAGE_QUEUE = None  # redis://... when several server processes run
    # The queue's channel: Redis shares channels across its numbered databases, so two
    # deployments on one Redis each need their own, or each receives the other's meetings.
    SOCKETIO_CHANNEL = "flask-socketio"
    # gevent: one loop serves every socket; `sip-meeting serve` patches the standard library
    # for it first. The variable SIP_MEETING_SOCKETIO_ASYNC_MODE=threading chooses threads.
    SOCKETIO_ASYNC_MODE = "gevent"
    SOCKETIO_ASYNC_HANDLERS = False
    ALLOWED_ORIGINS = None  # None: only the address the page was served from
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("sv", "en")
    JOIN_LINK_DAYS_AFTER_CLOSE = 30
    LOGIN_RATE_LIMIT = "5 per minute;30 per hour"
    RATELIMIT_STORAGE_URI = "memory://"
    PUBLIC_URL = None  # e.g. https://sip.kommun.se, used in invitations and QR codes
    TRUSTED_PROXIES = 0  # reverse proxies in front whose X-Forwarded-* headers are trusted
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # a form left open through a long meeting must still submit
    MAX_CONTENT_LENGTH = 1024 * 1024
    RULES_PATH = None
    # The follow-up must be booked after the meeting and at most this many months later.
    FOLLOWUP_MAX_MONTHS = 6
    # The statistics show no count below this (nor a share computed from one): small groups
    # point out families (sip_meeting/stats.py).
    STATS_MIN_CELL = 5
    # Findings and glossary terms are recomputed once writing pauses for ANNOTATION_DELAY
    # seconds, and at least every ANNOTATION_MAX_WAIT seconds while someone keeps writing
    # (each meeting draws its wait between three quarters of it and all of it).
    ANNOTATION_DELAY = 0.4
    ANNOTATION_MAX_WAIT = 2.0
    # A server process writes that it is alive every third of this; one silent for this long
    # is taken for dead and its sockets no longer count as anyone's presence.
    LIVE_SERVER_STALE_SECONDS = 30
    # Limits no real meeting reaches, against one device flooding it (see live_limits.py):
    # open sockets per participant over every process (a phone, a laptop, a reloaded page or
    # two), and per socket a token bucket of events (`sync` included) and one of `typing`.
    # A person writing sends about one event a second. A rate of 0 turns its limit off.
    LIVE_MAX_SOCKETS_PER_PARTICIPANT = 5
    LIVE_EVENTS_PER_SECOND = 20
    LIVE_EVENTS_BURST = 40
    LIVE_TYPING_PER_SECOND = 2
    LIVE_TYPING_BURST = 5
    GLOSSARY_PATH = None
    SMTP_HOST = None  # without it, email is simply not offered
    SMTP_PORT = 587
    SMTP_USERNAME = None
    SMTP_PASSWORD = None
    SMTP_STARTTLS = True
    SMTP_TIMEOUT = 30
    MAIL_FROM = None
    EMAIL_PLAN_AFTER_CLOSE = True  # send the plan to everyone with an address when a meeting closes


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill app.config in the documented order and check what production requires."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SIP_MEETING")
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'sip_meeting.sqlite'}"
    if not app.config["SECRET_KEY"]:
        if app.config["MODE"] == "production":
            raise RuntimeError(
                "SIP_MEETING_SECRET_KEY must be set in production mode "
                "(a long random value, e.g. from "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`)."
            )
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if app.config["MODE"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True


def _instance_secret(instance: Path) -> str:
    """Return the secret kept in the instance folder, creating it on first start."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process started at the same moment and won
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key
