"""The `purge` command: run once a day (cron or a systemd timer) to delete ended plans' data.

It names plans by number and organisation only, never a word of a plan (docs/data-protection.md).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import date, datetime
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from . import admin_log, retention, revocation
from .annotations import rules
from .db import atomic, db_session
from .models import LiveConnection, Participant

log = logging.getLogger(__name__)
# The verdicts a run lists one plan a line; the others are only counted.
LISTED = (retention.DUE, retention.UNEXPORTED, retention.EXTENDED)


def _why(a: retention.Assessment, purged: bool | None) -> str:
    """Say in one line why a plan goes or stays."""
    versions = ", ".join(str(n) for n in a.unexported)
    if a.verdict == retention.EXTENDED:
        return f"kept: a chair extended it until {a.retain_until.isoformat()}"
    if a.verdict == retention.UNEXPORTED:
        return (f"kept: version(s) {versions} never exported, and the organisation purges "
                "only exported plans")
    done = {None: "would be purged", True: "purged", False: "not purged (it changed; see "
            "the next run)"}[purged]
    if a.by_policy:
        return (f"{done}, although version(s) {versions} were never exported: the "
                "organisation's policy purges unexported plans")
    return f"{done}: every version exported" if not a.unexported else done


def _line(a: retention.Assessment, organisation: str, purged: bool | None) -> dict[str, Any]:
    return {"plan_id": a.plan_id, "organisation": organisation,
            "last_activity": a.last_activity.isoformat() if a.last_activity else None,
            "kept_until": a.kept_until.isoformat() if a.kept_until else None,
            "verdict": a.verdict, "unexported_versions": list(a.unexported),
            "purged_by_policy": a.by_policy, "purged": bool(purged), "why": _why(a, purged)}


def end_plan_sockets(meeting_ids: list[int]) -> int:
    """Close every live connection still open in these meetings; return how many there were."""
    if not meeting_ids:
        return 0
    rows = db_session().execute(
        select(LiveConnection.sid, Participant.language)
        .outerjoin(Participant, Participant.id == LiveConnection.participant_id)
        .where(LiveConnection.meeting_id.in_(meeting_ids))).all()
    by_language: dict[str | None, list[str]] = {}
    for sid, language in rows:
        by_language.setdefault(language, []).append(sid)
    return sum(revocation.end_sockets(sids, "purged", language)
               for language, sids in by_language.items())


def _purge_one(a: retention.Assessment, organisation_id: int, day: date) -> bool:
    """Purge one plan in a transaction of its own; tell whether it was purged."""
    with atomic() as session:
        verdict = retention.purge_plan(session, a.plan_id, day, rules())
        if not verdict.due:
            return False
        admin_log.record(session, None, "plan_purged", admin_log.plan_target(a.plan_id),
                         organisation_id=organisation_id, day=day.isoformat(),
                         versions_never_exported=list(verdict.unexported))
        meetings = retention.plan_meeting_ids(session, a.plan_id)
    end_plan_sockets(meetings)
    return True


@click.command("purge")
@with_appcontext
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if today were this day (YYYY-MM-DD); for testing.")
@click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def purge(today: datetime | None, dry_run: bool, as_json: bool) -> None:
    """Delete the personal data of plans whose time to be kept is over.

    A plan goes once it has ended (closed, or its last meeting closed with none to come),
    its organisation's retention period and any chair's extension are over, and every
    version has been exported, unless the organisation purges unexported plans too.
    """
    day: date = today.date() if today else retention.local_today()
    listed = retention.assess_all(db_session(), day)
    lines, purged, failed = [], [], []
    for item in listed:
        a = item.assessment
        if a.verdict not in LISTED:
            continue
        done: bool | None = None
        if a.due and not dry_run:
            try:
                done = _purge_one(a, item.organisation_id, day)
            except Exception:  # noqa: BLE001  (one plan's failure must not stop the others)
                log.exception("purging plan %s failed", a.plan_id)
                failed.append(a.plan_id)
                continue
            if done:
                purged.append(a.plan_id)
        lines.append(_line(a, item.organisation, done))
    counts = {v: sum(1 for item in listed if item.assessment.verdict == v)
              for v in (retention.IN_USE, retention.KEPT)}
    _report(day, dry_run, as_json, lines, purged, failed, counts)
    if failed:
        raise SystemExit(1)


def _report(day: date, dry_run: bool, as_json: bool, lines: list[dict[str, Any]],
            purged: list[int], failed: list[int], counts: dict[str, int]) -> None:
    due = [line["plan_id"] for line in lines if line["verdict"] == retention.DUE]
    if as_json:
        json.dump({"today": day.isoformat(), "dry_run": dry_run, "plans": lines,
                   "purged": purged, "would_purge": due if dry_run else [], "failed": failed,
                   "in_use": counts[retention.IN_USE], "within_period": counts[retention.KEPT]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    click.echo(f"Purge for {day.isoformat()}" + (" (dry run: nothing is changed)" if dry_run
                                                  else ""))
    for line in lines:
        click.echo(f"plan {line['plan_id']} ({line['organisation']}): last activity "
                   f"{line['last_activity']}, kept until {line['kept_until']}; {line['why']}")
    ids = ", ".join(str(i) for i in (due if dry_run else purged)) or "none"
    click.echo(f"{'Would purge' if dry_run else 'Purged'} {len(due if dry_run else purged)} "
               f"plan(s) (ids: {ids}); {counts[retention.KEPT]} ended plan(s) within their "
               f"period; {counts[retention.IN_USE]} plan(s) in use.")
    if failed:
        click.echo(f"Failed (tried again on the next run): plans "
                   f"{', '.join(str(i) for i in failed)}.")
