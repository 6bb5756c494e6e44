"""Calendar files made from a frozen plan version: the follow-up meeting and one's own deadlines.

Both read only the version snapshot (plain data), so a calendar file always matches the plan
that was handed out. Dates without a time become all-day events; every event carries an alarm
one day before. The plan's own words go into the files as plain text.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event

from .models import FAMILY_ROLES
from .planning import STOCKHOLM
from .versions import family_tasks

PRODID = "-//sip-meeting//plan//SV"
REMINDER_BEFORE = timedelta(days=1)
SUMMARY_MAX = 120
CLOSED_STATUSES = ("done", "cancelled")


def plain(text: Any, one_line: bool = False, limit: int | None = SUMMARY_MAX) -> str:
    """Return text without control characters; on one line and shortened when asked.

    Every calendar file puts people's words through this, so that no control character or
    line break reaches a property of its own. A one-line text longer than ``limit`` is cut
    (``None`` keeps it whole, as a place or a web address must be).
    """
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c in "\n\t" or (ord(c) >= 32 and ord(c) != 127))
    if not one_line:
        return text.strip()
    text = " ".join(text.split())
    if limit is None or len(text) <= limit:
        return text
    return text[:limit - 1].rstrip() + "…"


def _day(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _calendar() -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    return cal


def _event(snapshot: dict[str, Any], uid: str, summary: str, description: str,
           start: date | datetime, duration: timedelta) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime.fromisoformat(snapshot["frozen_at"]))
    event.add("dtstart", start)
    event.add("dtend", start + duration)
    event.add("summary", summary)
    event.add("description", description)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -REMINDER_BEFORE)
    alarm.add("description", summary)
    event.add_component(alarm)
    return event


def _finish(cal: Calendar) -> bytes:
    cal.add_missing_timezones()
    return cal.to_ical()


def followup_ics(snapshot: dict[str, Any], lang: str, url: str | None, *,
                 starts_at: datetime | None = None, duration_minutes: int = 90) -> bytes:
    """Build the calendar file of the plan's follow-up, in the reader's language.

    :param url: the address of the plan's page, or None to leave links out. The page is not
        a personal link: it opens only on the device that joined the meeting.
    :param starts_at: the booked follow-up meeting's start, when known; without it the
        follow-up date becomes an all-day event.
    """
    sections = snapshot["sections"]
    day = _day(sections.get("followup_date"))
    if starts_at is None and day is None:
        raise ValueError("the plan has no follow-up date")
    child = plain(snapshot["child_name"], one_line=True)
    with force_locale(lang):
        summary = _("Follow-up of the SIP plan for %(child)s", child=child)
        lines = []
        if sections.get("followup_form"):
            lines.append(_("Form: %(form)s", form=plain(sections["followup_form"], True)))
        if sections.get("followup_convener"):
            lines.append(_("Convened by: %(person)s",
                           person=plain(sections["followup_convener"], True)))
        if starts_at is None:
            lines.append(_("The time is not set yet. You will get an invitation with the time."))
        if url:
            lines += ["", _("The plan from the meeting. The page opens on the phone or computer "
                            "where you joined the meeting:"), url]
    if starts_at is not None:
        start: date | datetime = starts_at.astimezone(STOCKHOLM)
        duration = timedelta(minutes=duration_minutes)
    else:
        start, duration = day, timedelta(days=1)
    uid = f"plan-{snapshot['plan_id']}-v{snapshot['version']}-followup@sip-meeting"
    event = _event(snapshot, uid, summary, "\n".join(lines).strip(), start, duration)
    if url:
        event.add("url", url)
    cal = _calendar()
    cal.add_component(event)
    return _finish(cal)


def participant_deadlines(snapshot: dict[str, Any], participant_id: int) -> list[dict[str, Any]]:
    """Return the open actions of a plan version that a participant should have in a calendar.

    That is the participant's own actions and, for a member of the family, the family's tasks
    (`versions.family_tasks`).
    """
    person = next((p for p in snapshot["participants"] if p["id"] == participant_id), None)
    if person is None:
        return []
    family = {a["id"] for a in family_tasks(snapshot)} if person["role"] in FAMILY_ROLES \
        else set()
    return [a for a in snapshot["actions"]
            if a.get("status") not in CLOSED_STATUSES
            and (_day(a.get("due_date")) or _day(a.get("decision_date")))
            and (a.get("responsible_participant_id") == participant_id or a["id"] in family)]


def _action_description(snapshot: dict[str, Any], action: dict[str, Any]) -> str:
    lines = [_("SIP plan for %(child)s", child=plain(snapshot["child_name"], True)), "",
             plain(action.get("what"))]
    responsible = plain(action.get("responsible_name") or action.get("responsible"), True)
    if responsible:
        lines.append(_("Responsible: %(name)s", name=responsible))
    if action.get("organisation"):
        lines.append(_("Organisation: %(name)s", name=plain(action["organisation"], True)))
    if action.get("when_note"):
        lines.append(_("When: %(note)s", note=plain(action["when_note"], True)))
    if action.get("family_part"):
        lines.append(_("What the family does: %(text)s", text=plain(action["family_part"])))
    return "\n".join(lines)


def deadlines_ics(snapshot: dict[str, Any], participant_id: int, lang: str) -> bytes:
    """Build a calendar of a participant's deadlines and decision dates as all-day events."""
    cal = _calendar()
    prefix = f"plan-{snapshot['plan_id']}-action"
    with force_locale(lang):
        for action in participant_deadlines(snapshot, participant_id):
            what = plain(action.get("what"), one_line=True)
            description = _action_description(snapshot, action)
            due, decision = _day(action.get("due_date")), _day(action.get("decision_date"))
            if decision:
                cal.add_component(_event(
                    snapshot, f"{prefix}-{action['id']}-decision@sip-meeting",
                    _("Decision expected: %(what)s", what=what), description, decision,
                    timedelta(days=1)))
            if due:
                cal.add_component(_event(
                    snapshot, f"{prefix}-{action['id']}-due@sip-meeting",
                    _("Deadline: %(what)s", what=what), description, due, timedelta(days=1)))
    return _finish(cal)
