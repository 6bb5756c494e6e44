"""Database engine, one session per application context, and the single commit helper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime

from flask import Flask, current_app, g
from sqlalchemy import DateTime, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


class Base(DeclarativeBase):
    """Declarative base of every model."""


class UTCDateTime(TypeDecorator):
    """Store naive UTC in the database and hand out aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def make_engine(url: str, sqlite_synchronous: str = "FULL") -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(synchronous: str):
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError("SQLITE_SYNCHRONOUS must be FULL or NORMAL")

    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return on_connect


def init_app(app: Flask) -> None:
    """Bind an engine and a session factory to the app and close sessions after each context."""
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        from pathlib import Path

        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    sqlite = app.config["DATABASE_URL"].startswith("sqlite")
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_SYNCHRONOUS"])
    app.extensions["sip_db"] = sessionmaker(bind=engine, expire_on_commit=False)
    # SQLite has one writer at a time. Its busy handler makes a second writer sleep with
    # back-off (tens of milliseconds under load, and under gevent the whole loop with it), so
    # the process queues its own writers instead: every transaction takes this lock.
    app.extensions["sip_db_writer"] = threading.RLock() if sqlite else None
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["sip_db"].kw["bind"]


def db_session() -> Session:
    """Return the session of the current application context."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["sip_db"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def atomic() -> Iterator[Session]:
    """Run a unit of work and commit it, or roll everything back on error.

    On SQLite the process's writers take turns (see init_app).
    """
    session = db_session()
    with current_app.extensions["sip_db_writer"] or nullcontext():
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
