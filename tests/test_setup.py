"""A chair creates a plan, schedules a meeting and invites participants."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sip_meeting.db import atomic
from sip_meeting.models import AuditEvent, Meeting, Participant, Plan

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEXT_WEEK = (date.today() + timedelta(days=7)).isoformat()
MEETING = {"date": NEXT_WEEK, "time": "13:30", "duration_minutes": "90", "place": "Solskolan",
           "video_link": "", "purpose": "Planera", "questions": "Hur orkar Alva?\nVad behövs?",
           "prepare": "Ta med det som fungerar."}
PERSON = {"name": "Karin Holm", "organisation": "Solskolan", "role": "professional",
          "principal": "municipality", "email": "karin@skola.example", "language": "sv"}


@pytest.fixture
def chair_client(client, make_chair, login):
    make_chair()
    login()
    return client


def test_create_plan_then_schedule_meeting_in_stockholm_time(chair_client, query):
    response = chair_client.post("/plans/new", data={"child_name": " Alva "})
    assert response.status_code == 302
    response = chair_client.post(response.headers["Location"], data=MEETING)
    assert response.status_code == 302
    meeting = query(lambda s: s.scalar(select(Meeting)))
    assert query(lambda s: s.get(Plan, meeting.plan_id).child_name) == "Alva"
    assert meeting.status == "draft" and meeting.kind == "first"
    local = meeting.starts_at.astimezone(STOCKHOLM)
    assert (local.date().isoformat(), local.strftime("%H:%M")) == (NEXT_WEEK, "13:30")
    page = chair_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hur orkar Alva?" in page


@pytest.mark.parametrize("change,field,message", [
    ({"date": ""}, "date", "Det här fältet är obligatoriskt"),
    ({"date": "2026-13-45"}, "date", "datum"),
    ({"time": "25:00"}, "time", "tid"),
    ({"duration_minutes": "5"}, "duration_minutes", "mellan 15 och 480"),
    ({"place": "", "video_link": ""}, "place", "Ange en plats eller en videolänk."),
    ({"video_link": "javascript:alert(1)"}, "video_link", "https://"),
    ({"purpose": "x" * 2001}, "purpose", "2000"),
])
def test_meeting_form_errors_are_shown_and_nothing_is_stored(chair_client, query, make_meeting,
                                                            change, field, message):
    plan_id = make_meeting().plan_id
    before = query(lambda s: len(s.scalars(select(Meeting)).all()))
    response = chair_client.post(f"/plans/{plan_id}/meetings/new", data={**MEETING, **change})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and f'id="{field}-error"' in body
    assert query(lambda s: len(s.scalars(select(Meeting)).all())) == before


def test_plan_needs_a_name_of_reasonable_length(chair_client, query):
    assert chair_client.post("/plans/new", data={"child_name": ""}).status_code == 400
    assert chair_client.post("/plans/new", data={"child_name": "x" * 61}).status_code == 400
    assert query(lambda s: s.scalars(select(Plan)).all()) == []


def test_add_participant_shows_link_and_qr_code_once(chair_client, make_meeting, query):
    meeting = make_meeting()
    response = chair_client.post(f"/meetings/{meeting.id}", data=PERSON)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/j/" in body and "<svg" in body and "Personlig länk för Karin Holm" in body
    participant = query(lambda s: s.scalar(select(Participant)))
    assert participant.organisation == "Solskolan" and participant.token_hash
    assert "/j/" not in chair_client.get(f"/meetings/{meeting.id}").get_data(as_text=True)


@pytest.mark.parametrize("change,field", [
    ({"name": ""}, "name"),
    ({"role": "king"}, "role"),
    ({"principal": "family"}, "principal"),  # a professional is not the family
    ({"role": "guardian", "principal": "region"}, "principal"),
    ({"email": "not-an-email"}, "email"),
])
def test_participant_validation(chair_client, make_meeting, query, change, field):
    meeting = make_meeting()
    response = chair_client.post(f"/meetings/{meeting.id}", data={**PERSON, **change})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert query(lambda s: s.scalars(select(Participant)).all()) == []


def test_remove_participant(chair_client, make_meeting, make_participant, query):
    meeting = make_meeting()
    participant, _ = make_participant(meeting)
    response = chair_client.post(f"/meetings/{meeting.id}/participants/{participant.id}/remove")
    assert response.status_code == 302
    assert query(lambda s: s.scalars(select(Participant)).all()) == []
    actions = query(lambda s: [(e.entity, e.field) for e in s.scalars(select(AuditEvent))])
    assert ("participant", "removed") in actions


def test_edit_meeting_changes_time_and_is_audited(chair_client, make_meeting, query):
    meeting = make_meeting()
    response = chair_client.post(f"/meetings/{meeting.id}/edit", data={**MEETING, "time": "09:15"})
    assert response.status_code == 302
    changed = query(lambda s: s.get(Meeting, meeting.id))
    assert changed.starts_at.astimezone(STOCKHOLM).hour == 9
    fields = query(lambda s: {e.field for e in s.scalars(select(AuditEvent))})
    assert {"starts_at", "questions"} <= fields


def test_another_chairs_meeting_is_not_found(chair_client, make_chair, make_meeting):
    other = make_meeting(chair=make_chair("other@example.se"))
    for url in (f"/meetings/{other.id}", f"/meetings/{other.id}/edit", f"/plans/{other.plan_id}",
                f"/meetings/{other.id}/invitation", f"/plans/{other.plan_id}/meetings/new"):
        assert chair_client.get(url).status_code == 404, url
    assert chair_client.post(f"/meetings/{other.id}", data=PERSON).status_code == 404


def test_pages_need_login(client, make_meeting):
    meeting = make_meeting()
    response = client.get(f"/meetings/{meeting.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_status_flow_and_refusal(app, chair_client, make_meeting, query):
    meeting = make_meeting()
    assert chair_client.post(f"/meetings/{meeting.id}/status/closed").status_code == 302
    assert query(lambda s: s.get(Meeting, meeting.id).status) == "draft"
    for status in ("open", "live"):
        chair_client.post(f"/meetings/{meeting.id}/status/{status}")
    assert query(lambda s: s.get(Meeting, meeting.id).status) == "live"
    refused = chair_client.post(f"/meetings/{meeting.id}/status/closed", follow_redirects=True)
    assert "Planen kan inte avslutas än" in refused.get_data(as_text=True)
    assert query(lambda s: s.get(Meeting, meeting.id).status) == "live"
    with app.app_context(), atomic() as s:
        s.get(Meeting, meeting.id).status = "closed"
    response = chair_client.post(f"/meetings/{meeting.id}", data=PERSON, follow_redirects=True)
    assert "Mötet är avslutat" in response.get_data(as_text=True)
    assert chair_client.post(f"/meetings/{meeting.id}/status/bogus").status_code == 404


def test_huge_ids_are_not_found(chair_client):
    for url in ("/plans/99999999999999999999", "/meetings/99999999999999999999",
                "/m/99999999999999999999"):
        assert chair_client.get(url).status_code == 404, url
