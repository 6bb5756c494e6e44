"""Who is connected: one row per open live socket, held by a server process that is alive.

Every server process has an id and writes `seen_at` every few seconds while it runs. A row
of `live_connections` counts only while its process does; a process killed without a word
leaves rows that the next start (one process) or the other processes' heartbeat (several)
take away, announcing who left. Revoking a person disconnects the sockets listed here,
whichever process holds them.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import LiveConnection, LiveServer


def new_server_id() -> str:
    """Return a fresh id for this server process."""
    return secrets.token_hex(8)


def register_server(session: Session, server_id: str, *, alone: bool) -> set[int]:
    """Record this process as alive; alone (no message queue), forget every other process.

    Returns the meetings whose presence changed because of what was forgotten.
    """
    now = utcnow()
    server = session.get(LiveServer, server_id)
    if server is None:
        session.add(LiveServer(id=server_id, started_at=now, seen_at=now))
    else:
        server.seen_at = now
    session.flush()
    if alone:
        return _forget(session, LiveServer.id != server_id)
    return set()


def heartbeat(session: Session, server_id: str, stale_after: float) -> set[int]:
    """Say this process is alive and forget the processes that stopped saying so.

    Returns the meetings whose presence changed.
    """
    register_server(session, server_id, alone=False)
    limit = utcnow() - timedelta(seconds=stale_after)
    return _forget(session, (LiveServer.seen_at < limit) & (LiveServer.id != server_id))


def _forget(session: Session, which) -> set[int]:
    gone = session.scalars(select(LiveServer.id).where(which)).all()
    if not gone:
        return set()
    meetings = set(session.scalars(select(LiveConnection.meeting_id).where(
        LiveConnection.server_id.in_(gone))).all())
    session.execute(delete(LiveConnection).where(LiveConnection.server_id.in_(gone)))
    session.execute(delete(LiveServer).where(LiveServer.id.in_(gone)))
    return meetings


def add_connection(session: Session, server_id: str, sid: str, meeting_id: int, *,
                   participant_id: int | None = None, chair_id: int | None = None,
                   browser_session_id: int | None = None) -> None:
    """Record an open socket."""
    session.add(LiveConnection(sid=sid, server_id=server_id, meeting_id=meeting_id,
                               participant_id=participant_id, chair_id=chair_id,
                               browser_session_id=browser_session_id, connected_at=utcnow()))


def remove_connection(session: Session, sid: str) -> None:
    """Forget a closed socket."""
    session.execute(delete(LiveConnection).where(LiveConnection.sid == sid))


def connected_participants(session: Session, meeting_id: int) -> set[int]:
    """Return the ids of a meeting's participants with at least one open socket."""
    return set(session.scalars(select(LiveConnection.participant_id).where(
        LiveConnection.meeting_id == meeting_id,
        LiveConnection.participant_id.is_not(None)).distinct()).all())


def connection_count(session: Session, participant_id: int) -> int:
    """Return how many sockets a participant has open, over every process."""
    return len(session.scalars(select(LiveConnection.sid).where(
        LiveConnection.participant_id == participant_id)).all())


def sockets_of(session: Session, *, participant_id: int | None = None,
               browser_session_id: int | None = None, chair_id: int | None = None
               ) -> list[str]:
    """Return the socket ids open for a participant, a browser session or a chair."""
    query = select(LiveConnection.sid)
    if participant_id is not None:
        query = query.where(LiveConnection.participant_id == participant_id)
    elif browser_session_id is not None:
        query = query.where(LiveConnection.browser_session_id == browser_session_id)
    elif chair_id is not None:
        query = query.where(LiveConnection.chair_id == chair_id)
    else:
        return []
    return list(session.scalars(query).all())
