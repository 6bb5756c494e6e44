"""A plan made through a real meeting that stores every kind of personal data there is.

Two people (a guardian and a professional with an organisation), live edits by both, a goal,
actions with a responsible person by id and by name, a consent, a word asked about under a
name and explained, overrides with reasons, a closed version, an answer to "Are you
satisfied?", an email that failed and a reminder sent. Each text holds a word of MARKERS, so
that a search of the whole database (dump) tells whether it is still there.
"""

from __future__ import annotations

from datetime import date, timedelta

from conftest import CHAIR_PASSWORD, LiveClient
from sqlalchemy import select

from sip_meeting import retention
from sip_meeting.db import Base, atomic, db_session
from sip_meeting.models import Delivery, Meeting, ReminderSent

CHILD = "Siv-Britt"
PEOPLE = [("Sara Berg", "sara.berg@example.se", "guardian", "family", ""),
          ("Karin Holm", "karin.holm@example.se", "professional", "municipality",
           "Habiliteringen Väst")]
CHAIR_NAME = "Eva Lund"
# Words written in every kind of field; none of them may survive a purge.
MARKERS = ["Fotbollsträning", "Simskolan", "Ridlägret", "Lugnrummet", "Pingisbordet",
           "Morfarsgården", "Skärgårdsbåten", "Kanotleden", "Glasskiosken", "Hundkojan",
           "Trädkojan", "Bokbussen"]


class Rich:
    """The plan's meeting, its clients (chair, sara, karin) and the first day it is due."""


def _end(chair: LiveClient) -> None:
    refused = chair.op("end")
    for blocker in refused.get("blockers", []):
        assert chair.op("override", rule=blocker["rule"], item_id=blocker["item_id"],
                        reason=f"{MARKERS[8]} tas vid nästa möte")["ok"]
    assert chair.op("end")["ok"], refused


def build_rich(app, make_chair, make_meeting, make_participant):
    """Make a closed meeting of CHILD's plan, with every kind of personal data stored."""
    chair_http = app.test_client()
    make_chair(name=CHAIR_NAME)
    chair_http.post("/login", data={"email": "chair@example.se", "password": CHAIR_PASSWORD})
    meeting = make_meeting(child=CHILD)
    with app.app_context(), atomic() as s:
        m = s.get(Meeting, meeting.id)
        m.place, m.purpose, m.prepare = MARKERS[0], MARKERS[1], f"{MARKERS[1]} igen"
        m.questions = f"Hur går det med {MARKERS[11]}?"
    chair = LiveClient(app, meeting.id, "console", chair_http)
    assert chair.op("start")["ok"]
    people = []
    for name, email, role, principal, org in PEOPLE:
        participant, token = make_participant(meeting, name=name, role=role,
                                              principal=principal, email=email,
                                              organisation=org)
        http = app.test_client()
        http.get(f"/j/{token}")
        client = LiveClient(app, meeting.id, "device", http)
        client.participant_id, client.token = participant.id, token
        assert chair.op("admit", participant_id=participant.id)["ok"]
        people.append(client)
    sara, karin = people
    plan_id = meeting.plan_id
    assert sara.op("edit", entity="plan", id=plan_id, field="strengths", base_version=0,
                   base="", value=f"{MARKERS[2]}: Sara Berg berättar")["ok"]
    assert chair.op("edit", entity="plan", id=plan_id, field="child_voice", base_version=0,
                    base="", value=f"Jag vill till {MARKERS[3]}")["ok"]
    assert chair.op("edit", entity="plan", id=plan_id, field="followup_date",
                    base_version=0, base="", value=(date.today() + timedelta(days=60))
                    .isoformat())["ok"]
    assert chair.op("add_item", entity="goal", values={"text": MARKERS[4]})["ok"]
    action = chair.op("add_item", entity="action", values={
        "what": f"{MARKERS[5]} varje vecka", "responsible_participant_id": karin.participant_id,
        "organisation": "Habiliteringen Väst", "due_date": "2031-03-01"})
    assert action["ok"]
    assert chair.op("add_item", entity="action", values={
        "what": f"Om det går: {MARKERS[6]}", "responsible": "Sara Berg",
        "principal": "family", "due_date": "2031-02-01"})["ok"]
    assert chair.op("add_item", entity="consent", values={
        "given_by": "Sara Berg", "information": MARKERS[7], "form": "written"})["ok"]
    asked = sara.op("ask_term", word="Korttidsvistelse", term_id=None, named=True)
    assert asked["ok"]
    assert chair.op("explain_term", request_id=asked["id"], word=None, term_id=None,
                    text=MARKERS[9])["ok"]
    _end(chair)
    sara.http.post(f"/m/{meeting.id}/satisfaction", data={"answer": "yes"})
    with app.app_context(), atomic() as s:
        s.add(Delivery(meeting_id=meeting.id, participant_id=sara.participant_id,
                       status="failed", error=f"refused sara.berg@example.se {MARKERS[10]}"))
        s.add(ReminderSent(kind="action", subject_id=action["id"],
                           recipient=f"participant:{karin.participant_id}",
                           day=date.today()))

    r = Rich()
    r.meeting, r.plan_id, r.chair, r.sara, r.karin = meeting, plan_id, chair, sara, karin
    with app.app_context():
        r.starts = db_session().get(Meeting, meeting.id).starts_at
    r.due_day = retention.add_months(r.starts.date(), 24) + timedelta(days=2)
    return r


def dump(app, skip: tuple[str, ...] = ()) -> str:
    """Every row of every table, as text."""
    with app.app_context():
        session = db_session()
        session.expire_all()
        return "\n".join(f"{t.name}: {row!r}" for t in Base.metadata.sorted_tables
                         if t.name not in skip for row in session.execute(select(t)).all())
