"""Glossary operations in a meeting: ask what a word means here, and record the answer."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .live import Actor, LiveError, MeetingState, require_chair
from .models import Meeting, TermExplanation, TermRequest
from .planning import audit

MAX_WORD = 80
MAX_EXPLANATION = 1000
MAX_OPEN_REQUESTS = 50


def request_payload(r: TermRequest) -> dict[str, Any]:
    """Describe a request; it names the person only if they chose to be named."""
    return {"id": r.id, "word": r.word, "term_id": r.term_id, "asked_by": r.asked_by,
            "status": r.status, "on_wall": r.on_wall}


def explanation_payload(e: TermExplanation) -> dict[str, Any]:
    """Describe a meeting-specific explanation of a word."""
    return {"id": e.id, "word": e.word, "term_id": e.term_id, "text": e.text}


def _clean_word(word: Any) -> str:
    if not isinstance(word, str) or not word.strip() or len(word.strip()) > MAX_WORD:
        raise LiveError("invalid", "bad_word")
    return " ".join(word.split())


def _clean_term(term_id: Any) -> str | None:
    if term_id in (None, ""):
        return None
    if not isinstance(term_id, str) or current_app.extensions["sip_glossary"].get(term_id) is None:
        raise LiveError("invalid", "bad_word")
    return term_id


def ask_term(word: Any, term_id: Any, named: Any):
    """Build the operation that asks "what does this word mean here?" (anyone admitted)."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        if meeting.status == "closed":
            raise LiveError("closed")
        open_count = session.scalar(select(func.count(TermRequest.id)).where(
            TermRequest.meeting_id == meeting.id, TermRequest.status == "open"))
        if open_count >= MAX_OPEN_REQUESTS:
            raise LiveError("too_large", "too_many_items", max=MAX_OPEN_REQUESTS)
        request = TermRequest(meeting_id=meeting.id, word=_clean_word(word),
                              term_id=_clean_term(term_id),
                              asked_by=actor.name if named is True else None)
        session.add(request)
        session.flush()
        return {"kind": "term_request", "request": request_payload(request), "id": request.id,
                "by": request.asked_by or ""}

    return run


def _chair_request(session: Session, meeting: Meeting, actor: Actor, request_id: Any):
    require_chair(actor)
    request = session.get(TermRequest, request_id) \
        if isinstance(request_id, int) and not isinstance(request_id, bool) else None
    if request is None or request.meeting_id != meeting.id:
        raise LiveError("not_found")
    return request


def show_term(request_id: Any, on_wall: Any):
    """Build the chair's operation that shows a request on the wall, or takes it down."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        request = _chair_request(session, meeting, actor, request_id)
        request.on_wall = on_wall is True
        return {"kind": "term_request", "request": request_payload(request), "id": request.id}

    return run


def dismiss_term(request_id: Any):
    """Build the chair's operation that sets a request aside without an explanation."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        request = _chair_request(session, meeting, actor, request_id)
        request.status, request.on_wall = "dismissed", False
        return {"kind": "term_request", "request": request_payload(request), "id": request.id}

    return run


def explain_term(request_id: Any, word: Any, term_id: Any, text: Any):
    """Build the chair's operation that records what a word means in this plan."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        require_chair(actor)
        if meeting.status == "closed":
            raise LiveError("closed")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_EXPLANATION:
            raise LiveError("invalid", "bad_explanation")
        request = None
        if request_id is not None:
            request = _chair_request(session, meeting, actor, request_id)
            request.status, request.on_wall = "answered", False
        explanation = TermExplanation(
            plan_id=meeting.plan_id, meeting_id=meeting.id,
            word=_clean_word(word if word else request.word if request else None),
            term_id=_clean_term(term_id if term_id else request.term_id if request else None),
            text=text.strip())
        session.add(explanation)
        session.flush()
        audit(session, actor, "explanation", explanation.id, explanation.word, None,
              explanation.text, plan_id=meeting.plan_id, meeting_id=meeting.id)
        return {"kind": "explanation_added", "explanation": explanation_payload(explanation),
                "request": request_payload(request) if request else None,
                "id": explanation.id}

    return run
