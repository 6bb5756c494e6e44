"""The Swedish demo: a chair, a child's plan and a meeting with five participants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import planning
from .demo_followup import create_followed_up_plan, working_day
from .models import Chair, Meeting
from .security import derived_token, hash_password

DEMO_EMAIL = "demo@sip-meeting.example"
DEMO_PASSWORD = "demo-mote-2026"

PARTICIPANTS = (
    dict(name="Sara Berg", organisation="", role="guardian", principal="family", language="sv"),
    dict(name="Ahmed Berg", organisation="", role="guardian", principal="family", language="en"),
    dict(name="Karin Holm", organisation="Solskolan", role="professional",
         principal="municipality", language="sv", email="karin.holm@skola.example"),
    dict(name="Jonas Ek", organisation="Socialtjänsten, LSS", role="professional",
         principal="municipality", language="sv"),
    dict(name="Leila Nasser", organisation="Habiliteringen", role="professional",
         principal="region", language="sv"),
)


@dataclass
class DemoResult:
    """What the demo seed created or found, with the join tokens to print."""

    created: bool
    chair: Chair
    meeting: Meeting
    tokens: list[tuple[str, str]]
    closed_meeting: Meeting | None = None
    closed_tokens: list[tuple[str, str]] | None = None


def seed_demo(session: Session, secret_key: str, today: date | None = None) -> DemoResult:
    """Create the demo once; later calls find it and return the same links."""
    chair = session.scalar(select(Chair).where(Chair.email == DEMO_EMAIL))
    created = chair is None
    if created:
        chair = _create(session, today or date.today())
    plans = sorted(chair.plans, key=lambda p: p.id)
    meeting = plans[0].meetings[0]
    closed = next((m for m in plans[1].meetings if m.status == "closed"), None)
    return DemoResult(created, chair, meeting, _links(session, secret_key, meeting), closed,
                      _links(session, secret_key, closed) if closed else None)


def _links(session: Session, secret_key: str, meeting: Meeting) -> list[tuple[str, str]]:
    """Give each participant a link derived from the secret key, so every run prints the same."""
    tokens = []
    for participant in meeting.participants:
        token = derived_token(secret_key, f"demo:{meeting.id}:{participant.position}")
        if participant.token_hash is None:
            planning.issue_link(session, None, participant, token=token)
        tokens.append((participant.name, token))
    return tokens


def _create(session: Session, today: date) -> Chair:
    chair = Chair(email=DEMO_EMAIL, name="Eva Lund", password_hash=hash_password(DEMO_PASSWORD),
                  locale="sv")
    session.add(chair)
    session.flush()
    plan = planning.create_plan(session, chair, "Alva")
    starts = planning.local_to_utc(working_day(today + timedelta(days=7)), time(13, 0))
    meeting = planning.schedule_meeting(
        session, chair, plan, starts,
        duration_minutes=90,
        place="Solskolan, konferensrummet Eken",
        purpose="Att tillsammans planera stödet till Alva i skolan och hemma, "
                "så att familjen vet vem som gör vad.",
        questions="Hur kan Alva orka hela skoldagen?\n"
                  "Vilket stöd behöver familjen på eftermiddagar och helger?",
        prepare="Tänk på vad som fungerar bra för Alva just nu och vad som är svårt. "
                "Alva får gärna rita eller skriva något som vi tar med till mötet.",
    )
    for fields in PARTICIPANTS:
        planning.add_participant(session, chair, meeting, **fields)
    create_followed_up_plan(session, chair, today)
    return chair
