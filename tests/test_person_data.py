"""A person's data: the chair exports everything stored about one participant, and erases them.

The plan is made through a real meeting (tests/retention_seed.py), with a follow-up that
invited the same people again.
"""

from __future__ import annotations

import pytest
from conftest import CHAIR_PASSWORD
from retention_seed import CHILD, MARKERS, build_rich, dump
from sqlalchemy import select

from sip_meeting import planning
from sip_meeting.db import atomic
from sip_meeting.models import (
    AuditEvent,
    Meeting,
    Organisation,
    Participant,
    Plan,
    PlanVersion,
    TermRequest,
)

SARA, SARA_EMAIL = "Sara Berg", "sara.berg@example.se"
KARIN, KARIN_EMAIL = "Karin Holm", "karin.holm@example.se"


@pytest.fixture
def rich(app, make_chair, make_meeting, make_participant):
    """The closed meeting, and a follow-up booked with the same people (new rows)."""
    r = build_rich(app, make_chair, make_meeting, make_participant)
    with app.app_context(), atomic() as s:
        plan = s.get(Plan, r.plan_id)
        previous = s.get(Meeting, r.meeting.id)
        followup, _links = planning.schedule_followup(
            s, plan.chair, plan, previous.starts_at.replace(year=previous.starts_at.year + 1),
            place="Skolan")
        r.followup_id = followup.id
        r.sara_again = next(p.id for p in followup.participants if p.email == SARA_EMAIL)
    return r


def _data_url(r, participant_id: int, meeting_id: int | None = None) -> str:
    return f"/meetings/{meeting_id or r.meeting.id}/participants/{participant_id}/data.json"


def _erase_url(r, participant_id: int, meeting_id: int | None = None) -> str:
    return f"/meetings/{meeting_id or r.meeting.id}/participants/{participant_id}/erase"


def test_the_export_holds_the_persons_data_and_no_one_elses(rich):
    response = rich.chair.http.get(_data_url(rich, rich.sara.participant_id))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert SARA not in response.headers["Content-Disposition"]
    data = response.json
    # Both meetings, matched by the address.
    assert [(p["participant_id"], p["name"], p["email"]) for p in data["participations"]] == [
        (rich.sara.participant_id, SARA, SARA_EMAIL), (rich.sara_again, SARA, SARA_EMAIL)]
    assert data["participations"][0]["satisfaction"] == "yes"
    assert [a["what"] for a in data["responsible_for"]] == [f"Om det går: {MARKERS[6]}"]
    assert [c["after"] for c in data["changes_made"] if c["field"] == "strengths"] == [
        f"{MARKERS[2]}: Sara Berg berättar"]
    assert [w["word"] for w in data["words_asked_about"]] == ["Korttidsvistelse"]
    assert [d["status"] for d in data["plan_sent_by_email"]] == ["failed"]
    assert [v["version"] for v in data["in_plan_versions"]] == [1]
    text = response.get_data(as_text=True)
    for other in (KARIN, KARIN_EMAIL, "Habiliteringen Väst", MARKERS[5]):
        assert other not in text, other
    # And the other way round; Karin's reminder is hers.
    karin = rich.chair.http.get(_data_url(rich, rich.karin.participant_id)).json
    assert [r["action_id"] for r in karin["reminders_sent"]] == [
        karin["responsible_for"][0]["id"]]
    assert SARA not in str(karin) and SARA_EMAIL not in str(karin)


def test_the_export_is_recorded_in_the_plans_history(rich, query):
    rich.chair.http.get(_data_url(rich, rich.sara.participant_id))
    entries = query(lambda s: s.scalars(select(AuditEvent).where(
        AuditEvent.field == "data_exported")).all())
    assert [(e.entity_id, e.actor_kind) for e in entries] == [
        (rich.sara.participant_id, "chair")]


