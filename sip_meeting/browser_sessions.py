"""Signed-in browsers, kept on the server so that logging out ends them everywhere.

The cookie carries only a long random key; a `browser_sessions` row keeps its hash, the
chair logged in (if any) and, per meeting, the hash of the join token the browser opened.
A row counts while it has not ended and has not expired; ended and expired rows are deleted
whenever a new one starts, so the table holds about one row per browser signed in now.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .db import utcnow
from .models import BrowserSession
from .security import hash_token

# 32 bytes = 256 bits, like a join token.
KEY_BYTES = 32


def _valid(now: datetime):
    return BrowserSession.ended_at.is_(None) & (BrowserSession.expires_at > now)


def find(session: Session, key: str | None) -> BrowserSession | None:
    """Return the browser session a cookie's key opens, if it has neither ended nor expired."""
    if not isinstance(key, str) or not key or len(key) > 200:
        return None
    return session.scalar(select(BrowserSession).where(
        BrowserSession.key_hash == hash_token(key), _valid(utcnow())
    ).execution_options(populate_existing=True))


def valid_ids(session: Session, ids: Iterable[int]) -> set[int]:
    """Return which of these browser sessions still count (read afresh from the database)."""
    ids = set(ids)
    if not ids:
        return set()
    return set(session.scalars(select(BrowserSession.id).where(
        BrowserSession.id.in_(ids), _valid(utcnow()))).all())


def start(session: Session, lifetime: timedelta, *, chair_id: int | None = None
          ) -> tuple[BrowserSession, str]:
    """Start a browser session and return it with the key for its cookie.

    Rows that ended or expired are deleted on the way, so the table does not grow.
    """
    purge(session)
    key = secrets.token_urlsafe(KEY_BYTES)
    now = utcnow()
    row = BrowserSession(key_hash=hash_token(key), chair_id=chair_id, tokens={},
                         created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return row, key


def new_key(session: Session, row: BrowserSession) -> str:
    """Give a browser session a new key (the old cookie stops working) and return it."""
    key = secrets.token_urlsafe(KEY_BYTES)
    row.key_hash = hash_token(key)
    session.flush()
    return key


def remember_token(row: BrowserSession, meeting_id: int, token_hash: str) -> None:
    """Record that this browser joined a meeting with the join token of this hash."""
    tokens = dict(row.tokens or {})
    tokens[str(meeting_id)] = token_hash
    row.tokens = tokens


def token_hash_for(row: BrowserSession | None, meeting_id: int) -> str | None:
    """Return the hash of the join token this browser opened for a meeting."""
    if row is None:
        return None
    value = (row.tokens or {}).get(str(meeting_id))
    return value if isinstance(value, str) else None


def renewal_due(row: BrowserSession, lifetime: timedelta) -> bool:
    """Tell whether half of a browser session's lifetime has passed.

    A browser in use stays signed in, as the cookie did before, at the cost of one write per
    half lifetime rather than one per request.
    """
    return row.expires_at - utcnow() < lifetime / 2


def renew(row: BrowserSession, lifetime: timedelta) -> None:
    """Push a browser session's expiry back to a full lifetime from now."""
    row.expires_at = utcnow() + lifetime


def end(session: Session, row: BrowserSession) -> None:
    """End one browser session (logging out)."""
    row.ended_at = utcnow()
    session.flush()


def end_all_of_chair(session: Session, chair_id: int) -> list[int]:
    """End every browser session a chair is logged in with; return their ids."""
    ids = list(session.scalars(select(BrowserSession.id).where(
        BrowserSession.chair_id == chair_id, BrowserSession.ended_at.is_(None))).all())
    if ids:
        session.execute(update(BrowserSession).where(BrowserSession.id.in_(ids))
                        .values(ended_at=utcnow()).execution_options(synchronize_session=False))
    return ids


def purge(session: Session) -> None:
    """Delete the rows of browser sessions that ended or expired."""
    session.execute(delete(BrowserSession).where(
        BrowserSession.ended_at.is_not(None) | (BrowserSession.expires_at <= utcnow())))
