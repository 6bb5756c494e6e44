"""Fixtures: an app per test on SQLite and on PostgreSQL, clients, and factories."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, time, timedelta

import pytest
from alembic import command as alembic_command
from sqlalchemy import create_engine, insert, select, text

from sip_meeting import create_app, planning
from sip_meeting.cli import alembic_config
from sip_meeting.db import Base, atomic, db_session, utcnow
from sip_meeting.models import FIRST_ORGANISATION_ID, Chair, Organisation
from sip_meeting.security import hash_password

PG_URL = os.environ.get("SIP_MEETING_TEST_DATABASE_URL")
# Redis for the tests of several server processes (.ci/run sets it); each test takes a
# channel and a key prefix of its own on it, so that runs sharing a Redis never mix.
REDIS_URL = os.environ.get("SIP_MEETING_TEST_REDIS_URL")
CHAIR_PASSWORD = "correct horse battery"
# Hashing with full Argon2 cost in every test would dominate the run; one hash is reused.
_CHAIR_HASH = hash_password(CHAIR_PASSWORD)


def _migrate(url: str, instance: str) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test", "TESTING": True,
                      "INSTANCE_PATH": instance})
    with app.app_context():
        alembic_command.upgrade(alembic_config(), "head")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """Migrate one SQLite database from empty; each test gets a copy."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite"
    _migrate(f"sqlite:///{path}", str(folder))
    return str(path)


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    """Reset the PostgreSQL test database and migrate it from empty once."""
    if not PG_URL:
        pytest.skip("PostgreSQL variant: set SIP_MEETING_TEST_DATABASE_URL to run it")
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _migrate(PG_URL, "/tmp")
    return PG_URL


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # The organisation the migration creates, as a freshly migrated database has it.
        conn.execute(insert(Organisation.__table__).values(
            id=FIRST_ORGANISATION_ID, slug="default", name="Organisation", kind="municipality",
            local_login=True, oidc_issuer="", oidc_client_id="", oidc_client_secret="",
            oidc_name_claim="name", oidc_email_claim="email", oidc_id_claim="",
            oidc_role_claim="groups", oidc_admin_values="", oidc_chair_values="",
            retention_months=24, purge_unexported=False, created_at=utcnow()))
        conn.execute(text("SELECT setval(pg_get_serial_sequence('organisations', 'id'), 1)"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """Yield a migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_migrated")
        _truncate_pg(url)
        yield url


@pytest.fixture
def pg_database_url(request) -> str:
    """Yield the migrated PostgreSQL test database, emptied (skipped without one)."""
    url = request.getfixturevalue("pg_migrated")
    _truncate_pg(url)
    return url


@pytest.fixture
def redis_url() -> str:
    """Return the test Redis (skipped when SIP_MEETING_TEST_REDIS_URL is unset)."""
    if not REDIS_URL:
        pytest.skip("several processes: set SIP_MEETING_TEST_REDIS_URL to run it")
    import redis

    try:
        with redis.Redis.from_url(REDIS_URL, socket_timeout=2) as client:
            client.ping()
    except redis.RedisError as error:
        pytest.fail(f"SIP_MEETING_TEST_REDIS_URL is set but Redis does not answer: {error}")
    return REDIS_URL


@pytest.fixture
def app(database_url, tmp_path):
    """Create an app bound to a fresh database."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "ANNOTATION_DELAY": 0,
        # In-process test clients run in plain threads; the gevent server that ships is
        # exercised through `sip-meeting serve` (the live_server fixture).
        "SOCKETIO_ASYNC_MODE": "threading",
        # Sending runs in a background thread; tests that want it turn it on and wait for it.
        "EMAIL_PLAN_AFTER_CLOSE": False,
        "INSTANCE_PATH": str(tmp_path / "instance"),
    })
    yield app


