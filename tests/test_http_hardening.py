"""Hardening at the edges: sane meeting dates."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from sip_meeting import planning
from sip_meeting.db import atomic
from sip_meeting.forms import meeting_date_range
from sip_meeting.models import AuditEvent, Meeting

TODAY = date.today()
MEETING = {"date": (TODAY + timedelta(days=7)).isoformat(), "time": "13:30",
           "duration_minutes": "90", "place": "Solskolan", "video_link": "",
           "purpose": "Planera", "questions": "", "prepare": ""}
RANGE_MESSAGE = "Välj ett datum mellan"


@pytest.fixture
def chair_client(client, make_chair, login):
    make_chair()
    login()
    return client


def _state(query):
    """Everything a refused form must leave as it was: the meetings and the audit history."""
    return query(lambda s: (
        [(m.id, m.starts_at, m.duration_minutes) for m in
         s.scalars(select(Meeting).order_by(Meeting.id))],
        s.scalar(select(func.count()).select_from(AuditEvent)),
    ))


def _form_url(app, form: str, meeting: Meeting) -> str:
    if form == "new":
        return f"/plans/{meeting.plan_id}/meetings/new"
    if form == "edit":
        return f"/meetings/{meeting.id}/edit"
    with app.app_context(), atomic() as session:  # a follow-up is booked after a close
        session.get(Meeting, meeting.id).status = "closed"
    return f"/plans/{meeting.plan_id}/followup"


# ---------------------------------------------------------------------------------------------
# 1. Meeting dates within a sane range


@pytest.mark.parametrize("form", ["new", "edit", "followup"])
@pytest.mark.parametrize("day,at,minutes", [
    ("0001-01-01", "00:30", "90"),     # was a 500: the start has no UTC before year 1
    ("9999-12-31", "23:59", "480"),    # was saved, then its invitation.ics was a 500
    ((TODAY - timedelta(days=2 * 365)).isoformat(), "13:00", "90"),
    ((TODAY + timedelta(days=6 * 366)).isoformat(), "13:00", "90"),
], ids=["year-1", "year-9999", "two-years-back", "six-years-ahead"])
def test_a_meeting_date_out_of_range_is_refused_beside_the_field(
        app, chair_client, make_meeting, query, form, day, at, minutes):
    meeting = make_meeting()
    url = _form_url(app, form, meeting)
    before = _state(query)
    response = chair_client.post(url, data={**MEETING, "date": day, "time": at,
                                            "duration_minutes": minutes})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="date-error">([^<]*)</p>', body)
    assert error and RANGE_MESSAGE in error.group(1)
    assert _state(query) == before


def test_the_ends_of_the_range_are_accepted_and_a_day_beyond_is_not(chair_client,
                                                                    make_meeting, query):
    plan_id = make_meeting().plan_id
    first, last = meeting_date_range()
    url = f"/plans/{plan_id}/meetings/new"
    for day, status in ((first - timedelta(days=1), 400), (last + timedelta(days=1), 400),
                        (first, 302), (last, 302)):
        response = chair_client.post(url, data={**MEETING, "date": day.isoformat(),
                                                "time": "23:59", "duration_minutes": "480"})
        assert response.status_code == status, day
    days = query(lambda s: sorted(m.starts_at.astimezone(planning.STOCKHOLM).date()
                                  for m in s.scalars(select(Meeting))))
    assert first in days and last in days and len(days) == 3


def test_a_far_future_date_cannot_break_the_invitation_file(chair_client, app, make_meeting,
                                                            make_participant):
    meeting = make_meeting()
    _participant, token = make_participant(meeting)
    refused = chair_client.post(f"/meetings/{meeting.id}/edit",
                                data={**MEETING, "date": "9999-12-31", "time": "23:59",
                                      "duration_minutes": "480"})
    assert refused.status_code == 400
    guest = app.test_client()
    guest.get(f"/j/{token}")
    response = guest.get(f"/m/{meeting.id}/invitation.ics")
    assert response.status_code == 200
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert event.decoded("dtstart").date() == TODAY + timedelta(days=7)
