"""Who is asking: the logged-in chair, or a participant holding a valid join link."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from .db import db_session, utcnow
from .models import Chair, Meeting, Participant
from .security import hash_token


def load_chair() -> None:
    """Put the logged-in chair, if any, on g and use their language preference."""
    chair_id = session.get("chair_id")
    g.chair = db_session().get(Chair, chair_id) if chair_id else None
    if g.chair is not None and g.chair.locale:
        g.preferred_locale = g.chair.locale


def require_chair():
    """Send anyone who is not a logged-in chair to the login page (a before_request hook)."""
    if g.get("chair") is None:
        return redirect(url_for("auth.login", next=request.full_path))
    return None


def chair_meeting(meeting_id: int) -> Meeting:
    """Return one of the logged-in chair's meetings, or 404."""
    meeting = db_session().get(Meeting, meeting_id)
    if meeting is None or meeting.chair_id != g.chair.id:
        abort(404)
    return meeting


def link_expired(meeting: Meeting) -> bool:
    """Tell whether join links of a closed meeting have passed their configured lifetime."""
    if meeting.closed_at is None:
        return False
    days = current_app.config["JOIN_LINK_DAYS_AFTER_CLOSE"]
    return utcnow() > meeting.closed_at + timedelta(days=int(days))


def participant_for_token(token: str) -> Participant | None:
    """Return the participant whose valid, unrevoked, unexpired link this token is."""
    if not token or len(token) > 200:
        return None
    participant = db_session().scalar(
        select(Participant).where(Participant.token_hash == hash_token(token))
    )
    if participant is None or participant.token_revoked_at is not None:
        return None
    if link_expired(participant.meeting):
        return None
    return participant


def remember_participant(participant: Participant, token: str) -> None:
    """Keep the join token in this browser's session so the link need not stay in the URL."""
    tokens = dict(session.get("tokens", {}))
    tokens[str(participant.meeting_id)] = token
    session["tokens"] = tokens
    session.permanent = True


def session_participant(meeting_id: int) -> Participant | None:
    """Return the participant this browser joined a meeting as, if the link is still valid."""
    token = session.get("tokens", {}).get(str(meeting_id))
    participant = participant_for_token(token) if token else None
    if participant is None or participant.meeting_id != meeting_id:
        return None
    g.preferred_locale = participant.language
    return participant


def session_token(meeting_id: int) -> str | None:
    """Return the join token this browser holds for a meeting."""
    return session.get("tokens", {}).get(str(meeting_id))


def init_app(app: Flask) -> None:
    """Load the chair before every request."""
    app.before_request(load_chair)
