"""Seed live meetings for bench/live_latency.py through the application's own operations.

Run with the same environment as the server (SIP_MEETING_INSTANCE_PATH and friends):
``python bench/_live_setup.py OUT.json --meetings N --participants M``. Every meeting is
set live with every participant admitted; OUT.json receives the plan and meeting ids and
the join tokens.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import Session  # noqa: E402

from sip_meeting import create_app, planning  # noqa: E402
from sip_meeting.db import atomic, utcnow  # noqa: E402
from sip_meeting.models import Chair, Meeting  # noqa: E402
from sip_meeting.security import hash_password  # noqa: E402

FIRST_NAMES = ("Sara", "Ahmed", "Karin", "Jonas", "Leila", "Nils", "Maja", "Omar", "Eva",
               "Lars", "Ingrid", "Yusuf", "Elin", "Mats", "Aisha", "Per")
LAST_NAMES = ("Berg", "Holm", "Ek", "Nasser", "Lind", "Sandberg", "Ali", "Strand")
# (role, principal, organisation); the first one writes in the benchmark.
PEOPLE = (
    ("coordinator", "municipality", "Socialtjänsten"),
    ("guardian", "family", ""),
    ("guardian", "family", ""),
    ("professional", "municipality", "Solskolan"),
    ("professional", "region", "Habiliteringen"),
    ("professional", "region", "BUP"),
    ("relative", "family", ""),
    ("professional", "municipality", "Elevhälsan"),
)
CHILDREN = ("Alva", "Elias", "Wilma", "Noah", "Selma", "Liam", "Ines", "Hugo")


def seed_meeting(session: Session, chair: Chair, number: int, participants: int) -> dict:
    """Create one plan with a live meeting whose participants are all admitted."""
    plan = planning.create_plan(session, chair, f"{CHILDREN[number % len(CHILDREN)]} {number}")
    meeting = planning.schedule_meeting(session, chair, plan, utcnow(), place="Konferensrummet",
                                        purpose="Att planera stödet tillsammans.")
    tokens = []
    for position in range(participants):
        role, principal, organisation = PEOPLE[position % len(PEOPLE)]
        name = (f"{FIRST_NAMES[(number + position) % len(FIRST_NAMES)]} "
                f"{LAST_NAMES[position % len(LAST_NAMES)]}")
        participant = planning.add_participant(
            session, chair, meeting, name=name, organisation=organisation, role=role,
            principal=principal, language="sv")
        tokens.append(planning.issue_link(session, chair, participant))
        participant.admitted_at, participant.attendance = utcnow(), "present"
    # The state a started meeting is in; the live operation that starts it from the console
    # also logs an op, which only moves the sequence number on by one.
    planning.audit(session, chair, "meeting", meeting.id, "status", meeting.status, "live",
                   plan_id=plan.id, meeting_id=meeting.id)
    meeting.status, meeting.started_at = "live", utcnow()
    session.flush()
    return {"meeting_id": meeting.id, "plan_id": plan.id, "tokens": tokens}


def seed(meetings: int, participants: int) -> list[dict]:
    """Create a chair and the meetings, committing one meeting at a time."""
    with atomic() as session:
        chair = Chair(email=f"bench-{secrets.token_hex(6)}@sip-meeting.example",
                      name="Bänk Ordförande", password_hash=hash_password(secrets.token_hex(16)))
        session.add(chair)
    seeded = []
    for number in range(1, meetings + 1):
        with atomic() as session:
            seeded.append(seed_meeting(session, chair, number, participants))
    return seeded


def check(meetings: list[dict]) -> None:
    """Fail loudly unless every seeded meeting reads back as live."""
    with atomic() as session:
        for row in meetings:
            status = session.get(Meeting, row["meeting_id"]).status
            if status != "live":
                raise SystemExit(f"meeting {row['meeting_id']} is {status}, not live")


def main() -> None:
    """Seed the meetings and write their ids and join tokens as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--meetings", type=int, required=True)
    parser.add_argument("--participants", type=int, required=True)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        meetings = seed(args.meetings, args.participants)
        check(meetings)
    args.out.write_text(json.dumps({"meetings": meetings}))


if __name__ == "__main__":
    main()
