"""Operations after the close: each person's one-tap answer to "Are you satisfied?"."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from .live import Actor, LiveError, MeetingState
from .models import Meeting

SATISFACTION = ("yes", "partly", "no")


def satisfaction_counts(meeting: Meeting) -> dict[str, int]:
    """Count the answers without telling who gave which."""
    counts = Counter((meeting.satisfaction or {}).values())
    return {answer: counts.get(answer, 0) for answer in SATISFACTION}


def answer_satisfaction(answer: Any):
    """Build the operation that records one participant's answer (changeable, one per person)."""

    def run(session: Session, state: MeetingState, actor: Actor) -> dict[str, Any]:
        meeting = state.load(session)
        if actor.is_chair:
            raise LiveError("forbidden", "read_only")
        if meeting.status != "closed":
            raise LiveError("invalid", "not_closed")
        if answer not in SATISFACTION:
            raise LiveError("invalid", "bad_answer")
        meeting.satisfaction = {**(meeting.satisfaction or {}), str(actor.id): answer}
        return {"kind": "satisfaction", "counts": satisfaction_counts(meeting)}

    return run
