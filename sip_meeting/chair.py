"""The chair's pages: meetings, plans, scheduling and inviting participants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from . import accounts, chair_ops, live, mailer, planning, revocation
from .access import chair_meeting, require_chair
from .db import atomic, db_session
from .events import broadcast_op
from .forms import ConfirmForm, MeetingForm, ParticipantForm, PlanForm
from .history import history_rows
from .invitations import join_url, qr_svg
from .live_messages import error_message
from .mailer import email_plan_later
from .models import AuditEvent, Delivery, Meeting, Participant, Plan

bp = Blueprint("chair", __name__)
bp.before_request(require_chair)

SETUP_MESSAGES = {
    "closed": lambda: _("The meeting is closed and can no longer be changed."),
    "too_many": lambda: ngettext("A meeting can have at most %(num)d participant.",
                                 "A meeting can have at most %(num)d participants.",
                                 planning.MAX_PARTICIPANTS),
    "not_closed": lambda: _("A follow-up can be booked when the last meeting is closed."),
}


def _setup_error(err: planning.SetupError) -> None:
    flash(SETUP_MESSAGES[str(err)](), "error")


def _chair_plan(plan_id: int) -> Plan:
    return accounts.plan_or_404(db_session(), plan_id)


def _chair_participant(meeting: Meeting, participant_id: int) -> Participant:
    participant = db_session().get(Participant, participant_id)
    if participant is None or participant.meeting_id != meeting.id:
        abort(404)
    return participant


@bp.get("/")
def dashboard():
    """Show the chair's meetings, the follow-ups that are due and the overdue actions."""
    now = datetime.now(UTC)
    today = now.astimezone(planning.STOCKHOLM).date()
    meetings = db_session().scalars(
        accounts.visible_meetings(g.chair).order_by(Meeting.starts_at, Meeting.id)
    ).all()
    plans = db_session().scalars(
        accounts.visible_plans(g.chair).order_by(Plan.child_name, Plan.id)
    ).all()
    # A meeting still being prepared whose time is over is not upcoming: it was held without
    # the tool, registered afterwards, or forgotten, and is listed apart.
    drafts = [m for m in meetings if m.status == "draft"]
    return render_template(
        "chair/dashboard.html", plans=plans, today=today,
        live=[m for m in meetings if m.status in ("open", "live")],
        upcoming=[m for m in drafts if _ends_at(m) > now],
        passed=[m for m in reversed(drafts) if _ends_at(m) <= now],
        closed=[m for m in reversed(meetings) if m.status == "closed"][:20],
        followups_due=planning.followups_due(plans, today),
        overdue=planning.overdue_actions(plans, today),
    )


def _ends_at(meeting: Meeting) -> datetime:
    return planning.ends_at(meeting.starts_at, meeting.duration_minutes)


@bp.route("/plans/new", methods=["GET", "POST"])
def new_plan():
    """Start a plan for a new child."""
    form = PlanForm()
    if form.validate_on_submit():
        with atomic() as session:
            plan = planning.create_plan(session, g.chair, form.child_name.data)
        return redirect(url_for("chair.new_meeting", plan_id=plan.id))
    return render_template("chair/plan_new.html", form=form), 400 if form.errors else 200


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    """Show a plan with its meetings."""
    return render_template("chair/plan.html", plan=_chair_plan(plan_id))


