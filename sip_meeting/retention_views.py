"""The chair's pages for personal data: how long a plan is kept, one person's data, erasure.

Also the page a purged plan shows, in place of its content, to whoever could open it before:
its chairs, and the family and others through their links and the pages they joined.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from . import accounts, browser_sessions, person_data, retention, revocation
from .access import browser_session, chair_meeting, require_chair
from .chair import _chair_participant as chair_participant
from .db import atomic, db_session
from .forms import ConfirmForm
from .models import Meeting, Organisation, Participant, Plan
from .planning import audit
from .security import hash_token

bp = Blueprint("retention", __name__)
bp.before_request(require_chair)

ERASE_MESSAGES = {
    "already": lambda: _("This person has already been erased."),
    "in_meeting": lambda: _("The person is in a meeting that has not ended. Erase them once "
                            "it has ended."),
}
# The pages that show a plan's content: to its chairs, and to participants through their links.
CHAIR_BLUEPRINTS = {"chair", "versions", "retention"}
CHAIR_ENDPOINTS = {"handover.chair_print", "handover.chair_docx", "handover.chair_fhir",
                   "handover.chair_json", "room.console", "room.wall",
                   "invite.chair_invitation", "invite.chair_ics"}
PARTICIPANT_ENDPOINTS = {"handover.family_page", "handover.satisfaction", "handover.family_docx",
                         "handover.family_followup_ics", "handover.family_deadlines_ics",
                         "room.device", "invite.participant_invitation", "invite.participant_ics"}


def last_extension_day(today: date) -> date:
    """The latest day a chair may keep a plan until."""
    return retention.add_months(today, 12 * retention.MAX_EXTENSION_YEARS)


class RetentionForm(FlaskForm):
    """Keep a plan past the organisation's period, until a day, for a reason."""

    keep_until = DateField(_l("Keep the plan's personal data until"), validators=[
        InputRequired(message=_l("Choose the day until which the plan is kept."))])
    reason = TextAreaField(
        _l("Why the plan is kept longer"),
        description=_l("For example a decision that is appealed, or a follow-up that is "
                       "delayed. The reason is saved in the plan's history."),
        validators=[InputRequired(message=_l("Write why the plan is kept longer.")),
                    Length(max=retention.MAX_REASON)])

    def validate_keep_until(self, field) -> None:
        """A day after today, at most MAX_EXTENSION_YEARS ahead."""
        if field.data is None:  # not a date: the field says so already
            return
        today = retention.local_today()
        last = last_extension_day(today)
        if not today < field.data <= last:
            raise ValidationError(_("Choose a day after today and no later than %(last)s.",
                                    last=format_date(last, "long")))

    def validate_reason(self, field) -> None:
        """Words, not only spaces."""
        if not (field.data or "").strip():
            raise ValidationError(_("Write why the plan is kept longer."))


@bp.app_template_global()
def retention_box(plan: Plan) -> dict[str, Any]:
    """What the plan page's box says: when the data goes, and the form to keep it longer."""
    session = db_session()
    today = retention.local_today()
    organisation = session.get(Organisation, plan.organisation_id)
    form = RetentionForm(formdata=None, keep_until=plan.retain_until,
                         reason=plan.retain_reason)
    return {"r": retention.assess_plan(session, plan, today), "today": today,
            "policy": retention.policy_of(organisation), "form": form,
            "last_day": last_extension_day(today)}


@bp.route("/plans/<int:plan_id>/retention", methods=["GET", "POST"])
def extend(plan_id: int):
    """Keep a plan's personal data past the organisation's period, with a reason."""
    plan = accounts.plan_or_404(db_session(), plan_id)
    form = RetentionForm()
    if form.validate_on_submit():
        before = {"retain_until": plan.retain_until.isoformat() if plan.retain_until else None,
                  "retain_reason": plan.retain_reason or None}
        with atomic() as session:
            plan.retain_until = form.keep_until.data
            plan.retain_reason = form.reason.data.strip()
            audit(session, g.chair, "plan", plan.id, "retain_until", before,
                  {"retain_until": plan.retain_until.isoformat(),
                   "retain_reason": plan.retain_reason}, plan_id=plan.id)
        flash(_("The plan's personal data is kept until %(day)s.",
                day=format_date(plan.retain_until, "long")), "success")
        return redirect(url_for("chair.plan", plan_id=plan.id) + "#retention-heading")
    if not form.is_submitted():
        form.keep_until.data = plan.retain_until
        form.reason.data = plan.retain_reason
    return render_template("retention/extend.html", plan=plan,
                           **retention_box(plan) | {"form": form}), 400 if form.errors else 200


