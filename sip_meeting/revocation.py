"""Closing the live connections of someone who lost access, in whichever process holds them.

A stopped, replaced or removed link and a logout or a changed password end access at the
next request; the sockets already open would otherwise keep receiving the meeting. Each
socket is told why (`revoked` or `logged_out`, with a message in its reader's language) and
then disconnected. With a message queue, python-socketio forwards both, in this order, to the
process that holds the socket; a process with no queue reaches only its own sockets, and
each server process also closes the sockets of its own that lost access every few seconds
(events.LiveNamespace.close_lost_sockets).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import force_locale
from flask_babel import gettext as _

from . import presence
from .db import db_session
from .extensions import socketio

NAMESPACE = "/live"

# reason -> (event, message)
REASONS = {
    "link_revoked": ("revoked", lambda: _(
        "Your link to this meeting has been stopped. Ask the chair if you need a new one.")),
    "link_replaced": ("revoked", lambda: _(
        "Your link to this meeting has been replaced by a new one. Open the new link to "
        "take part.")),
    "removed": ("revoked", lambda: _("You are no longer invited to this meeting.")),
    "signed_out": ("revoked", lambda: _(
        "This device is not signed in to the meeting any more. Open the personal link from "
        "your invitation again, or ask the chair for a new one.")),
    "purged": ("revoked", lambda: _(
        "This plan's personal data has been deleted, so the meeting can no longer be opened.")),
    "logged_out": ("logged_out", lambda: _(
        "You are logged out in this browser. Log in again to continue.")),
    "password_changed": ("logged_out", lambda: _(
        "The password was changed, so you are logged out. Log in again with the new "
        "password.")),
}


def end_sockets(sids: Iterable[str], reason: str, lang: str | None) -> int:
    """Tell each socket why it is closed, then close it; return how many there were."""
    event, message = REASONS[reason]
    with force_locale(lang or "sv"):
        payload = {"reason": reason, "message": message()}
    sids = list(dict.fromkeys(sids))
    for sid in sids:
        socketio.emit(event, payload, to=sid, namespace=NAMESPACE)
        socketio.server.disconnect(sid, namespace=NAMESPACE)
    return len(sids)


def participant_sockets(participant_id: int) -> list[str]:
    """Return the sockets a participant has open, over every process."""
    return presence.sockets_of(db_session(), participant_id=participant_id)


def browser_sockets(browser_session_ids: Iterable[int], chair_id: int | None = None
                    ) -> list[str]:
    """Return the sockets opened by these browser sessions, and by a chair if given."""
    session = db_session()
    sids = [sid for bid in browser_session_ids
            for sid in presence.sockets_of(session, browser_session_id=bid)]
    if chair_id is not None:
        sids += presence.sockets_of(session, chair_id=chair_id)
    return sids
