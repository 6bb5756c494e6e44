"""`sip-meeting org`: create and list the organisations sharing an installation.

Organisation 1 exists from the start (the migration creates it); a region and its
municipalities each get one of their own, and every account belongs to exactly one.
"""

from __future__ import annotations

import json
import re
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import admin_log
from .db import atomic, db_session
from .models import ORGANISATION_KINDS, Chair, Organisation, Plan

org = AppGroup("org", help="Create and list organisations.")
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")


def organisation_by_slug(session: Session, slug: str | None) -> Organisation:
    """Return the organisation with this short name, or the first one when None."""
    query = select(Organisation)
    query = query.where(Organisation.slug == slug) if slug else query.order_by(Organisation.id)
    found = session.scalars(query.limit(1)).first()
    if found is None:
        raise click.ClickException(f"no organisation has the short name {slug}" if slug else
                                   "there is no organisation; run `sip-meeting db upgrade`")
    return found


@org.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--kind", type=click.Choice(ORGANISATION_KINDS), default="municipality",
              show_default=True)
def create(slug: str, name: str, kind: str) -> None:
    """Create an organisation with a short name SLUG (used on the command line) and NAME."""
    if not SLUG.fullmatch(slug):
        raise click.BadParameter("use 1 to 40 lower-case letters a-z, digits and hyphens, "
                                 "starting and ending with a letter or digit", param_hint="SLUG")
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise click.BadParameter("give a name of 1 to 120 characters", param_hint="NAME")
    with atomic() as session:
        if session.scalar(select(Organisation.id).where(Organisation.slug == slug)):
            raise click.ClickException(f"an organisation with the short name {slug} exists")
        created = Organisation(slug=slug, name=name, kind=kind)
        session.add(created)
        session.flush()
        admin_log.record(session, None, "organisation_created", f"organisation:{created.id}",
                         organisation_id=created.id, slug=slug, kind=kind)
    click.echo(f"Organisation {slug} ({name}) created. Make its first administrator with "
               f"`sip-meeting create-chair EMAIL --organisation {slug} --admin`.")


@org.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_organisations(as_json: bool) -> None:
    """List the organisations: short name, kind, accounts, plans and how staff sign in."""
    session = db_session()
    accounts = dict(session.execute(select(Chair.organisation_id, func.count(Chair.id)).where(
        Chair.deactivated_at.is_(None)).group_by(Chair.organisation_id)).all())
    plans = dict(session.execute(select(Plan.organisation_id, func.count(Plan.id))
                                 .group_by(Plan.organisation_id)).all())
    rows = [{"id": o.id, "slug": o.slug, "name": o.name, "kind": o.kind,
             "active_accounts": accounts.get(o.id, 0), "plans": plans.get(o.id, 0),
             "password_sign_in": o.local_login, "identity_provider": o.oidc_issuer or None}
            for o in session.scalars(select(Organisation).order_by(Organisation.id))]
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    for row in rows:
        sign_in = ", ".join(["password"] * row["password_sign_in"] +
                            [f"provider {row['identity_provider']}"] *
                            bool(row["identity_provider"]))
        click.echo(f"{row['id']:>4}  {row['slug']:<20} {row['kind']:<12} "
                   f"{row['active_accounts']:>4} accounts {row['plans']:>6} plans  "
                   f"{row['name']}  (sign-in: {sign_in or 'none'})")
