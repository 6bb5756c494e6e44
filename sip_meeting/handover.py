"""The plan in everyone's hands after the close: the family page, the document, calendars."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale

from .access import chair_meeting, participant_or_rejoin, require_chair
from .calendars import deadlines_ics, followup_ics
from .closing_ops import SATISFACTION, answer_satisfaction
from .db import atomic, db_session
from .document import build_docx
from .events import broadcast_op
from .fhir import MIMETYPE as FHIR_MIMETYPE
from .fhir import bundle_file_name, plan_bundle_json
from .forms import ConfirmForm
from .i18n import current_language
from .labels import version_file_name
from .live import Actor, LiveError, apply
from .live_messages import error_message
from .models import FAMILY_ROLES, Meeting, Participant, PlanVersion
from .retention import mark_exported
from .versions import family_does, family_tasks, meeting_version

bp = Blueprint("handover", __name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def export_version(snapshot: dict[str, Any], fmt: str, lang: str) -> bytes:
    """Render a frozen version as DOCX, the follow-up calendar file or JSON."""
    if fmt == "docx":
        return build_docx(snapshot, lang)
    if fmt == "ics":
        return followup_ics(snapshot, lang, None)
    return json.dumps(snapshot, ensure_ascii=False, indent=2).encode()


def task_tags(snapshot: dict[str, Any], participant: Participant) -> dict[int, str]:
    """Mark the actions that concern a reader: "own", and for the family "family" or "part".

    "family" is an action the family does itself, "part" one where the family has a part;
    both come from `versions.family_tasks`, as in every other copy of the plan.
    """
    family = family_tasks(snapshot) if participant.role in FAMILY_ROLES else []
    tags = {a["id"]: "family" if family_does(snapshot, a) else "part" for a in family}
    for action in snapshot["actions"]:
        if action.get("responsible_participant_id") == participant.id:
            tags[action["id"]] = "own"
    return tags


def own_tasks_first(snapshot: dict[str, Any], participant: Participant) -> list[dict[str, Any]]:
    """Order actions so a reader's own tasks (and the family's, for the family) come first."""
    tags = task_tags(snapshot, participant)
    rank = {"own": 0, "family": 1, "part": 2}
    return sorted(snapshot["actions"], key=lambda a: rank.get(tags.get(a["id"], ""), 3))


def _closed_version(meeting_id: int) -> tuple[Participant, PlanVersion]:
    participant = participant_or_rejoin(meeting_id)
    version = meeting_version(db_session(), meeting_id)
    if version is None:
        abort(404)
    return participant, version


def _download(data: bytes, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/m/<int:meeting_id>/plan")
def family_page(meeting_id: int):
    """Show a participant the plan the meeting agreed on: what happens next, and who does what.

    A meeting that ended without a plan says so, and why.
    """
    meeting = participant_or_rejoin(meeting_id).meeting
    if meeting.status == "closed" and meeting.no_plan_reason:
        return render_template("plan/no_plan.html", meeting=meeting)
    participant, version = _closed_version(meeting_id)
    v = version.snapshot
    return render_template("plan/family.html", v=v, me=participant, meeting_id=meeting_id,
                           actions=own_tasks_first(v, participant),
                           tags=task_tags(v, participant), answers=SATISFACTION,
                           answered=(participant.meeting.satisfaction or {}).get(
                               str(participant.id)))


@bp.post("/m/<int:meeting_id>/satisfaction")
def satisfaction(meeting_id: int):
    """Record a participant's one-tap answer to "Are you satisfied with the meeting?"."""
    participant, _version = _closed_version(meeting_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    actor = Actor.of_participant(meeting_id, participant, current_language())
    try:
        with atomic() as session:
            event = apply(session, actor, f"http-{uuid.uuid4()}",
                          answer_satisfaction(request.form.get("answer"))).event
    except LiveError as err:
        flash(error_message(err.key, **err.params), "error")
    else:
        broadcast_op(meeting_id, event)
    return redirect(url_for("handover.family_page", meeting_id=meeting_id) + "#happy-heading")


@bp.get("/m/<int:meeting_id>/plan.docx")
def family_docx(meeting_id: int):
    """Download the plan as a document in the reader's language."""
    _, version = _closed_version(meeting_id)
    data = build_docx(version.snapshot, current_language())
    return _download(data, DOCX, version_file_name(version.snapshot, "plan"))


@bp.get("/m/<int:meeting_id>/followup.ics")
def family_followup_ics(meeting_id: int):
    """Download the follow-up meeting for the calendar."""
    participant, version = _closed_version(meeting_id)
    page = url_for("handover.family_page", meeting_id=meeting_id, _external=True)
    data = followup_ics(version.snapshot, current_language(), page)
    return _download(data, "text/calendar", version_file_name(version.snapshot, "followup"))


@bp.get("/m/<int:meeting_id>/my-actions.ics")
def family_deadlines_ics(meeting_id: int):
    """Download the reader's own action deadlines for the calendar."""
    participant, version = _closed_version(meeting_id)
    data = deadlines_ics(version.snapshot, participant.id, current_language())
    return _download(data, "text/calendar", version_file_name(version.snapshot, "dates"))


def _chair_version(meeting_id: int) -> tuple[Meeting, PlanVersion]:
    meeting = chair_meeting(meeting_id)
    version = meeting_version(db_session(), meeting.id)
    if version is None:
        abort(404)
    return meeting, version


@bp.get("/meetings/<int:meeting_id>/plan")
def chair_print(meeting_id: int):
    """Show the chair the closed meeting's plan, ready to print, with the family's short link."""
    redirect = require_chair()
    if redirect:
        return redirect
    meeting, version = _chair_version(meeting_id)
    return render_template("plan/print.html", v=version.snapshot, meeting=meeting)


@bp.get("/meetings/<int:meeting_id>/plan.docx")
def chair_docx(meeting_id: int):
    """Download the closed meeting's plan as a document (the chair's language)."""
    if g.get("chair") is None:
        abort(404)
    _, version = _chair_version(meeting_id)
    with force_locale(current_language()):
        data = build_docx(version.snapshot, current_language())
        name = version_file_name(version.snapshot, "plan")
    _exported(version)
    return _download(data, DOCX, name)


@bp.get("/meetings/<int:meeting_id>/plan.json")
def chair_json(meeting_id: int):
    """Download the closed meeting's plan version as JSON (docs/plan-version.schema.json)."""
    if g.get("chair") is None:
        abort(404)
    _, version = _chair_version(meeting_id)
    name = version_file_name(version.snapshot, "plan").rsplit(".", 1)[0] + ".json"
    _exported(version)
    return _download(export_version(version.snapshot, "json", current_language()),
                     "application/json", name)


def _exported(version: PlanVersion) -> None:
    """Record that a chair took the version for the organisation's records (retention)."""
    if version.exported_at is None:
        with atomic() as session:
            mark_exported(session, version.id)


@bp.get("/meetings/<int:meeting_id>/plan.fhir.json")
def chair_fhir(meeting_id: int):
    """Download the closed meeting's plan as an HL7 FHIR R4 Bundle, for other systems.

    Only the chair who may download the document may; its labels are in the chair's language.
    """
    if g.get("chair") is None:
        abort(404)
    _, version = _chair_version(meeting_id)
    lang = current_language()
    data = plan_bundle_json(version.snapshot, lang, current_app.config.get("PUBLIC_URL") or "")
    _exported(version)
    return _download(data, FHIR_MIMETYPE, bundle_file_name(version.snapshot, lang))
