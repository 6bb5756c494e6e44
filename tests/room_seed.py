"""A fuller room for browser tests: more people, actions with and without gaps, a child.

Run against a `LiveServer` before it starts (`seed_room(server)`): the demo gives Alva's
meeting five people and an empty plan; a wall is only worth looking at with a room of twelve
and actions that lack a person, a date, or hang on a condition. Also gives the meeting a child
with a known link, and can freeze Nils's follow-up as version 2 so that versions differ.
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD_TOKEN = "room-seed-child-alva-0123456789abcdef"
EXTRA_PEOPLE = (
    ("Maja Lind", "Elevhälsan", "professional", "municipality"),
    ("Omar Said", "Barnhälsovården", "professional", "region"),
    ("Britt Nyström", "Fritids", "professional", "municipality"),
    ("Tove Åberg", "Logopedmottagningen", "professional", "region"),
    ("Hassan Ali", "", "interpreter", "other"),
    ("Greta Berg", "", "relative", "family"),
    ("Linnea Sjö", "Korttidsboendet", "professional", "municipality"),
)
# What each action lacks on the wall; the texts are what the room reads.
ACTIONS = {
    "complete": "Karin ger Alva en lugn plats för läxläsning varje eftermiddag",
    "no_who": "Ordna korttidsvistelse en helg i månaden",
    "no_when": "Leila bedömer Alvas behov av hjälpmedel för sömnen",
    "condition": "Om Alva orkar, går hon på fritids två dagar i veckan",
}

SCRIPT = r"""
import json, sys
from datetime import timedelta
from sqlalchemy import select
from sip_meeting.app import create_app
from sip_meeting.db import atomic, utcnow
from sip_meeting.models import Action, Goal, Meeting, Plan
from sip_meeting import planning
from sip_meeting.versions import freeze

args = json.loads(sys.argv[1])
app = create_app()
with app.app_context(), atomic() as session:
    alva = session.scalar(select(Plan).where(Plan.child_name == "Alva"))
    meeting = alva.meetings[0]
    people = {p.name: p for p in meeting.participants}
    for name, organisation, role, principal in args["people"]:
        people[name] = planning.add_participant(session, None, meeting, name=name,
            organisation=organisation, role=role, principal=principal, language="sv")
    if args["child_token"]:
        people["Alva"] = planning.add_participant(session, None, meeting, name="Alva",
            role="child", principal="family", language="sv")
        planning.issue_link(session, None, people["Alva"], token=args["child_token"])
    if args["admit"]:
        for name, p in people.items():
            if name not in args["waiting"]:
                p.admitted_at, p.attendance = utcnow(), "present"
    if args["actions"]:
        goal = Goal(kind="short", text="Alva orkar hela skoldagen och har kraft kvar hemma.",
                    field_versions={})
        alva.goals.append(goal)
        session.flush()
        due = (meeting.starts_at + timedelta(days=30)).date()
        texts = args["actions"]
        rows = [
            (texts["complete"], people["Karin Holm"], due, "municipality"),
            (texts["no_who"], None, due, "municipality"),
            (texts["no_when"], people["Leila Nasser"], None, "region"),
            (texts["condition"], people["Sara Berg"], due, "family"),
        ]
        for position, (what, who, when, principal) in enumerate(rows):
            alva.actions.append(Action(position=position, what=what, due_date=when,
                responsible_participant_id=who.id if who else None, principal=principal,
                goal_id=goal.id, field_versions={}))
    if args["second_version"]:
        nils = session.scalar(select(Plan).where(Plan.child_name == "Nils"))
        followup = max(nils.meetings, key=lambda m: m.id)
        nils.strengths = nils.strengths + " Nils hjälper gärna yngre elever."
        nils.actions[0].status = "done"
        nils.actions.append(Action(position=len(nils.actions), what="Ordna en mentor på fritids",
            responsible="Lena Berg", principal="municipality",
            due_date=(followup.starts_at + timedelta(days=30)).date(), field_versions={}))
        followup.status, followup.started_at = "closed", followup.starts_at
        followup.closed_at = followup.starts_at + timedelta(minutes=60)
        session.flush()
        freeze(session, followup)
"""


def seed_room(server, *, people: bool = True, admit: bool = True, actions: bool = True,
              child: bool = False, second_version: bool = False,
              waiting: tuple[str, ...] = ()) -> None:
    """Add to the demo in the server's database; call before the server starts.

    admit: let everyone in already, except the people named in `waiting`.
    """
    args = {"people": EXTRA_PEOPLE if people else [], "admit": admit, "waiting": list(waiting),
            "actions": ACTIONS if actions else None,
            "child_token": CHILD_TOKEN if child else None, "second_version": second_version}
    subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], env=server.env,
                   check=True, capture_output=True, text=True, timeout=60)