@bp.route("/plans/<int:plan_id>/meetings/new", methods=["GET", "POST"])
def new_meeting(plan_id: int):
    """Schedule a meeting for a plan."""
    plan = _chair_plan(plan_id)
    form = MeetingForm()
    if form.validate_on_submit():
        starts_at = planning.local_to_utc(form.date.data, form.time.data)
        details = {k: getattr(form, k).data or "" for k in planning.MEETING_FIELDS}
        details["duration_minutes"] = form.duration_minutes.data
        with atomic() as session:
            meeting = planning.schedule_meeting(session, g.chair, plan, starts_at, **details)
        flash(_("The meeting is scheduled. Now invite the participants."), "success")
        return redirect(url_for("chair.meeting", meeting_id=meeting.id))
    return render_template("chair/meeting_form.html", form=form, plan=plan, meeting=None), \
        400 if form.errors else 200


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def edit_meeting(meeting_id: int):
    """Change a meeting's time, place and purpose."""
    meeting = chair_meeting(meeting_id)
    form = MeetingForm(obj=meeting)
    form.current_start = meeting.starts_at
    if not form.is_submitted():
        local = meeting.starts_at.astimezone(planning.STOCKHOLM)
        form.date.data, form.time.data = local.date(), local.time()
    elif form.validate():
        starts_at = planning.local_to_utc(form.date.data, form.time.data)
        details = {k: getattr(form, k).data or "" for k in planning.MEETING_FIELDS}
        details["duration_minutes"] = form.duration_minutes.data
        try:
            with atomic() as session:
                planning.update_meeting(session, g.chair, meeting, starts_at, **details)
        except planning.SetupError as err:
            _setup_error(err)
        return redirect(url_for("chair.meeting", meeting_id=meeting.id))
    return render_template("chair/meeting_form.html", form=form, plan=meeting.plan,
                           meeting=meeting), 400 if form.errors else 200


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
def meeting(meeting_id: int):
    """Show a meeting's set-up and add participants to it."""
    meeting = chair_meeting(meeting_id)
    form = ParticipantForm()
    if form.validate_on_submit():
        fields = {k: getattr(form, k).data or "" for k in
                  ("name", "organisation", "role", "principal", "email", "language")}
        try:
            with atomic() as session:
                participant = planning.add_participant(session, g.chair, meeting, **fields)
                token = planning.issue_link(session, g.chair, participant)
        except planning.SetupError as err:
            _setup_error(err)
            return redirect(url_for("chair.meeting", meeting_id=meeting.id))
        return _show_link(meeting, participant, token)
    deliveries = db_session().scalars(
        select(Delivery).where(Delivery.meeting_id == meeting.id).order_by(Delivery.id)).all()
    return render_template("chair/meeting.html", meeting=meeting, form=form,
                           confirm=ConfirmForm(), deliveries=deliveries,
                           people={p.id: p for p in meeting.participants}), \
        400 if form.errors else 200


def _show_link(meeting: Meeting, participant: Participant, token: str):
    url = join_url(token)
    return render_template("chair/link.html", meeting=meeting, participant=participant,
                           url=url, token=token, qr=qr_svg(url), confirm=ConfirmForm())


