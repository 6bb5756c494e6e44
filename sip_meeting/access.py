"""Who is asking: the logged-in chair, or a participant holding a valid join link.

Both live in this browser's session on the server (browser_sessions); the cookie carries only
its key. A participant's access is the hash of the join token the browser opened, compared
with the participant's current one on every request, so a revoked or replaced link, or a
removed participant, ends the access of every browser that used it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import (
    Flask,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from . import accounts, browser_sessions
from .db import atomic, db_session, utcnow
from .models import BrowserSession, Chair, Meeting, Participant
from .security import hash_token

# The name of the browser session's key in the (signed) session cookie.
SESSION_KEY = "key"


def browser_session() -> BrowserSession | None:
    """Return this browser's session on the server if it still counts (once per context)."""
    if "browser_session" not in g:
        g.browser_session = browser_sessions.find(db_session(), session.get(SESSION_KEY))
    return g.browser_session


def load_chair() -> None:
    """Put the logged-in chair, if any, on g and use their language preference."""
    row = browser_session()
    chair = db_session().get(Chair, row.chair_id) if row and row.chair_id else None
    # A deactivated account is signed out wherever it was signed in.
    g.chair = chair if chair is not None and chair.active else None
    if g.chair is not None and g.chair.locale:
        g.preferred_locale = g.chair.locale
    lifetime = current_app.permanent_session_lifetime
    if row is not None and browser_sessions.renewal_due(row, lifetime):
        with atomic():
            browser_sessions.renew(row, lifetime)


def start_browser_session(chair_id: int | None = None) -> BrowserSession:
    """Start a new session for this browser, ending the one it had (log in).

    A new row and a new key: a key planted in the browser before cannot follow it in.
    """
    old = browser_session()
    with atomic() as s:
        if old is not None:
            browser_sessions.end(s, old)
        row, key = browser_sessions.start(s, current_app.permanent_session_lifetime,
                                          chair_id=chair_id)
    session.clear()
    session[SESSION_KEY] = key
    session.permanent = True
    g.browser_session = row
    return row


def end_browser_session() -> BrowserSession | None:
    """End this browser's session on the server and forget its cookie (log out)."""
    row = browser_session()
    if row is not None:
        with atomic() as s:
            browser_sessions.end(s, row)
    session.clear()
    g.browser_session = None
    return row


def require_chair():
    """Send anyone who is not a logged-in chair to the login page (a before_request hook).

    An administrator without the chair role is sent to the administration pages; any other
    account without it is refused.
    """
    if g.get("chair") is None:
        return redirect(url_for("auth.login", next=request.full_path))
    if not accounts.may_chair(g.chair):
        if accounts.may_administer(g.chair):
            return redirect(url_for("admin.index"))
        abort(403)
    return None


def require_staff():
    """Let in an active chair or administrator (pages of anonymous counts, such as statistics).

    Anyone else is sent to the login page; the figures are the organisation's own.
    """
    chair = g.get("chair")
    if chair is None or not (accounts.may_chair(chair) or accounts.may_administer(chair)):
        return redirect(url_for("auth.login", next=request.full_path))
    return None


def chair_meeting(meeting_id: int) -> Meeting:
    """Return a meeting of a plan the logged-in chair may act on, or 404."""
    return accounts.meeting_or_404(db_session(), meeting_id)


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
    return participant_for_token_hash(hash_token(token))


def participant_for_token_hash(token_hash: str | None) -> Participant | None:
    """Return the participant whose valid link has this hash (read afresh from the database)."""
    if not token_hash:
        return None
    participant = db_session().scalar(
        select(Participant).where(Participant.token_hash == token_hash)
        .execution_options(populate_existing=True)
    )
    if participant is None or participant.token_revoked_at is not None:
        return None
    if link_expired(participant.meeting):
        return None
    return participant


def valid_token_hashes(participant_ids: Iterable[int]) -> dict[int, str]:
    """Return the current token hash of each of these participants whose link still works."""
    ids = set(participant_ids)
    if not ids:
        return {}
    rows = db_session().execute(
        select(Participant.id, Participant.token_hash, Participant.token_revoked_at,
               Meeting.closed_at).join(Meeting, Meeting.id == Participant.meeting_id)
        .where(Participant.id.in_(ids))).all()
    days = timedelta(days=int(current_app.config["JOIN_LINK_DAYS_AFTER_CLOSE"]))
    now = utcnow()
    return {pid: token_hash for pid, token_hash, revoked_at, closed_at in rows
            if token_hash and revoked_at is None and (closed_at is None or now <= closed_at + days)}


def remember_participant(participant: Participant) -> None:
    """Let this browser in as a participant: its session keeps the hash of the join token.

    The token itself is kept nowhere, and the session gets a new key, so a key planted in
    the browser before the link was opened does not gain the participant's access.
    """
    row = browser_session()
    lifetime = current_app.permanent_session_lifetime
    with atomic() as s:
        if row is None:
            row, key = browser_sessions.start(s, lifetime)
        else:
            key = browser_sessions.new_key(s, row)
        browser_sessions.remember_token(row, participant.meeting_id, participant.token_hash)
    session[SESSION_KEY] = key
    session.permanent = True
    g.browser_session = row


def session_participant(meeting_id: int) -> Participant | None:
    """Return the participant this browser joined a meeting as, if the link is still valid."""
    token_hash = browser_sessions.token_hash_for(browser_session(), meeting_id)
    participant = participant_for_token_hash(token_hash)
    if participant is None or participant.meeting_id != meeting_id:
        return None
    g.preferred_locale = participant.language
    return participant


def participant_or_rejoin(meeting_id: int) -> Participant:
    """Return this browser's participant of a meeting, or end with a page that says what to do.

    Not found (404), as for a link that never existed; the page tells the person to open
    their personal link again, which is what helps after their session ended or expired, and
    that the page opens only on the device that joined: on another one, the chair gives a new
    link. It names nobody: anyone may try a meeting's number, and the page must not tell them
    that the meeting exists or who chairs it.
    """
    participant = session_participant(meeting_id)
    if participant is None:
        abort(make_response(render_template("rejoin.html"), 404))
    return participant


def init_app(app: Flask) -> None:
    """Load the chair before every request."""
    app.before_request(load_chair)
