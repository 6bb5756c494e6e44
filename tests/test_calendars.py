"""Calendar files from a frozen plan: the follow-up and each participant's deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import get_locale
from icalendar import Calendar

from sip_meeting import calendars
from sip_meeting.calendars import deadlines_ics, followup_ics

KARIN, SARA, ALVA, BO = 11, 12, 13, 14


def _action(id, what, responsible=None, principal="municipality", status="planned",
            due="", decision=""):
    return {"id": id, "what": what, "responsible_participant_id": responsible,
            "responsible": "", "responsible_name": "", "organisation": "", "principal": principal,
            "due_date": due, "decision_date": decision, "when_note": "", "status": status,
            "family_part": ""}


def snapshot(**sections):
    """A plan version as `versions.version_snapshot` writes it, reduced to what calendars read."""
    return {
        "format": "sip-meeting/plan-version/1", "plan_id": 7, "version": 2,
        "frozen_at": "2031-02-01T12:00:00+00:00", "child_name": "Alva",
        "meeting": {"id": 3, "chair": "Eva Lund"},
        "participants": [
            {"id": KARIN, "name": "Karin Holm", "role": "professional",
             "principal": "municipality"},
            {"id": SARA, "name": "Sara Berg", "role": "guardian", "principal": "family"},
            {"id": ALVA, "name": "Alva", "role": "child", "principal": "family"},
            {"id": BO, "name": "Bo Ek", "role": "professional", "principal": "region"},
        ],
        "sections": {"followup_date": "2031-03-12", "followup_form": "Möte på skolan",
                     "followup_convener": "Karin Holm", **sections},
        "actions": [
            _action(1, "Ansöka om assistans", KARIN, due="2031-03-01", decision="2031-02-15"),
            _action(2, "Klart redan", KARIN, status="done", due="2031-02-20"),
            _action(3, "Utan datum", KARIN),
            _action(4, "Kontakta rektor", SARA, principal="family", due="2031-02-10"),
            _action(5, "Föra dagbok", None, principal="family", decision="2031-02-12"),
            _action(6, "Struken", None, principal="family", status="cancelled",
                    due="2031-02-12"),
        ],
    }


def events(data: bytes) -> list:
    return Calendar.from_ical(data).walk("VEVENT")


def test_followup_without_a_time_is_an_all_day_event_with_an_alarm(app):
    with app.app_context():
        data = followup_ics(snapshot(), "sv", None)
    [event] = events(data)
    assert event.decoded("dtstart") == date(2031, 3, 12)
    assert event.decoded("dtend") == date(2031, 3, 13)
    assert b"DTSTART;VALUE=DATE:20310312" in data
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("trigger") == timedelta(days=-1) and b"TRIGGER:-P1D" in data
    assert "Alva" in str(event["summary"])
    description = str(event["description"])
    assert "Möte på skolan" in description and "Karin Holm" in description
    assert "url" not in event and "/j/" not in description
    assert str(event["uid"]) == "plan-7-v2-followup@sip-meeting"


def test_followup_with_a_booked_time_carries_stockholm_time(app):
    starts = datetime(2031, 3, 12, 12, 30, tzinfo=UTC)  # 13:30 in Stockholm
    with app.app_context():
        data = followup_ics(snapshot(), "en", "https://sip.example.se/j/abc", starts_at=starts)
    calendar = Calendar.from_ical(data)
    assert "Europe/Stockholm" in [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")]
    [event] = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Stockholm" and (start.hour, start.minute) == (13, 30)
    assert event.decoded("dtend") - start == timedelta(minutes=90)
    assert event.walk("VALARM")[0].decoded("trigger") == timedelta(days=-1)
    assert str(event["url"]) == "https://sip.example.se/j/abc"
    assert "https://sip.example.se/j/abc" in str(event["description"])


def test_followup_needs_a_date(app):
    with app.app_context(), pytest.raises(ValueError):
        followup_ics(snapshot(followup_date=""), "sv", None)


@pytest.mark.parametrize("participant,expected", [
    # own actions only; done, cancelled and undated ones are left out
    (KARIN, {"plan-7-action-1-decision@sip-meeting", "plan-7-action-1-due@sip-meeting"}),
    # the family's tasks reach every member of the family
    (SARA, {"plan-7-action-4-due@sip-meeting", "plan-7-action-5-decision@sip-meeting"}),
    (ALVA, {"plan-7-action-4-due@sip-meeting", "plan-7-action-5-decision@sip-meeting"}),
    (BO, set()),
    (999, set()),
])
def test_deadlines_are_a_participants_own_and_the_familys(app, participant, expected):
    with app.app_context():
        found = events(deadlines_ics(snapshot(), participant, "sv"))
    assert {str(e["uid"]) for e in found} == expected


def test_deadlines_are_all_day_events_with_an_alarm_the_day_before(app):
    with app.app_context():
        found = {str(e["uid"]): e for e in events(deadlines_ics(snapshot(), KARIN, "sv"))}
    due = found["plan-7-action-1-due@sip-meeting"]
    decision = found["plan-7-action-1-decision@sip-meeting"]
    assert due.decoded("dtstart") == date(2031, 3, 1) and due.decoded("dtend") == date(2031, 3, 2)
    assert decision.decoded("dtstart") == date(2031, 2, 15)
    for event in found.values():
        [alarm] = event.walk("VALARM")
        assert alarm.decoded("trigger") == timedelta(days=-1)
        assert str(alarm["action"]) == "DISPLAY"
        assert "Ansöka om assistans" in str(event["summary"])
        assert "Alva" in str(event["description"])


def test_markup_and_control_characters_stay_plain_text(app):
    data = snapshot()
    data["actions"][0]["what"] = "<b>Ring</b> skolan\x07\x1b[31m &amp; " + "lång text " * 30
    data["child_name"] = "Alva\r\nX-INJECTED:1"
    with app.app_context():
        raw = deadlines_ics(data, KARIN, "sv")
    assert b"X-INJECTED:1\r\n" not in raw
    event = events(raw)[0]
    summary = str(event["summary"])
    assert "<b>Ring</b> skolan" in summary and "&amp;" in summary
    assert not any(ord(c) < 32 for c in summary)
    assert len(summary) < 160 and summary.endswith("…")
    assert "\x07" not in str(event["description"]) and "\x1b" not in str(event["description"])


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_texts_are_translated_in_the_readers_language(app, monkeypatch, lang):
    def tagged(message, **values):
        return f"[{get_locale()}] " + message % values

    monkeypatch.setattr(calendars, "_", tagged)
    with app.app_context():
        followup = events(followup_ics(snapshot(), lang, None))[0]
        deadline = events(deadlines_ics(snapshot(), KARIN, lang))[0]
    for event in (followup, deadline):
        assert str(event["summary"]).startswith(f"[{lang}] ")
        assert f"[{lang}] " in str(event["description"])
