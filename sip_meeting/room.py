"""The three views of a live meeting: the participant's device, the chair's console, the wall."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from .access import chair_meeting, participant_or_rejoin, require_chair
from .i18n import current_language
from .invitations import qr_svg
from .live_strings import live_strings
from .meeting_order import meeting_order
from .models import Meeting

bp = Blueprint("room", __name__)


def _page(meeting: Meeting, view: str):
    # Not a secret: it opens the plan only in a browser that joined with a personal link.
    family_url = _public_url(url_for("handover.family_page", meeting_id=meeting.id))
    config: dict[str, Any] = {
        "meeting_id": meeting.id,
        "view": view,
        "lang": current_language(),
        "strings": live_strings(),
        "urls": {
            "socketio_client": url_for("static", filename="vendor/socket.io/socket.io.esm.min.js"),
            "wall": url_for("room.wall", meeting_id=meeting.id),
            "console": url_for("room.console", meeting_id=meeting.id),
            "invitation": url_for("invite.participant_invitation", meeting_id=meeting.id)
            if view == "device" else url_for("invite.chair_invitation", meeting_id=meeting.id),
            "family_page": family_url,
            "glossary_term": url_for("glossary.term_json", term_id="TERM"),
        },
    }
    return render_template(f"live/{view}.html", meeting=meeting, order=meeting_order(meeting.kind),
                           view=view, config=config,
                           family_qr=qr_svg(family_url) if view == "wall" else None)


def _public_url(path: str) -> str:
    base = current_app.config["PUBLIC_URL"] or request.url_root
    return base.rstrip("/") + path


@bp.get("/m/<int:meeting_id>")
def device(meeting_id: int):
    """Open the meeting on a participant's own device."""
    participant = participant_or_rejoin(meeting_id)
    if participant.meeting.status == "closed":
        return redirect(url_for("handover.family_page", meeting_id=meeting_id))
    g.participant = participant
    return _page(participant.meeting, "device")


@bp.get("/meetings/<int:meeting_id>/console")
def console(meeting_id: int):
    """Open the chair's console."""
    redirect = require_chair()
    return redirect or _page(chair_meeting(meeting_id), "console")


@bp.get("/meetings/<int:meeting_id>/wall")
def wall(meeting_id: int):
    """Open the wall view for the projector."""
    redirect = require_chair()
    return redirect or _page(chair_meeting(meeting_id), "wall")