@bp.get("/meetings/<int:meeting_id>/participants/<int:participant_id>/data.json")
def person_json(meeting_id: int, participant_id: int):
    """Download everything the plan stores about one participant (their right of access)."""
    meeting = chair_meeting(meeting_id)
    participant = chair_participant(meeting, participant_id)
    data = person_data.person_data(db_session(), participant)
    with atomic() as session:
        audit(session, g.chair, "participant", participant.id, "data_exported", None, True,
              plan_id=meeting.plan_id, meeting_id=meeting.id)
    name = f"person-data-plan-{meeting.plan_id}-participant-{participant.id}.json"
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/meetings/<int:meeting_id>/participants/<int:participant_id>/erase",
          methods=["GET", "POST"])
def erase(meeting_id: int, participant_id: int):
    """Ask, then erase a participant who asked to be forgotten (name, contact details, link)."""
    meeting = chair_meeting(meeting_id)
    participant = chair_participant(meeting, participant_id)
    back = url_for("chair.meeting", meeting_id=meeting.id) + "#participants"
    if request.method == "GET":
        if participant.erased_at is not None:
            flash(ERASE_MESSAGES["already"](), "info")
            return redirect(back)
        rows = person_data.person_rows(db_session(), participant)
        text = " ".join([
            _("Their name is replaced with “%(erased)s” everywhere in this plan, in its "
              "versions and its history too, and their email address, organisation and "
              "personal link are removed. Their answers and their part in the meetings stay, "
              "without their name. This cannot be undone.", erased=_("Erased participant")),
            ngettext("This concerns %(num)d meeting of the plan.",
                     "This concerns %(num)d meetings of the plan (the same email address).",
                     len(rows)),
            _("If they asked for their data, download it first."),
        ])
        return render_template("chair/confirm.html", meeting=meeting, confirm=ConfirmForm(),
                               title=_("Erase %(name)s?", name=participant.name), text=text,
                               yes=_("Yes, erase %(name)s", name=participant.name),
                               action=url_for("retention.erase", meeting_id=meeting.id,
                                              participant_id=participant.id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        with atomic() as session:
            erasure = person_data.erase_person(session, g.chair, participant)
    except person_data.ErasureError as err:
        flash(ERASE_MESSAGES[str(err)](), "error")
        return redirect(back)
    for pid in erasure.participant_ids:
        revocation.end_sockets(revocation.participant_sockets(pid), "link_revoked",
                               erasure.languages.get(pid))
    flash(_("The participant has been erased from the plan."), "success")
    return redirect(back)


# -- a purged plan ------------------------------------------------------------------------------


def _plan_of_request() -> tuple[Plan | None, str]:
    """Find the plan a request is about, and who would be asking: "chair" or "participant"."""
    args, endpoint = request.view_args or {}, request.endpoint or ""
    session = db_session()
    if endpoint == "invite.join":
        token = str(args.get("token") or "")
        person = session.scalar(select(Participant).where(
            Participant.token_hash == hash_token(token))) if 0 < len(token) <= 200 else None
        return (person.meeting.plan if person else None), "link"
    if endpoint.split(".")[0] in CHAIR_BLUEPRINTS or endpoint in CHAIR_ENDPOINTS:
        who = "chair"
    elif endpoint in PARTICIPANT_ENDPOINTS:
        who = "participant"
    else:
        return None, ""
    if "plan_id" in args:
        return session.get(Plan, args["plan_id"]), who
    if "meeting_id" in args:
        meeting = session.get(Meeting, args["meeting_id"])
        return (meeting.plan if meeting else None), who
    return None, ""


def _joined(meeting_id: int) -> bool:
    """Tell whether this browser joined a meeting with a link that was valid."""
    token_hash = browser_sessions.token_hash_for(browser_session(), meeting_id)
    return token_hash is not None and db_session().scalar(select(Participant.id).where(
        Participant.meeting_id == meeting_id, Participant.token_hash == token_hash)) is not None


@bp.before_app_request
def purged_plan_page():
    """Show that a plan's personal data was deleted, to whoever could open the plan before.

    Anyone else gets what they got before (a login page, or "not found"), so that the page
    tells a stranger nothing about which plans exist.
    """
    plan, who = _plan_of_request()
    if plan is None or plan.purged_at is None:
        return None
    if who == "chair" and not accounts.may_act_on_plan(db_session(), g.get("chair"), plan.id):
        return None
    if who == "participant" and not _joined(int((request.view_args or {})["meeting_id"])):
        return None
    return render_template("retention/purged.html", plan=plan, for_chair=who == "chair"), 410