@bp.post("/meetings/<int:meeting_id>/participants/<int:participant_id>/link")
def new_link(meeting_id: int, participant_id: int):
    """Issue a new join link for a participant and show it with its QR code."""
    meeting = chair_meeting(meeting_id)
    participant = _chair_participant(meeting, participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with atomic() as session:
        token = planning.issue_link(session, g.chair, participant)
    # Whoever holds the old link is in the meeting no more, on any screen.
    revocation.end_sockets(revocation.participant_sockets(participant.id), "link_replaced",
                           participant.language)
    return _show_link(meeting, participant, token)


def _confirm_page(meeting: Meeting, participant: Participant, kind: str):
    """Ask before something that cannot be undone; the page works without JavaScript."""
    if meeting.status == "closed":
        return redirect(url_for("chair.meeting", meeting_id=meeting.id))
    if kind == "revoke":
        if not participant.token_hash or participant.token_revoked_at:
            return redirect(url_for("chair.meeting", meeting_id=meeting.id) + "#participants")
        texts = {"title": _("Stop the link for %(name)s?", name=participant.name),
                 "text": _("The link stops working at once, also on a screen where the meeting "
                           "is open now. You can make a new link later."),
                 "yes": _("Yes, stop the link")}
        action = url_for("chair.revoke_link", meeting_id=meeting.id,
                         participant_id=participant.id)
    else:
        texts = {"title": _("Remove %(name)s from the meeting?", name=participant.name),
                 "text": _("Their personal link stops working at once. Actions they are "
                           "responsible for stay in the plan, without a responsible person."),
                 "yes": _("Yes, remove %(name)s", name=participant.name)}
        action = url_for("chair.remove_participant", meeting_id=meeting.id,
                         participant_id=participant.id)
    return render_template("chair/confirm.html", meeting=meeting, action=action,
                           confirm=ConfirmForm(), **texts)


@bp.get("/meetings/<int:meeting_id>/participants/<int:participant_id>/revoke")
def confirm_revoke_link(meeting_id: int, participant_id: int):
    """Ask before stopping a participant's join link."""
    meeting = chair_meeting(meeting_id)
    return _confirm_page(meeting, _chair_participant(meeting, participant_id), "revoke")


@bp.get("/meetings/<int:meeting_id>/participants/<int:participant_id>/remove")
def confirm_remove_participant(meeting_id: int, participant_id: int):
    """Ask before removing a participant from a meeting."""
    meeting = chair_meeting(meeting_id)
    return _confirm_page(meeting, _chair_participant(meeting, participant_id), "remove")


@bp.post("/meetings/<int:meeting_id>/participants/<int:participant_id>/revoke")
def revoke_link(meeting_id: int, participant_id: int):
    """Stop a participant's join link from working."""
    meeting = chair_meeting(meeting_id)
    participant = _chair_participant(meeting, participant_id)
    if ConfirmForm().validate_on_submit():
        with atomic() as session:
            planning.revoke_link(session, g.chair, participant)
        revocation.end_sockets(revocation.participant_sockets(participant.id), "link_revoked",
                               participant.language)
        flash(_("The link for %(name)s no longer works.", name=participant.name), "success")
    return redirect(url_for("chair.meeting", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/participants/<int:participant_id>/remove")
def remove_participant(meeting_id: int, participant_id: int):
    """Remove a participant from a meeting."""
    meeting = chair_meeting(meeting_id)
    participant = _chair_participant(meeting, participant_id)
    if ConfirmForm().validate_on_submit():
        name, lang = participant.name, participant.language
        # Listed first: removing the participant removes the records of their sockets.
        sockets = revocation.participant_sockets(participant.id)
        actor = live.Actor.of_chair(meeting.id, g.chair)
        try:
            with atomic() as session:
                event = live.apply(session, actor, f"http-{uuid.uuid4()}",
                                   chair_ops.remove_participant(g.chair, participant.id)).event
            revocation.end_sockets(sockets, "removed", lang)
            broadcast_op(meeting.id, event)
            flash(_("%(name)s is no longer invited.", name=name), "success")
        except planning.SetupError as err:
            _setup_error(err)
    return redirect(url_for("chair.meeting", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/status/<status>")
def set_status(meeting_id: int, status: str):
    """Open the lobby, take the meeting back to draft, start it or end it."""
    meeting = chair_meeting(meeting_id)
    if status not in chair_ops.STATUS_FLOW or not ConfirmForm().validate_on_submit():
        abort(404)
    actor = live.Actor.of_chair(meeting.id, g.chair)
    try:
        with atomic() as session:
            event = live.apply(session, actor, f"http-{uuid.uuid4()}",
                               chair_ops.set_status(status)).event
    except live.LiveError as err:
        flash(error_message(err.key, **err.params), "error")
    else:
        broadcast_op(meeting.id, event)
        if status == "closed":
            email_plan_later(meeting.id)
    if status == "live":
        return redirect(url_for("room.console", meeting_id=meeting.id))
    return redirect(url_for("chair.meeting", meeting_id=meeting.id))


HISTORY_LIMIT = 1000


@bp.get("/plans/<int:plan_id>/history")
def history(plan_id: int):
    """Show who changed what in a plan, and when, newest first."""
    plan = _chair_plan(plan_id)
    events = db_session().scalars(
        select(AuditEvent).where(AuditEvent.plan_id == plan.id)
        .order_by(AuditEvent.id.desc()).limit(HISTORY_LIMIT)
    ).all()
    return render_template("chair/history.html", plan=plan,
                           rows=history_rows(db_session(), plan, events), limit=HISTORY_LIMIT)


@bp.route("/plans/<int:plan_id>/followup", methods=["GET", "POST"])
def new_followup(plan_id: int):
    """Book the follow-up of a closed plan, with its participants carried over."""
    plan = _chair_plan(plan_id)
    previous = planning.latest_meeting(plan)
    if previous is None or previous.status != "closed":
        _setup_error(planning.SetupError("not_closed"))
        return redirect(url_for("chair.plan", plan_id=plan.id))
    form = MeetingForm(obj=previous)
    if not form.is_submitted():
        form.date.data = plan.followup_date
        form.time.data = previous.starts_at.astimezone(planning.STOCKHOLM).time()
        form.questions.data = ""
    elif form.validate():
        starts_at = planning.local_to_utc(form.date.data, form.time.data)
        details = {k: getattr(form, k).data or "" for k in planning.MEETING_FIELDS}
        details["duration_minutes"] = form.duration_minutes.data
        with atomic() as session:
            meeting, links = planning.schedule_followup(session, g.chair, plan, starts_at,
                                                        **details)
        return render_template("chair/links.html", meeting=meeting, confirm=ConfirmForm(),
                               links=[(p, join_url(t), qr_svg(join_url(t)), t) for p, t in links])
    return render_template("chair/meeting_form.html", form=form, plan=plan, meeting=None,
                           followup=True), 400 if form.errors else 200


@bp.post("/meetings/<int:meeting_id>/deliveries/<int:delivery_id>/retry")
def retry_delivery(meeting_id: int, delivery_id: int):
    """Try again to email the plan to one participant."""
    meeting = chair_meeting(meeting_id)
    delivery = db_session().get(Delivery, delivery_id)
    if delivery is None or delivery.meeting_id != meeting.id or \
            not ConfirmForm().validate_on_submit():
        abort(404)
    try:
        with atomic() as session:
            mailer.retry_delivery(session, delivery.id, actor=g.chair)
    except ValueError:
        flash(_("The plan has already been sent to this person."), "info")
    else:
        email_plan_later(meeting.id)
        flash(_("Sending again. Reload the page in a moment to see the result."), "success")
    return redirect(url_for("chair.meeting", meeting_id=meeting.id) + "#deliveries")
