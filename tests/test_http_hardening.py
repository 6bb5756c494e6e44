"""Hardening at the edges: sane meeting dates, clean calendar files, no caching, HSTS."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from conftest import meeting_form_url
from icalendar import Calendar
from sqlalchemy import func, select

from sip_meeting import create_app, planning
from sip_meeting.calendars import deadlines_ics, followup_ics
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
    url = meeting_form_url(app, form, meeting)
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
        # a year back is in the past: registered as a meeting already held
        response = chair_client.post(url, data={**MEETING, "date": day.isoformat(),
                                                "time": "23:59", "duration_minutes": "480",
                                                "held": "y"})
        assert response.status_code == status, day
    days = query(lambda s: sorted(m.starts_at.astimezone(planning.STOCKHOLM).date()
                                  for m in s.scalars(select(Meeting))))
    assert first in days and last in days and len(days) == 3


def test_a_meeting_stored_at_the_end_of_the_calendar_breaks_no_page(chair_client, app,
                                                                    make_meeting,
                                                                    make_participant):
    # A start saved before dates were checked: its end would pass year 9999.
    meeting = make_meeting()
    _participant, token = make_participant(meeting)
    with app.app_context(), atomic() as session:
        stored = session.get(Meeting, meeting.id)
        stored.starts_at = planning.local_to_utc(date(9999, 12, 31), time(23, 59))
        stored.duration_minutes = 480
    for url in ("/", f"/meetings/{meeting.id}", f"/meetings/{meeting.id}/invitation"):
        assert chair_client.get(url).status_code == 200, url
    guest = app.test_client()
    guest.get(f"/j/{token}")
    response = guest.get(f"/m/{meeting.id}/invitation.ics")
    assert response.status_code == 200
    [event] = Calendar.from_ical(response.data).walk("VEVENT")
    assert event.decoded("dtend").year == 9999


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


# ---------------------------------------------------------------------------------------------
# 2. Calendar files carry no control characters


RAW = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # a tab may stay; it is allowed in a value


def assert_clean_calendar(data: bytes) -> Calendar:
    """Every line ends with CRLF and no line holds a control character or a bare CR or LF."""
    assert data.endswith(b"\r\n")
    for line in data.split(b"\r\n"):
        assert not RAW.search(line), line
    return Calendar.from_ical(data)


def test_calendar_files_carry_no_raw_control_characters(app, make_chair, make_participant):
    # Made through the planning functions: the forms would not let these characters in.
    with app.app_context(), atomic() as session:
        chair = session.merge(make_chair())
        plan = planning.create_plan(session, chair, "Al\x01va\r\nBerg\x07")
        meeting = planning.schedule_meeting(
            session, chair, plan,
            planning.local_to_utc(TODAY + timedelta(days=7), time(13, 0)),
            place="Rum\r\n12\x0b\x1b", purpose="Planera\x1b stödet\rnu\x7f",
            questions="Hur går det?\x08\r\nVad behövs?\x0c")
    _participant, token = make_participant(meeting, name="Sara\r\nBerg\x07")
    guest = app.test_client()
    guest.get(f"/j/{token}")
    response = guest.get(f"/m/{meeting.id}/invitation.ics")
    assert response.status_code == 200
    [event] = assert_clean_calendar(response.data).walk("VEVENT")
    assert str(event["summary"]).endswith("Alva Berg")
    assert str(event["location"]) == "Rum 12"
    description = str(event["description"])
    assert "Planera stödet\nnu" in description and "Hur går det?\nVad behövs?" in description

    control = "\x00\x01\x07\x0b\x1b\x7f\r"
    snapshot = {
        "plan_id": 7, "version": 1, "frozen_at": "2031-02-01T12:00:00+00:00",
        "child_name": f"Alva{control}\nBerg",
        "participants": [{"id": 1, "name": f"Sara{control}", "role": "guardian",
                          "principal": "family"}],
        "sections": {"followup_date": "2031-03-12", "followup_form": f"Möte{control}\npå skolan",
                     "followup_convener": f"Karin{control}Holm"},
        "actions": [{"id": 1, "what": f"Kontakta{control}\r\nrektor",
                     "responsible_participant_id": 1, "responsible": "",
                     "responsible_name": f"Sara{control}", "organisation": f"Skolan{control}",
                     "principal": "family", "due_date": "2031-02-10",
                     "decision_date": "2031-02-01", "when_note": f"Före{control}lov",
                     "status": "planned", "family_part": f"Ringa{control}\nskolan"}],
    }
    with app.app_context():
        for data in (followup_ics(snapshot, "sv", "https://sip.example.se/m/1/plan"),
                     deadlines_ics(snapshot, 1, "en")):
            for event in assert_clean_calendar(data).walk("VEVENT"):
                assert "\n" not in str(event["summary"])


# ---------------------------------------------------------------------------------------------
# 3. No caching of personal data; HSTS in production over https


def _is_no_store(response) -> bool:
    return response.headers.get("Cache-Control") == "no-store"


@pytest.mark.parametrize("who,method,path", [
    ("chair", "get", "/"),
    ("chair", "get", "/meetings/{m}"),
    ("chair", "get", "/meetings/{m}/edit"),
    ("chair", "post", "/meetings/{m}/participants/{p}/link"),       # the link and its QR code
    ("chair", "post", "/meetings/{m}/participants/{p}/invitation.ics"),
    ("chair", "get", "/meetings/{m}/invitation"),
    ("chair", "get", "/meetings/{m}/console"),
    ("chair", "get", "/meetings/{m}/wall"),
    ("participant", "get", "/j/{token}"),                           # a redirect, too
    ("participant", "get", "/m/{m}"),
    ("participant", "get", "/m/{m}/invitation"),
    ("participant", "get", "/m/{m}/invitation.ics"),
])
def test_pages_of_a_meeting_are_never_stored(app, chair_client, make_meeting, make_participant,
                                             who, method, path):
    meeting = make_meeting()
    participant, token = make_participant(meeting)
    http = chair_client
    if who == "participant":
        http = app.test_client()
        if "{token}" not in path:
            http.get(f"/j/{token}")
    url = path.format(m=meeting.id, p=participant.id, token=token)
    response = getattr(http, method)(url, data={"token": token} if method == "post" else None)
    assert response.status_code in (200, 302), url
    assert _is_no_store(response), (url, response.headers.get("Cache-Control"))


@pytest.fixture
def closed(live):
    """A closed meeting with a follow-up date, and Sara who joined it."""
    live.start()
    live.sara = live.join()
    assert live.sara.op("edit", entity="plan", id=live.meeting.plan_id, field="followup_date",
                        base_version=0, base="", value="2031-04-01")["ok"]
    live.end()
    return live


@pytest.mark.parametrize("who,path", [
    ("participant", "/m/{m}/plan"),                    # the family page
    ("participant", "/m/{m}/plan.docx"),
    ("participant", "/m/{m}/followup.ics"),
    ("participant", "/m/{m}/my-actions.ics"),
    ("chair", "/meetings/{m}/plan"),
    ("chair", "/meetings/{m}/plan.docx"),
    ("chair", "/plans/{plan}/history"),
])
def test_the_handed_over_plan_is_never_stored(closed, who, path):
    http = closed.sara.http if who == "participant" else closed.chair.http
    url = path.format(m=closed.meeting.id, plan=closed.meeting.plan_id)
    response = http.get(url)
    assert response.status_code == 200, url
    assert _is_no_store(response), (url, response.headers.get("Cache-Control"))


def test_static_files_and_public_glossary_data_keep_their_caching(client):
    page = client.get("/login")
    assert _is_no_store(page)
    with client.get("/static/css/app.css") as static:
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("Cache-Control", "")
    # the glossary's terms are public reference data, marked so by their view
    assert _is_no_store(client.get("/glossary"))
    term = client.get("/glossary/insats.json")
    assert term.status_code == 200 and term.headers["Cache-Control"] == "public, max-age=3600"


@pytest.fixture
def make_app(database_url, tmp_path):
    def make(**config):
        return create_app({
            "TESTING": True, "SECRET_KEY": "x" * 64, "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": False, "SOCKETIO_ASYNC_MODE": "threading",
            "INSTANCE_PATH": str(tmp_path / "instance"), **config})

    return make


def test_hsts_is_sent_in_production_over_https_only(make_app):
    hsts = "max-age=31536000; includeSubDomains"
    cases = [
        # mode, proxies, base_url, forwarded proto, expected header
        ("production", 0, "https://localhost", None, hsts),
        ("production", 0, "http://localhost", None, None),
        ("production", 1, "http://localhost", "https", hsts),   # TLS ends at the proxy
        ("production", 0, "http://localhost", "https", None),   # an untrusted header
        ("development", 0, "https://localhost", None, None),
    ]
    for mode, proxies, base_url, proto, expected in cases:
        http = make_app(MODE=mode, TRUSTED_PROXIES=proxies).test_client()
        headers = {"X-Forwarded-Proto": proto} if proto else {}
        for path in ("/login", "/static/css/app.css"):
            with http.get(path, base_url=base_url, headers=headers) as response:
                assert response.status_code == 200
                assert response.headers.get("Strict-Transport-Security") == expected, \
                    (mode, proxies, base_url, proto, path)
