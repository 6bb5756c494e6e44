"""The `remind` command: run once a day (cron or a systemd timer) to send due reminders."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from .mailer import mail_enabled
from .planning import STOCKHOLM
from .reminders import send_reminders


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in sorted(set(ids))) or "none"


@click.command("remind")
@with_appcontext
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if today were this day (YYYY-MM-DD); for testing.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
def remind(today: datetime | None, dry_run: bool) -> None:
    """Email reminders of actions due within a week or overdue, and each chair's summary."""
    if not mail_enabled(current_app):
        click.echo("Email is not configured (set SIP_MEETING_SMTP_HOST); no reminders sent.",
                   err=True)
        raise SystemExit(1)
    day: date = today.date() if today else datetime.now(STOCKHOLM).date()
    report = send_reminders(day, dry_run=dry_run)
    verb = "Would send" if dry_run else "Sent"
    click.echo(f"{verb} for {day.isoformat()}: {report.action_emails} action reminder email(s) "
               f"about {len(report.action_ids)} action(s) (ids: {_ids(report.action_ids)}); "
               f"{len(report.chair_ids)} chair summary email(s) "
               f"(chair ids: {_ids(report.chair_ids)}).")
    if report.failed_action_ids or report.failed_chair_ids:
        click.echo(f"Failed (tried again on the next run): actions "
                   f"{_ids(report.failed_action_ids)}; chairs {_ids(report.failed_chair_ids)}.")
