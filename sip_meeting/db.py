"""Database engine, one session per application context, and the single commit helper."""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Table, bindparam, create_engine, event, insert
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
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
    psycopg = url.startswith("postgresql+psycopg")
    # A pooled connection the database ended (a restart) must not fail the next edit. The
    # pool's pre-ping asks the server every time, one round trip more per event; with
    # psycopg the connection is read without waiting instead, and asked only if in doubt.
    engine = create_engine(url, pool_pre_ping=not psycopg, pool_size=10, max_overflow=20)
    if psycopg:
        event.listen(engine, "checkout", _ping_if_in_doubt(engine.dialect))
        if _gevent_patched():
            event.listen(engine, "do_connect", _connect_for_gevent)
    return engine


def _ping_if_in_doubt(dialect: Dialect) -> Callable[..., None]:
    """Check a psycopg connection as the pool hands it out; replace it if it has ended.

    What the server sent to an idle connection is read without waiting: a connection it
    ended has its error and its end of stream there, so reading marks it broken. Only a
    connection that is not idle and sound is pinged (docs/decisions/0017).
    """
    from sqlalchemy.exc import DisconnectionError

    def on_checkout(driver: Any, _record: Any, _proxy: Any) -> None:
        if not driver.closed and not driver.broken:
            pgconn = driver.pgconn
            try:
                pgconn.consume_input()  # libpq's socket never blocks
            except Exception:  # noqa: BLE001  (a failed read is a connection to replace)
                raise DisconnectionError("the database ended the connection") from None
            if pgconn.status == 0 and pgconn.transaction_status == 0 \
                    and not pgconn.is_busy():  # CONNECTION_OK, PQTRANS_IDLE
                return
        try:
            dialect.do_ping(driver)
        except dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the database ended the connection") from error

    return on_checkout


def _gevent_patched() -> bool:
    import sys

    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("select")


def _connect_for_gevent(_dialect, _record, cargs, cparams):
    """Open a psycopg connection that waits for the server on gevent's loop directly.

    psycopg sees the patched `select` and waits through gevent's `select.poll()`, which
    builds a poll object, a watcher per call and a timer for every wait; one edit waits
    about ten times (docs/decisions/0017).
    """
    from .pg_gevent import GeventConnection

    return GeventConnection.connect(*cargs, **cparams)


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


@contextmanager
def consistent_read() -> Iterator[Session]:
    """Read several statements' worth of the database as one moment (a snapshot of a meeting).

    PostgreSQL reads each statement anew under READ COMMITTED, so a meeting's sequence number
    and its plan could come from either side of a commit: the transaction is made REPEATABLE
    READ instead, which never blocks a writer. SQLite's writers in this process take turns
    on one lock (init_app); holding it while reading keeps their commits out.
    """
    session = db_session()
    writer = current_app.extensions["sip_db_writer"]
    session.commit()  # what was read before belongs to another moment
    session.expunge_all()
    if writer is None:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    with writer or nullcontext():
        try:
            yield session
        finally:
            session.rollback()


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


