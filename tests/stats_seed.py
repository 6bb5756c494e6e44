"""A set of closed meetings with known statistics (tests/test_stats.py has the answers).

Fifteen plans have a first meeting in January 2026; ten of them a follow-up ninety days later.
One meeting before the period and one still being prepared in it are not counted.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from sip_meeting.db import utcnow
from sip_meeting.models import AuditEvent, Chair, Meeting, Participant, Plan, PlanVersion
from sip_meeting.planning import local_to_utc

PERIOD = (date(2026, 1, 1), date(2026, 6, 30))
IF_TEXT = "Om Alva orkar tränar hon simning med Karin varje vecka"
PLAIN_TEXT = "Karin tränar simning med Alva varje vecka"


def _action(aid: int, principal: str, due: str, what: str = "Ordna en lugn plats för lunch",
            **more) -> dict:
    return {"id": aid, "what": what, "principal": principal, "due_date": due,
            "decision_date": "", "when_note": "", "status": "planned", "review_outcome": "",
            "condition_fallback": "", "depends_on_id": None, **more}


def _meeting(session, chair, plan, day: date, kind: str, family: bool, answers: dict,
             status: str = "closed") -> Meeting:
    meeting = Meeting(plan=plan, chair=chair, kind=kind, status=status,
                      starts_at=local_to_utc(day, time(10, 0)), satisfaction={})
    session.add(meeting)
    session.flush()
    guardian = Participant(meeting_id=meeting.id, name="Sara Berg", role="guardian",
                           principal="family", admitted_at=utcnow() if family else None,
                           attendance="present" if family else "absent", position=0)
    school = Participant(meeting_id=meeting.id, name="Karin Holm", role="professional",
                         principal="municipality", admitted_at=utcnow(), position=1)
    session.add_all([guardian, school])
    session.flush()
    meeting.satisfaction = {str(guardian.id): answers.get("guardian"),
                            str(school.id): answers.get("school")}
    meeting.satisfaction = {k: v for k, v in meeting.satisfaction.items() if v}
    if status == "closed":
        meeting.closed_at = meeting.starts_at + timedelta(hours=2)
    return meeting


def _version(session, plan, meeting, number: int, actions: list, overrides: list,
             voice: str, followup: str) -> None:
    session.add(PlanVersion(plan_id=plan.id, meeting_id=meeting.id, number=number, snapshot={
        "format": "sip-meeting/plan-version/1", "plan_id": plan.id, "version": number,
        "child_name": plan.child_name, "participants": [],
        "sections": {"child_voice": voice, "followup_date": followup},
        "goals": [], "actions": actions, "consents": [], "overrides": overrides,
        "explanations": [], "accepted_conditions": []}))


def _rewritten(session, meeting, action_id: int) -> None:
    """What the action said during the meeting before it was rewritten without its "if"."""
    session.add(AuditEvent(plan_id=meeting.plan_id, meeting_id=meeting.id,
                           actor_kind="participant", entity="action", entity_id=action_id,
                           field="added", after={"what": IF_TEXT}))
    session.add(AuditEvent(plan_id=meeting.plan_id, meeting_id=meeting.id,
                           actor_kind="participant", entity="action", entity_id=action_id,
                           field="what", before=IF_TEXT, after=PLAIN_TEXT))


def seed_stats(session) -> None:
    """Add the plans and meetings (to an empty or demo database)."""
    chair = Chair(email="stats@example.se", name="Statistik", password_hash="x")
    session.add(chair)
    session.flush()
    # (who answered what) for the 25 meetings in the period, in order: 12 yes, 6 partly, 2 no
    answers = ([{"guardian": "yes", "school": "yes"}] * 6 + [{"guardian": "partly",
               "school": "partly"}] * 3 + [{"guardian": "no", "school": "no"}] + [{}] * 15)
    held = 0
    for i in range(15):
        plan = Plan(chair=chair, child_name=f"Barn {i}")
        session.add(plan)
        session.flush()
        first_day = date(2026, 1, 10 + i)
        followup_day = first_day + timedelta(days=90)
        agreed_day = followup_day if i < 5 else followup_day + timedelta(days=7)
        first = _meeting(session, chair, plan, first_day, "first", family=i < 12,
                         answers=answers[held])
        held += 1
        base = 1000 * (i + 1)
        a = _action(base + 1, "municipality", "2026-03-01")
        b = _action(base + 2, "region", "2026-03-15")
        actions = [a, b]
        overrides = []
        if i < 5:       # rewritten during the meeting
            a["what"] = PLAIN_TEXT
            _rewritten(session, first, a["id"])
        elif i < 10:    # accepted with a fallback
            a["what"] = IF_TEXT
            a["condition_fallback"] = "Orkar Alva inte, ringer Karin hem och de väljer annat."
        else:           # set aside with a reason
            b["what"] = IF_TEXT
            overrides.append({"rule": "conditional", "item_id": b["id"], "reason": "Skäl"})
        if i < 6:
            c = _action(base + 3, "family", "2026-12-31")
            if i < 2:   # the condition made an action of its own, which it waits for
                c["what"], c["depends_on_id"] = IF_TEXT, base + 1
            actions.append(c)
        if i == 0:      # cancelled in the meeting: not agreed
            actions.append(_action(base + 5, "region", "2026-02-01", status="cancelled"))
        if i < 7:
            overrides.append({"rule": "action_who", "item_id": a["id"], "reason": "Skäl"})
        if i == 7:
            overrides.append({"rule": "followup_date", "item_id": None, "reason": "Skäl"})
        _version(session, plan, first, 1, actions, overrides, voice="Vill spela fotboll"
                 if i < 10 else "", followup=agreed_day.isoformat() if i < 10 else "")
        if i >= 10:
            continue
        followup = _meeting(session, chair, plan, followup_day, "followup", family=i < 8,
                            answers=answers[held])
        held += 1
        later = [dict(x) for x in actions]
        a2, b2 = later[0], later[1]
        if i < 5:
            a2["status"] = "done"
            b2["review_outcome"] = "done"
        else:
            b2["status"] = "cancelled"
        later.append(_action(base + 4, "other", "2026-09-01"))
        _version(session, plan, followup, 2, later, [], voice="Vill spela fotboll" if i < 5
                 else "", followup="2026-10-01")
    # Outside the period, and not held yet: neither is counted.
    outside = Plan(chair=chair, child_name="Utanför")
    session.add(outside)
    session.flush()
    before = _meeting(session, chair, outside, date(2025, 12, 1), "first", True,
                      {"guardian": "no"})
    _version(session, outside, before, 1, [_action(99001, "region", "2026-01-15")],
             [{"rule": "hedge", "item_id": 99001, "reason": "Skäl"}], "Röst", "2026-02-01")
    _meeting(session, chair, outside, date(2026, 2, 1), "followup", True, {"guardian": "no"},
             status="draft")
    session.flush()
