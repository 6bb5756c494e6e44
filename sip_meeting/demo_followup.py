"""The demo's second child: a first meeting already closed as version 1, a follow-up booked."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy.orm import Session

from . import planning
from .db import utcnow
from .models import Action, Chair, Consent, Goal
from .versions import freeze

# Recent enough that the family's links still work (they expire some days after the close).
FIRST_MEETING_AGO = 10

NILS_PARTICIPANTS = (
    dict(name="Maria Lind", organisation="", role="guardian", principal="family", language="sv"),
    dict(name="Nils", organisation="", role="child", principal="family", language="sv"),
    dict(name="Per Ström", organisation="Ekbackens skola", role="professional",
         principal="municipality", language="sv"),
    dict(name="Aisha Karimi", organisation="BUP", role="professional", principal="region",
         language="sv"),
    dict(name="Lena Berg", organisation="Socialtjänsten", role="coordinator",
         principal="municipality", language="sv"),
)


def working_day(day: date) -> date:
    """Move a Saturday or a Sunday on to the Monday: SIP meetings are held on working days."""
    return day + timedelta(days=7 - day.weekday()) if day.weekday() >= 5 else day


def create_followed_up_plan(session: Session, chair: Chair, today: date) -> None:
    """Create Nils's plan: closed first meeting (version 1) and its follow-up booked."""
    plan = planning.create_plan(session, chair, "Nils")
    first = planning.schedule_meeting(
        session, chair, plan, planning.local_to_utc(
            working_day(today - timedelta(days=FIRST_MEETING_AGO)), time(9, 0)),
        place="Ekbackens skola, rum 12", purpose="Att få ihop skolan, BUP och fritiden för Nils.",
        questions="Hur kan Nils komma till skolan varje dag?\nVem hjälper familjen med BUP?")
    people = [planning.add_participant(session, chair, first, **f) for f in NILS_PARTICIPANTS]
    maria, nils, per, aisha, lena = people
    for p in people:
        p.admitted_at, p.attendance = first.starts_at, "present"
    aisha.admitted_at, aisha.attendance = None, "absent"
    _fill_plan(session, plan, maria, per, aisha, lena, today)
    first.status, first.started_at = "closed", first.starts_at
    first.closed_at = first.starts_at + timedelta(minutes=90)
    first.satisfaction = {str(maria.id): "yes", str(per.id): "yes", str(nils.id): "partly"}
    freeze(session, first)
    planning.schedule_followup(
        session, chair, plan, planning.local_to_utc(plan.followup_date, time(9, 0)),
        place=first.place, purpose="Uppföljning: har stödet nått Nils?", duration_minutes=60)


def _fill_plan(session: Session, plan, maria, per, aisha, lena, today: date) -> None:
    plan.situation_works = "Nils trivs med sin mentor och älskar fotboll."
    plan.situation_difficult = "Morgnarna är svåra. Nils missar ofta första lektionen."
    plan.child_voice = "Jag vill vara med på rasterna. Det är för mycket ljud i matsalen."
    plan.child_participation, plan.child_told_by = "part", "Lena Berg"
    plan.strengths = "Nils är rolig, envis och bra på att bygga saker."
    plan.lead_principal, plan.lead_person = "municipality", "Lena Berg, socialtjänsten"
    plan.contact_between = "Lena Berg, socialtjänsten, 08-123 45 67"
    plan.followup_date = working_day(today + timedelta(days=30))
    plan.followup_form, plan.followup_convener = "Möte i skolan", "Lena Berg"
    goal = Goal(kind="short", text="Nils är i skolan från första lektionen fyra dagar av fem.",
                field_versions={})
    plan.goals.extend([goal, Goal(kind="long", text="Nils går ut nian med godkända betyg.",
                                  position=1, field_versions={})])
    session.flush()
    start = today - timedelta(days=FIRST_MEETING_AGO)
    _action(session, plan, 0, "Ordna en lugn plats att äta lunch", per, "Ekbackens skola",
            "municipality", start + timedelta(days=14), "done", goal)
    _action(session, plan, 1, "Bedöma om Nils behöver medicinsk utredning", aisha, "BUP",
            "region", today + timedelta(days=5), "ongoing", goal)
    accepted = _action(session, plan, 2, "Om Nils vill börjar han på fritidsgård en dag i veckan",
                       lena, "Socialtjänsten", "municipality", start + timedelta(days=30),
                       "planned", goal)
    accepted.condition_fallback = "Om Nils inte vill, bjuder Lena in till samtal om andra " \
        "fritidsaktiviteter inom två veckor."
    _action(session, plan, 3, "Väcka Nils kvart i sju och följa honom till bussen", maria, "",
            "family", today - timedelta(days=3), "ongoing", goal)
    plan.consents.append(Consent(given_by="Maria Lind", form="oral", given_at=start,
                                 organisations="Ekbackens skola, BUP, socialtjänsten",
                                 information="Skolnärvaro och hälsa som rör skolan",
                                 exclusions="Inga journaler", field_versions={}))
    plan.created_at = utcnow() - timedelta(days=FIRST_MEETING_AGO + 1)
    session.flush()


def _action(session: Session, plan, position: int, what: str, who, organisation: str,
            principal: str, due: date, status: str, goal: Goal) -> Action:
    action = Action(position=position, what=what, responsible_participant_id=who.id,
                    organisation=organisation, principal=principal, due_date=due,
                    status=status, goal_id=goal.id, field_versions={})
    plan.actions.append(action)
    return action
