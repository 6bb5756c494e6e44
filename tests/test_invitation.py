"""The invitation page and its calendar file."""

from __future__ import annotations

from datetime import timedelta

from conftest import extract_token
from icalendar import Calendar


def _meeting_with_guest(make_meeting, make_participant):
    meeting = make_meeting()
    make_participant(meeting, name="Karin Holm", role="professional", principal="municipality",
                     organisation="Solskolan")
    _, token = make_participant(meeting)
    return meeting, token


def test_invitation_page_shows_what_a_participant_needs(client, make_meeting, make_participant):
    meeting, token = _meeting_with_guest(make_meeting, make_participant)
    client.get(f"/j/{token}")
    body = client.get(f"/m/{meeting.id}/invitation").get_data(as_text=True)
    for expected in ("Kallelse till SIP-möte för Alva", "Planera stödet", "Skolan",
                     "Så går mötet till", "Inledning", "Aktuell situation", "Behov",
                     "Sammanfattning", "Avslutning", "Karin Holm", "Solskolan",
                     "Lägg till i min kalender"):
        assert expected in body, expected
    # the family is presented first
    assert body.index("Sara Berg") < body.index("Karin Holm")


def _parse_event(data: bytes):
    calendar = Calendar.from_ical(data)
    assert calendar.get("version") == "2.0"
    timezones = [tz["tzid"] for tz in calendar.walk("VTIMEZONE")]
    assert "Europe/Stockholm" in timezones
    return calendar.walk("VEVENT")[0]


def test_participant_ics_carries_stockholm_time_and_the_meetings_page(client, make_meeting,
                                                                      make_participant, query):
    meeting, token = _meeting_with_guest(make_meeting, make_participant)
    client.get(f"/j/{token}")
    response = client.get(f"/m/{meeting.id}/invitation.ics")
    assert response.mimetype == "text/calendar"
    event = _parse_event(response.data)
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Stockholm"
    assert (start.hour, start.minute) == (13, 0)
    assert event.decoded("dtend") - start == timedelta(minutes=90)
    # Only the join token's hash is kept after the link was opened: the file carries the
    # meeting's page, which opens where the browser is signed in, never the token.
    assert str(event["url"]) == f"http://localhost/m/{meeting.id}"
    assert f"http://localhost/m/{meeting.id}" in str(event["description"])
    assert token not in response.get_data(as_text=True)
    assert "SIP-möte för Alva" in str(event["summary"])


def test_chair_downloads_ics_with_the_link_just_shown(client, make_chair, login, make_meeting):
    make_chair()
    login()
    meeting = make_meeting()
    page = client.post(f"/meetings/{meeting.id}", data={
        "name": "Jonas Ek", "organisation": "LSS", "role": "professional",
        "principal": "municipality", "email": "", "language": "en"}).get_data(as_text=True)
    token = extract_token(page)
    response = client.post(f"/meetings/{meeting.id}/participants/1/invitation.ics",
                           data={"token": token})
    assert token in str(_parse_event(response.data)["url"])
    wrong = client.post(f"/meetings/{meeting.id}/participants/1/invitation.ics",
                        data={"token": "guess"})
    assert wrong.status_code == 404


def test_chair_sees_the_invitation(client, make_chair, login, make_meeting):
    make_chair()
    login()
    meeting = make_meeting()
    body = client.get(f"/meetings/{meeting.id}/invitation").get_data(as_text=True)
    assert "Kallelse till SIP-möte för Alva" in body


def test_english_invitation_for_english_speaking_participant(client, make_meeting,
                                                             make_participant):
    meeting = make_meeting()
    _, token = make_participant(meeting, name="Ahmed Berg", language="en")
    client.get(f"/j/{token}")
    body = client.get(f"/m/{meeting.id}/invitation").get_data(as_text=True)
    assert "Invitation to a SIP meeting for Alva" in body and 'lang="en"' in body
    assert "Current situation" in body
    event = _parse_event(client.get(f"/m/{meeting.id}/invitation.ics").data)
    assert "SIP meeting for Alva" in str(event["summary"])