def test_erasing_removes_the_person_everywhere_and_keeps_the_plan(app, rich, query):
    assert rich.sara.socket.is_connected("/live")
    confirm = rich.chair.http.get(_erase_url(rich, rich.sara.participant_id))
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Radera Sara Berg?" in page
    assert "Det gäller 2 möten i planen" in page
    before = query(lambda s: s.scalar(select(PlanVersion)).snapshot)
    response = rich.chair.http.post(_erase_url(rich, rich.sara.participant_id))
    assert response.status_code == 302
    everything = dump(app, skip=("chairs",))
    assert SARA.lower() not in everything.lower()
    assert SARA_EMAIL not in everything.lower()
    # Everyone and everything else stays.
    for kept in (KARIN, KARIN_EMAIL, CHILD, *MARKERS):
        assert kept in everything, kept
    rows = query(lambda s: s.scalars(select(Participant).where(
        Participant.id.in_([rich.sara.participant_id, rich.sara_again]))).all())
    assert all(p.name == "Raderad deltagare" and p.email == "" and p.token_hash is None
               and p.erased_at is not None and p.role == "guardian" for p in rows)
    assert query(lambda s: s.scalar(select(TermRequest.asked_by))) is None
    after = query(lambda s: s.scalar(select(PlanVersion)).snapshot)
    assert len(after["participants"]) == len(before["participants"])
    assert [a["id"] for a in after["actions"]] == [a["id"] for a in before["actions"]]
    assert after["child_name"] == CHILD
    assert after["participants"][0]["name"] == "Raderad deltagare"
    assert [a["responsible_name"] for a in after["actions"]] == [KARIN, "Raderad deltagare"]
    assert f"{MARKERS[2]}: Raderad deltagare berättar" == after["sections"]["strengths"]
    # The link no longer works, and the open socket was told and closed.
    assert not rich.sara.socket.is_connected("/live")
    told = [e["args"][0] for e in rich.sara.socket.queue if e["name"] == "revoked"]
    assert told and "stängts av" in told[0]["message"]
    assert rich.sara.http.get(f"/m/{rich.meeting.id}/plan").status_code == 404
    assert app.test_client().get(f"/j/{rich.sara.token}").status_code == 404
    # The plan's pages still read well.
    history = rich.chair.http.get(f"/plans/{rich.plan_id}/history")
    assert history.status_code == 200 and "Raderad deltagare" in history.get_data(as_text=True)
    assert rich.chair.http.get(f"/plans/{rich.plan_id}/versions/1").status_code == 200
    meeting = rich.chair.http.get(f"/meetings/{rich.meeting.id}").get_data(as_text=True)
    assert "Raderad deltagare" in meeting and SARA not in meeting
    assert rich.karin.http.get(f"/m/{rich.meeting.id}/plan").status_code == 200


def test_erasing_twice_or_in_a_meeting_that_has_not_ended_changes_nothing(app, rich, query):
    assert rich.chair.http.post(_erase_url(rich, rich.karin.participant_id)).status_code == 302
    after_first = dump(app)
    again = rich.chair.http.post(_erase_url(rich, rich.karin.participant_id),
                                 follow_redirects=True)
    assert "redan raderad" in again.get_data(as_text=True)
    assert dump(app) == after_first
    with app.app_context(), atomic() as s:
        s.get(Meeting, rich.followup_id).status = "open"
    before = dump(app)
    refused = rich.chair.http.post(_erase_url(rich, rich.sara.participant_id),
                                   follow_redirects=True)
    assert "inte har avslutats" in refused.get_data(as_text=True)
    assert dump(app) == before


def test_a_participant_of_another_meeting_or_plan_is_not_found(app, rich, make_meeting):
    other = make_meeting(child="Någon annan")
    for url in (_data_url(rich, rich.sara.participant_id, other.id),
                _erase_url(rich, rich.sara.participant_id, other.id),
                _data_url(rich, 10**6), _erase_url(rich, 10**6)):
        assert rich.chair.http.get(url).status_code == 404, url


def test_another_organisations_chair_gets_not_found_and_changes_nothing(app, rich,
                                                                         make_chair, query):
    with app.app_context(), atomic() as s:
        s.add(Organisation(slug="region", name="Regionen", kind="region"))
    make_chair("other@example.se", "Olle", organisation_id=2)
    other = app.test_client()
    other.post("/login", data={"email": "other@example.se", "password": CHAIR_PASSWORD})
    before = dump(app, skip=("browser_sessions",))
    assert other.get(_data_url(rich, rich.sara.participant_id)).status_code == 404
    assert other.get(_erase_url(rich, rich.sara.participant_id)).status_code == 404
    assert other.post(_erase_url(rich, rich.sara.participant_id)).status_code == 404
    assert dump(app, skip=("browser_sessions",)) == before
    # Nor can a participant use the chair's routes.
    assert rich.karin.http.get(_data_url(rich, rich.sara.participant_id)).status_code == 302
    assert query(lambda s: s.get(Participant, rich.sara.participant_id).erased_at) is None