@pytest.fixture
def client(app):
    """Return an HTTP test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_chair(app):
    """Return a factory of chair accounts."""

    def make(email: str = "chair@example.se", name: str = "Eva Lund", **fields) -> Chair:
        """Fields: organisation_id, is_chair, is_admin, ... (see models.Chair)."""
        with app.app_context(), atomic() as session:
            chair = session.scalar(select(Chair).where(Chair.email == email))
            if chair is None:
                chair = Chair(email=email, name=name, password_hash=_CHAIR_HASH, **fields)
                session.add(chair)
        return chair

    return make


@pytest.fixture
def make_meeting(app, make_chair):
    """Return a factory of meetings (with their plan) owned by a chair."""

    def make(chair: Chair | None = None, child: str = "Alva", days: int = 7):
        chair = chair or make_chair()
        with app.app_context(), atomic() as session:
            chair = session.merge(chair)
            plan = planning.create_plan(session, chair, child)
            starts = planning.local_to_utc(date.today() + timedelta(days=days), time(13, 0))
            meeting = planning.schedule_meeting(session, chair, plan, starts,
                                                place="Skolan", purpose="Planera stödet")
        return meeting

    return make


@pytest.fixture
def make_participant(app):
    """Return a factory of participants with a join link; yields (participant, token)."""

    def make(meeting, name: str = "Sara Berg", role: str = "guardian",
             principal: str = "family", **fields):
        with app.app_context(), atomic() as session:
            from sip_meeting.models import Meeting

            m = session.get(Meeting, meeting.id)
            participant = planning.add_participant(session, m.chair, m, name=name, role=role,
                                                   principal=principal, **fields)
            token = planning.issue_link(session, m.chair, participant)
        return participant, token

    return make


@pytest.fixture
def login(client):
    """Log a chair in through the real login form."""

    def do(email: str = "chair@example.se", password: str = CHAIR_PASSWORD):
        return client.post("/login", data={"email": email, "password": password})

    return do


def meeting_form_url(app, form: str, meeting) -> str:
    """The address of a chair's meeting form: a new meeting, an edit, or a follow-up's booking
    (which needs the meeting closed first)."""
    from sip_meeting.models import Meeting

    if form == "new":
        return f"/plans/{meeting.plan_id}/meetings/new"
    if form == "edit":
        return f"/meetings/{meeting.id}/edit"
    with app.app_context(), atomic() as session:
        session.get(Meeting, meeting.id).status = "closed"
    return f"/plans/{meeting.plan_id}/followup"


def extract_token(html: str) -> str:
    """Find the join token in a page that shows a join link."""
    match = re.search(r"/j/([A-Za-z0-9_\-]{40,})", html)
    assert match, "no join link on the page"
    return match.group(1)


@pytest.fixture
def query(app):
    """Run a function with a database session inside an app context."""

    def run(fn):
        with app.app_context():
            return fn(db_session())

    return run


class LiveClient:
    """A browser in a live meeting: its own cookies (HTTP) and its socket."""

    def __init__(self, app, meeting_id: int, view: str, http):
        from sip_meeting.extensions import socketio

        self.meeting_id = meeting_id
        self.http = http
        self.socket = socketio.test_client(app, namespace="/live", flask_test_client=http,
                                           auth={"meeting": meeting_id, "view": view})
        self._counter = 0

    def call(self, event: str, payload=None):
        """Emit an event and return its acknowledgement."""
        return self.socket.emit(event, payload if payload is not None else {},
                                namespace="/live", callback=True)

    def op(self, event: str, **payload):
        """Emit an operation with a fresh op_id and return its acknowledgement."""
        self._counter += 1
        payload.setdefault("op_id", f"{id(self)}-{self._counter}")
        return self.call(event, payload)

    def received(self, name: str | None = None) -> list:
        """Return (and forget) the events received since the last call."""
        events = self.socket.get_received("/live")
        return [e["args"][0] for e in events if name is None or e["name"] == name]

    def snapshot(self) -> dict:
        """Sync from nothing and return the full state."""
        return self.call("sync", {"last_seq": None})["snapshot"]


@pytest.fixture
def live(app, make_chair, make_meeting, make_participant):
    """A live meeting with a chair console, a wall and a helper to join participants."""
    chair_http = app.test_client()
    make_chair()
    chair_http.post("/login", data={"email": "chair@example.se", "password": CHAIR_PASSWORD})
    meeting = make_meeting()

    class Live:
        def __init__(self):
            self.meeting = meeting
            self.chair = LiveClient(app, meeting.id, "console", chair_http)

        def wall(self) -> LiveClient:
            return LiveClient(app, meeting.id, "wall", chair_http)

        def join(self, name: str = "Sara Berg", role: str = "guardian", principal: str = "family",
                 admit: bool = True, **fields) -> LiveClient:
            participant, token = make_participant(meeting, name=name, role=role,
                                                  principal=principal, **fields)
            http = app.test_client()
            http.get(f"/j/{token}")
            client = LiveClient(app, meeting.id, "device", http)
            client.participant_id = participant.id
            client.token = token
            if admit:
                assert self.chair.op("admit", participant_id=participant.id)["ok"]
                client.received()
            return client

        def start(self):
            assert self.chair.op("start")["ok"]

        def end(self):
            """Close the meeting, overriding whatever blocks it with a reason, item by item.

            A plan without any action cannot close (no reason sets that aside): one action is
            added first, and what it lacks is set aside too.
            """
            refused = self.chair.op("end")
            if not all(b["overridable"] for b in refused.get("blockers", [])):
                assert self.chair.op("add_item", entity="action",
                                     values={"what": "Planen tas upp vid nästa möte"})["ok"]
                refused = self.chair.op("end")
            for blocker in refused.get("blockers", []):
                assert self.chair.op("override", rule=blocker["rule"],
                                     item_id=blocker["item_id"], reason="Tas vid nästa möte")["ok"]
            assert self.chair.op("end")["ok"]

    return Live()


@pytest.fixture(autouse=True)
def _dispose_engines(monkeypatch):
    """Close every connection pool a test's apps opened, so no connection outlives its test."""
    import sip_meeting.db as db_module

    engines = []
    original = db_module.make_engine

    def tracking(url: str, *args, **kwargs):
        engine = original(url, *args, **kwargs)
        engines.append(engine)
        return engine

    monkeypatch.setattr(db_module, "make_engine", tracking)
    yield
    for engine in engines:
        engine.dispose()


@pytest.fixture
def live_server(tmp_path):
    """Run a real server process with the demo seeded; stopped after the test."""
    from live_server import LiveServer

    server = LiveServer(tmp_path / "instance")
    server.start()
    yield server
    server.stop()
