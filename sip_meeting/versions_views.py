"""The chair's pages for a plan's frozen versions: the list, one version, and a comparison."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from jinja2 import TemplateNotFound

from . import accounts
from .access import require_chair
from .db import db_session
from .diff import diff_versions
from .labels import choice_label, field_label, format_day, section_title
from .live_strings import live_strings
from .models import Plan

bp = Blueprint("versions", __name__)
bp.before_request(require_chair)

DATE_FIELDS = {"followup_date", "due_date", "decision_date", "given_at", "valid_until"}
SHARED_VERSION_TEMPLATE = "plan/_version.html"
# Numbers in the address stay within the database's integer, so a huge one is a 404, not an error.
ID = "int(max=2147483647)"


def _owned_plan(plan_id: int) -> Plan:
    """Return a plan the logged-in chair may act on, or 404."""
    return accounts.plan_or_404(db_session(), plan_id)


@bp.get(f"/plans/<{ID}:plan_id>/versions")
def index(plan_id: int):
    """List every frozen version of a plan, oldest first."""
    plan = _owned_plan(plan_id)
    versions = plan.versions
    return render_template("versions/index.html", plan=plan, versions=versions,
                           **_helpers())


@bp.get(f"/plans/<{ID}:plan_id>/versions/<{ID}:number>")
def show(plan_id: int, number: int):
    """Show one frozen version of a plan as a readable, printable page."""
    plan = _owned_plan(plan_id)
    version = next((v for v in plan.versions if v.number == number), None)
    if version is None:
        abort(404)
    return render_template("versions/show.html", plan=plan, version=version,
                           v=version.snapshot, shared=_has_shared_view(), **_helpers())


@bp.get(f"/plans/<{ID}:plan_id>/versions/compare")
def compare(plan_id: int):
    """Show what changed between two versions (?a=<n>&b=<m>), older first."""
    plan = _owned_plan(plan_id)
    versions = plan.versions
    by_number = {v.number: v for v in versions}
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    error, status = None, 200
    if a is None or b is None:
        error, status = _("Choose two versions to compare."), 400
    elif a not in by_number or b not in by_number:
        missing = a if a not in by_number else b
        error, status = _("Version %(number)d of this plan does not exist.", number=missing), 404
    if error:
        return render_template("versions/compare.html", plan=plan, versions=versions,
                               error=error, a=a, b=b, **_helpers()), status
    old, new = by_number[min(a, b)], by_number[max(a, b)]
    return render_template("versions/compare.html", plan=plan, versions=versions, old=old,
                           new=new, a=old.number, b=new.number, error=None,
                           diff=diff_versions(old.snapshot, new.snapshot), **_helpers())


def _has_shared_view() -> bool:
    """Tell whether the plan's own version view and the helpers it needs are there to reuse."""
    if "version_view" not in current_app.jinja_env.globals:
        return False
    try:
        current_app.jinja_env.get_template(SHARED_VERSION_TEMPLATE)
    except TemplateNotFound:
        return False
    return True


def _helpers() -> dict[str, Any]:
    """Give the templates translated labels and a way to show stored values."""
    live = live_strings()
    # Versions name the responsible person directly; the live pages label the same thing so.
    live["f.action.responsible_name"] = live["f.action.responsible_participant_id"]

    def label(entity: str, field: str) -> str:
        return live.get(f"f.{entity}.{field}") or field_label(entity, field)

    def shown(entity: str, field: str, value: Any) -> str:
        if value in (None, ""):
            return _("(empty)")
        if field in DATE_FIELDS:
            return format_day(str(value))
        return choice_label(entity, field, str(value))

    return {"label": label, "shown": shown, "meeting_start": meeting_start,
            "section_title": section_title}


def meeting_start(snapshot: dict[str, Any]) -> datetime | None:
    """Return when the meeting that froze a version started, if the version says."""
    try:
        return datetime.fromisoformat(snapshot["meeting"]["starts_at"])
    except (KeyError, TypeError, ValueError):
        return None
