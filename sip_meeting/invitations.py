"""The invitation (kallelse): its page, the personal join link, its QR code and calendar file."""

from __future__ import annotations

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from markupsafe import Markup

from .access import (
    chair_meeting,
    participant_for_token,
    participant_or_rejoin,
    remember_participant,
    require_chair,
)
from .calendars import plain
from .db import db_session
from .forms import ConfirmForm
from .i18n import file_name, slug
from .meeting_order import meeting_order
from .models import Meeting, Participant
from .planning import STOCKHOLM, ends_at
from .security import token_matches

bp = Blueprint("invite", __name__)


def join_url(token: str) -> str:
    """Return the absolute personal join link for a token."""
    base = current_app.config["PUBLIC_URL"] or request.url_root
    return base.rstrip("/") + url_for("invite.join", token=token)


def qr_svg(url: str) -> Markup:
    """Render a QR code for a link as inline SVG (no external service sees the link)."""
    svg = segno.make(url, error="m").svg_inline(scale=6, border=2, title=_("QR code for the link"))
    return Markup(svg)


def participant_language(participant: Participant) -> str:
    """Return the language a participant reads, as far as the installation offers it."""
    config = current_app.config
    return participant.language if participant.language in config["LANGUAGES"] \
        else config["BABEL_DEFAULT_LOCALE"]


def invitation_ics(meeting: Meeting, participant: Participant, url: str | None,
                   personal: bool = True) -> bytes:
    """Build a participant's calendar invitation in their language, with a link when given.

    Not personal: the address of the meeting's page, which opens on the device that joined.
    """
    cal = Calendar()
    cal.add("prodid", "-//sip-meeting//kallelse//SV")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@sip-meeting")
    event.add("dtstamp", meeting.created_at)
    start = meeting.starts_at.astimezone(STOCKHOLM)
    event.add("dtstart", start)
    event.add("dtend", ends_at(start, meeting.duration_minutes))
    event.add("location", plain(meeting.place or meeting.video_link, one_line=True,
                                limit=None))
    # The chair's words go in as plain text, cleaned as in the plan's other calendar files.
    with force_locale(participant_language(participant)):
        event.add("summary", _("SIP meeting for %(child)s",
                               child=plain(meeting.plan.child_name, one_line=True)))
        lines = [plain(meeting.purpose)]
        if meeting.prepare.strip():
            lines += ["", _("What to prepare:"), plain(meeting.prepare)]
        if meeting.questions:
            lines += ["", _("Questions for the meeting:"), plain(meeting.questions)]
        if url:
            event.add("url", url)
            lines += ["", _("Your personal link to the meeting:") if personal else
                      _("The meeting's page (it opens on the device where you opened your link):"),
                      url]
    event.add("description", "\n".join(lines).strip())
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def invitation_file_name(meeting: Meeting, participant: Participant) -> str:
    """Name a participant's invitation file in their language; each participant's differs."""
    day = meeting.starts_at.astimezone(STOCKHOLM).date().isoformat()
    with force_locale(participant_language(participant)):
        return file_name(_("invitation-%(child)s-%(date)s-%(name)s.ics"),
                         child=meeting.plan.child_name, date=day,
                         name=slug(participant.name) or participant.id)


def _ics_response(meeting: Meeting, participant: Participant, url: str | None,
                  personal: bool = True) -> Response:
    name = invitation_file_name(meeting, participant)
    return Response(
        invitation_ics(meeting, participant, url, personal),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _render_invitation(meeting: Meeting, participant: Participant | None):
    return render_template("invitation.html", meeting=meeting, participant=participant,
                           order=meeting_order(meeting.kind))


@bp.get("/meetings/<int:meeting_id>/invitation")
def chair_invitation(meeting_id: int):
    """Show the chair the invitation as participants see it."""
    return require_chair() or _render_invitation(chair_meeting(meeting_id), None)


@bp.post("/meetings/<int:meeting_id>/participants/<int:participant_id>/invitation.ics")
def chair_ics(meeting_id: int, participant_id: int):
    """Give the chair a participant's calendar file, carrying the link just shown."""
    if g.get("chair") is None:
        abort(404)  # a download link is never a place to log in from
    meeting = chair_meeting(meeting_id)
    participant = db_session().get(Participant, participant_id)
    token = request.form.get("token", "")
    if (participant is None or participant.meeting_id != meeting.id
            or not ConfirmForm().validate_on_submit()
            or not token_matches(token, participant.token_hash)):
        abort(404)
    return _ics_response(meeting, participant, join_url(token))


@bp.get("/j/<token>")
def join(token: str):
    """Enter through a personal link; the browser's session on the server keeps its hash."""
    participant = participant_for_token(token)
    if participant is None:
        return render_template("bad_link.html"), 404
    remember_participant(participant)
    return redirect(url_for("room.device", meeting_id=participant.meeting_id))


@bp.get("/m/<int:meeting_id>/invitation")
def participant_invitation(meeting_id: int):
    """Show a participant their meeting's invitation."""
    participant = participant_or_rejoin(meeting_id)
    return _render_invitation(participant.meeting, participant)


@bp.get("/m/<int:meeting_id>/invitation.ics")
def participant_ics(meeting_id: int):
    """Give a participant the calendar file, with the address of the meeting's page.

    Only the hash of their join token is kept, so their personal link cannot be written
    again; the page opens in this browser while it stays signed in, and otherwise says to
    open the personal link again.
    """
    participant = participant_or_rejoin(meeting_id)
    base = current_app.config["PUBLIC_URL"] or request.url_root
    url = base.rstrip("/") + url_for("room.device", meeting_id=participant.meeting_id)
    return _ics_response(participant.meeting, participant, url, personal=False)