class Precompiled:
    """A fixed Core statement, compiled once per dialect and run on the driver's own cursor.

    For the statements that run every time someone pauses typing: SQLAlchemy's work around
    executing a statement cost more than the database's own (docs/decisions/0011). The SQL
    and the conversion of values (JSON, UTC datetimes, dates, booleans) are still
    SQLAlchemy's: the session's dialect compiles the statement once, and its types' bind and
    result processors are looked up once. It runs in the session's transaction. Every
    parameter must be given, since column defaults are not applied, and no ORM events fire.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    @classmethod
    def insert_into(cls, table: Table, *columns: str) -> Precompiled:
        """Insert one row giving these columns, each from the parameter of the same name.

        Compiled inline, so that PostgreSQL does not return the new key nobody reads.
        """
        return cls(insert(table).inline().values({name: bindparam(name) for name in columns}))

    def execute(self, session: Session, params: dict[str, Any], *,
                retry: bool = True) -> list[Any]:
        """Run the statement with `params`; return its rows (attributes named as its columns).

        A statement that opens the transaction and finds its connection ended by the
        database (a restart, between the pool's check and this statement) runs once more on
        a new connection: nothing of the transaction had reached the database.
        """
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name) or self._compile(dialect)
        parameters = compiled.parameters(params)
        pooled = connection.connection
        pgconn = getattr(pooled.driver_connection, "pgconn", None)
        opens = pgconn is not None and pgconn.transaction_status == 0  # PQTRANS_IDLE
        cursor = _cursor(pooled)
        try:
            cursor.execute(compiled.sql, parameters)
            # Whether rows come back is known from the statement: asking the cursor for its
            # description builds an object per column on psycopg.
            rows = cursor.fetchall() if compiled.returns_rows else []
        except dialect.loaded_dbapi.Error as error:
            if retry and opens and pooled.driver_connection.broken \
                    and not (session.new or session.dirty or session.deleted):
                connection.invalidate()
                session.rollback()
                return self.execute(session, params, retry=False)
            # The same exception as SQLAlchemy's own execution raises.
            raise DBAPIError.instance(compiled.sql, parameters, error,
                                      dialect.loaded_dbapi.Error, dialect=dialect) from error
        return [compiled.row(row) for row in rows]

    def first(self, session: Session, params: dict[str, Any]) -> Any:
        """Run the statement; return its first row or None."""
        rows = self.execute(session, params)
        return rows[0] if rows else None

    def scalar(self, session: Session, params: dict[str, Any]) -> Any:
        """Run the statement; return the first column of its first row, or None."""
        row = self.first(session, params)
        return None if row is None else row[0]

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        binds = {name: bind for bind, name in compiled.bind_names.items()}
        names = tuple(compiled.positiontup if compiled.positional else binds)
        columns = list(self.statement.exported_columns)  # selected or returned
        self._compiled[dialect.name] = result = _Compiled(
            sql=compiled.string,
            names=names,
            positional=compiled.positional,
            fixed={name: bind.effective_value for name, bind in binds.items()
                   if not bind.required},
            to_db={name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                   for name, bind in binds.items()},
            returns_rows=bool(columns),
            make_row=namedtuple("Row", [c.key for c in columns], rename=True),
            from_db=tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                          for c in columns),
        )
        return result


def _cursor(pooled: Any) -> Any:
    """Return the cursor kept with a pooled driver connection, made at its first use.

    A cursor per statement cost psycopg more than running it. The pool clears `info` when
    it replaces a connection; the cursor is checked against its connection all the same.
    """
    driver = pooled.driver_connection
    kept = pooled.info.get("sip_cursor")
    if kept is None or kept[0] is not driver:
        kept = pooled.info["sip_cursor"] = (driver, driver.cursor())
    return kept[1]


@dataclass(frozen=True)
class _Compiled:
    """A statement as one dialect runs it."""

    sql: str
    names: tuple[str, ...]  # of the parameters, in the order the SQL takes them if positional
    positional: bool
    fixed: dict[str, Any]  # parameters whose values are part of the statement
    to_db: dict[str, Callable[[Any], Any] | None]
    returns_rows: bool
    make_row: Callable[..., Any]
    from_db: tuple[Callable[[Any], Any] | None, ...]

    def parameters(self, given: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = {}
        for name in self.names:
            value = given[name] if name in given else self.fixed[name]  # KeyError if missing
            convert = self.to_db[name]
            values[name] = value if convert is None else convert(value)
        return tuple(values[name] for name in self.names) if self.positional else values

    def row(self, raw: tuple[Any, ...]) -> Any:
        return self.make_row(*(value if convert is None else convert(value)
                               for convert, value in zip(self.from_db, raw, strict=True)))


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
