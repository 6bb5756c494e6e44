"""Commands of `sip-meeting`: database, chair accounts, the demo and listings."""

from __future__ import annotations

import errno
import gc
import json
import os
import socket
import sys
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from . import admin_log, browser_sessions, retention, revocation
from .db import atomic, db_session
from .demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from .extensions import socketio
from .fhir import plan_bundle_json
from .glossary_cli import glossary
from .handover import export_version
from .models import Chair, Meeting
from .org_cli import org, organisation_by_slug
from .purge_cli import purge
from .remind_cli import remind
from .rules.cli import lint
from .security import hash_password
from .stats_cli import stats
from .versions import meeting_version

db_group = AppGroup("db", help="Create and migrate the database.")
MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> AlembicConfig:
    """Return an Alembic configuration for the current app's database."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = current_app.config["DATABASE_URL"]
    return config


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (the newest by default)."""
    alembic_command.upgrade(alembic_config(), revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    alembic_command.revision(alembic_config(), message=message, autogenerate=True)


@click.command("create-chair")
@with_appcontext
@click.argument("email")
@click.option("--name", default="", help="The chair's name as participants see it.")
@click.option("--organisation", "slug", default=None,
              help="The organisation's short name (default: the first organisation).")
@click.option("--admin", is_flag=True, help="Make the account an administrator too.")
@click.option("--no-chair", is_flag=True, help="Without the chair role (with --admin).")
@click.password_option(help="Asked for when not given.")
def create_chair(email: str, name: str, slug: str | None, admin: bool, no_chair: bool,
                 password: str) -> None:
    """Create an account that can log in: a chair, an administrator (--admin), or both."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise click.BadParameter("not an email address", param_hint="EMAIL")
    if no_chair and not admin:
        raise click.BadParameter("an account without the chair role needs --admin",
                                 param_hint="--no-chair")
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    with atomic() as session:
        organisation = organisation_by_slug(session, slug)
        if session.scalar(select(Chair).where(func.lower(Chair.email) == email)):
            raise click.ClickException(f"a chair with email {email} already exists")
        chair = Chair(email=email, name=name, password_hash=hash_password(password),
                      organisation_id=organisation.id, is_chair=not no_chair, is_admin=admin)
        session.add(chair)
        session.flush()
        admin_log.record(session, None, "account_created", admin_log.account_target(chair),
                         organisation_id=organisation.id, name=name, email=email,
                         roles=["chair"] * chair.is_chair + ["admin"] * admin)
    roles = " and ".join(["chair"] * chair.is_chair + ["administrator"] * admin)
    click.echo(f"Chair {email} created." if not admin else
               f"Account {email} created as {roles} of {organisation.slug}.")


@click.command("set-password")
@with_appcontext
@click.argument("email")
@click.password_option(help="Asked for when not given.")
def set_password(email: str, password: str) -> None:
    """Change a chair's password and log them out everywhere."""
    email = email.strip().lower()
    if len(password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="password")
    with atomic() as session:
        chair = session.scalar(select(Chair).where(func.lower(Chair.email) == email))
        if chair is None:
            raise click.ClickException(f"no chair has the email {email}")
        chair.password_hash = hash_password(password)
        ended = browser_sessions.end_all_of_chair(session, chair.id)
    # Read once the sessions have ended, so a socket opened meanwhile is listed or refused.
    closed = revocation.end_sockets(revocation.browser_sockets(ended, chair_id=chair.id),
                                    "password_changed", chair.locale)
    click.echo(f"Password of {email} changed; {len(ended)} signed-in browser(s) logged out, "
               f"{closed} live connection(s) closed.")


@click.command("demo")
@with_appcontext
@click.option("--base-url", default=None, help="Address used in the printed join links.")
def demo(base_url: str | None) -> None:
    """Seed the Swedish demo meeting (once) and print how to log in and join."""
    if current_app.config["MODE"] == "production":
        raise click.ClickException("the demo has a known password and is refused in production")
    with atomic() as session:
        result = seed_demo(session, current_app.config["SECRET_KEY"])
    base = (base_url or current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000").rstrip("/")
    click.echo("Demo " + ("created." if result.created else "already present."))
    click.echo(f"Chair login: {base}/login  email: {DEMO_EMAIL}  password: {DEMO_PASSWORD}")
    for name, token in result.tokens:
        click.echo(f"Join link for {name}: {base}/j/{token}")
    if result.closed_meeting is not None:
        click.echo("A closed meeting (version 1 of Nils's plan) with its family page:")
        for name, token in result.closed_tokens[:2]:
            click.echo(f"Family link for {name}: {base}/j/{token}")


@click.command("meetings")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def meetings(as_json: bool) -> None:
    """List the meetings: id, plan, child's display name, status and start."""
    rows = [
        {"id": m.id, "plan_id": m.plan_id, "child_name": m.plan.child_name, "status": m.status,
         "starts_at": m.starts_at.isoformat()}
        for m in db_session().scalars(select(Meeting).order_by(Meeting.starts_at, Meeting.id))
    ]
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    for row in rows:
        click.echo(f"{row['id']:>5}  plan {row['plan_id']:<5} {row['child_name']:<20} "
                   f"{row['status']:<7} {row['starts_at']}")


@click.command("export")
@with_appcontext
@click.argument("meeting_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["docx", "ics", "json", "fhir"]),
              required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
def export(meeting_id: int, fmt: str, output: str, lang: str) -> None:
    """Write the plan version a closed meeting froze, as DOCX, calendar (.ics), JSON or FHIR.

    FHIR is an HL7 FHIR R4 Bundle in JSON (docs/fhir-mapping.md).
    """
    meeting = db_session().get(Meeting, meeting_id)
    if meeting is None:
        raise click.ClickException(f"meeting {meeting_id} does not exist")
    version = meeting_version(db_session(), meeting_id)
    if meeting.status != "closed" or version is None:
        raise click.ClickException(
            f"meeting {meeting_id} is not closed; only a closed meeting's plan can be exported")
    if meeting.plan.purged_at is not None:
        raise click.ClickException(
            f"the personal data of plan {meeting.plan_id} has been purged; nothing to export")
    if fmt == "fhir":
        data = plan_bundle_json(version.snapshot, lang, current_app.config.get("PUBLIC_URL") or "")
    else:
        data = export_version(version.snapshot, fmt, lang)
    Path(output).write_bytes(data)
    if fmt in retention.RECORD_FORMATS:  # written for the records: the purge may now go ahead
        with atomic() as session:
            retention.mark_exported(session, version.id)
    click.echo(f"Wrote version {version.number} of the plan to {output} ({len(data)} bytes).")


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the application, live meetings included, on HOST:PORT."""
    app = current_app._get_current_object()
    if (socketio.async_mode == "gevent") != _patched_for_gevent():
        # The patching happens before the configuration can be read (see __main__.py).
        raise click.ClickException(
            "choose the async mode with the variable SIP_MEETING_SOCKETIO_ASYNC_MODE, "
            "not in the instance's config.py")
    _check_free(host, port)
    click.echo(f"Serving on http://{host}:{port} (async mode {socketio.async_mode})")
    # Everything loaded so far (the app, rules, glossary, SQLAlchemy's mappers) lives as long as
    # the process: keep it out of the garbage collector's full passes, which otherwise scan it
    # all and stall every socket of the loop for around 100 ms.
    gc.collect()
    gc.freeze()
    # Flask's command line sets this to stop app.run() from blocking a command; serving is the
    # whole point of this command.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    try:
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False,
                     log_output=False)
    except OSError as err:  # taken between the check and the start
        if err.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        raise click.ClickException(_cannot_listen(host, port, err)) from None


def _check_free(host: str, port: int) -> None:
    """Refuse to start, in one line, when HOST:PORT cannot be listened on (taken, say).

    The servers bind only once they run, after "Serving on" is printed, and then end in a
    traceback; binding a socket first, as they do (reusing an address in TIME_WAIT), says why.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _name, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as err:
        raise click.ClickException(_cannot_listen(host, port, err)) from None


def _cannot_listen(host: str, port: int, err: OSError) -> str:
    if isinstance(err, socket.gaierror):
        why = "the host name is unknown"
    elif err.errno == errno.EADDRINUSE:
        why = "the port is in use by another program; stop it or choose another --port"
    elif err.errno == errno.EACCES:
        why = "permission denied; choose a port above 1023"
    elif err.errno == errno.EADDRNOTAVAIL:
        why = "this machine has no such address"
    else:
        why = err.strerror or str(err)
    return f"cannot serve on {host}:{port}: {why}"


def _patched_for_gevent() -> bool:
    from gevent import monkey

    return monkey.is_module_patched("socket")


def init_app(app: Flask) -> None:
    """Register the commands on the app's command line."""
    app.cli.add_command(db_group)
    for cmd in (create_chair, set_password, demo, meetings, export, serve, lint, glossary,
                remind, stats, org, purge):
        app.cli.add_command(cmd)
