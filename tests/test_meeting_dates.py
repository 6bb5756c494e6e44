"""A meeting's date: never in the past by mistake, and a past meeting is not "upcoming"."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from conftest import meeting_form_url
from sqlalchemy import select

from sip_meeting import planning
from sip_meeting.models import Meeting

TODAY = datetime.now(planning.STOCKHOLM).date()
MEETING = {"date": (TODAY + timedelta(days=7)).isoformat(), "time": "13:30",
           "duration_minutes": "90", "place": "Solskolan", "video_link": "",
           "purpose": "Planera", "questions": "", "prepare": ""}
PAST_MESSAGE = "Den här tiden har redan passerat"


@pytest.fixture
def chair_client(client, make_chair, login):
    make_chair()
    login()
    return client


def _starts(query) -> list[date]:
    return query(lambda s: [m.starts_at.astimezone(planning.STOCKHOLM).date()
                            for m in s.scalars(select(Meeting).order_by(Meeting.id))])




@pytest.mark.parametrize("form", ["new", "edit", "followup"])
def test_a_past_date_is_refused_unless_the_meeting_was_held(app, chair_client, make_meeting,
                                                           query, form):
    meeting = make_meeting()
    url = meeting_form_url(app, form, meeting)
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    before = _starts(query)

    refused = chair_client.post(url, data={**MEETING, "date": yesterday})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    error = re.search(r'<p class="error" id="date-error">([^<]*)</p>', body)
    assert error and PAST_MESSAGE in error.group(1)
    assert "Det här mötet har redan hållits" in error.group(1)
    assert 'type="checkbox"' in body and 'name="held"' in body
    assert _starts(query) == before

    held = chair_client.post(url, data={**MEETING, "date": yesterday, "held": "y"})
    assert held.status_code in (200, 302)
    assert TODAY - timedelta(days=1) in _starts(query)


def test_earlier_today_is_in_the_past_too(chair_client, make_meeting, query):
    plan_id = make_meeting().plan_id
    an_hour_ago = datetime.now(planning.STOCKHOLM) - timedelta(hours=1)
    if an_hour_ago.date() != TODAY:
        pytest.skip("just after midnight an hour ago is yesterday")
    response = chair_client.post(f"/plans/{plan_id}/meetings/new", data={
        **MEETING, "date": TODAY.isoformat(), "time": an_hour_ago.strftime("%H:%M")})
    assert response.status_code == 400
    assert PAST_MESSAGE in response.get_data(as_text=True)


def test_a_meeting_already_in_the_past_can_be_edited_without_asking_again(
        chair_client, make_meeting, query):
    meeting = make_meeting(days=-3)
    local = meeting.starts_at.astimezone(planning.STOCKHOLM)
    response = chair_client.post(f"/meetings/{meeting.id}/edit", data={
        **MEETING, "date": local.date().isoformat(), "time": local.strftime("%H:%M"),
        "place": "Biblioteket"})
    assert response.status_code == 302
    assert query(lambda s: s.get(Meeting, meeting.id).place) == "Biblioteket"


def _section(page: str, heading: str) -> str:
    """Return the part of the dashboard under one heading, up to the next."""
    match = re.search(rf"<h2>{re.escape(heading)}</h2>(.*?)(?=<h2>|</main>)", page, re.S)
    return match.group(1) if match else ""


def test_a_past_meeting_is_never_listed_as_upcoming(chair_client, make_meeting):
    ahead = make_meeting(child="Alva", days=7)
    passed = make_meeting(child="Nils", days=-2)
    page = chair_client.get("/").get_data(as_text=True)
    upcoming = _section(page, "Kommande")
    assert f"/meetings/{ahead.id}\"" in upcoming
    assert f"/meetings/{passed.id}\"" not in upcoming and "Nils" not in upcoming
    apart = _section(page, "Tiden har passerat, aldrig startat")
    assert f"/meetings/{passed.id}\"" in apart
