"""Closing hands the plan over: a frozen version, the family page, the document, exports."""

from __future__ import annotations

import io
import json

import pytest
from docx import Document
from icalendar import Calendar
from sqlalchemy import select

from sip_meeting.models import Meeting, PlanVersion


@pytest.fixture
def closed(live):
    """A meeting with two actions, closed (blockers overridden) by the chair."""
    live.start()
    sara = live.join()
    karin = live.join("Karin Holm", "professional", "municipality")
    karin_action = sara.op("add_item", entity="action", values={
        "what": "Ordna en lugn plats för lunch", "responsible_participant_id":
        karin.participant_id, "due_date": "2031-03-01"})["id"]
    sara_action = sara.op("add_item", entity="action", values={
        "what": "Väcka Alva kvart i sju", "responsible_participant_id": sara.participant_id,
        "principal": "family", "due_date": "2031-02-01"})["id"]
    assert sara.op("edit", entity="plan", id=live.meeting.plan_id, field="followup_date",
                   base_version=0, base="", value="2031-04-01")["ok"]
    live.end()
    live.sara, live.karin = sara, karin
    live.actions = (karin_action, sara_action)
    return live


def test_close_freezes_a_version_that_later_edits_do_not_change(closed, query, app):
    from sip_meeting.db import atomic
    from sip_meeting.models import Action

    version = query(lambda s: s.scalar(select(PlanVersion)))
    closed_at = query(lambda s: s.get(Meeting, closed.meeting.id).closed_at)
    assert version.number == 1
    # one instant: the meeting's close, the version's date and the date its pages show
    assert version.created_at == closed_at
    assert version.snapshot["frozen_at"] == closed_at.isoformat()
    assert [a["what"] for a in version.snapshot["actions"]] == [
        "Ordna en lugn plats för lunch", "Väcka Alva kvart i sju"]
    with app.app_context(), atomic() as s:
        s.get(Action, closed.actions[0]).what = "Ändrat efteråt"
    again = query(lambda s: s.scalar(select(PlanVersion)))
    assert again.snapshot["actions"][0]["what"] == "Ordna en lugn plats för lunch"


def test_closing_twice_does_nothing_and_says_so(closed, query):
    answer = closed.chair.op("end")
    assert answer["ok"] is False and "redan avslutat" in answer["message"]
    assert query(lambda s: len(s.scalars(select(PlanVersion)).all())) == 1


def test_family_page_shows_own_tasks_first_and_what_happens_next(closed):
    response = closed.sara.http.get(f"/m/{closed.meeting.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/plan")
    page = closed.sara.http.get(f"/m/{closed.meeting.id}/plan").get_data(as_text=True)
    assert page.index("Väcka Alva kvart i sju") < page.index("Ordna en lugn plats för lunch")
    assert "2031" in page and "Sara Berg" in page


def test_family_page_refused_without_the_link(closed, app):
    stranger = app.test_client()
    assert stranger.get(f"/m/{closed.meeting.id}/plan").status_code == 404
    assert stranger.get(f"/m/{closed.meeting.id}/plan.docx").status_code == 404
    assert stranger.get(f"/m/{closed.meeting.id}/my-actions.ics").status_code == 404


def test_family_downloads_document_and_calendars(closed):
    http = closed.sara.http
    docx = http.get(f"/m/{closed.meeting.id}/plan.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.data)).paragraphs)
    assert "Alva" in text
    follow = Calendar.from_ical(http.get(f"/m/{closed.meeting.id}/followup.ics").data)
    assert [str(e.decoded("dtstart")) for e in follow.walk("VEVENT")] == ["2031-04-01"]
    mine = Calendar.from_ical(http.get(f"/m/{closed.meeting.id}/my-actions.ics").data)
    assert ["Väcka Alva kvart i sju" in str(e["summary"]) for e in mine.walk("VEVENT")] == [True]


def test_satisfaction_is_one_tap_and_counted(closed, query):
    http = closed.sara.http
    assert http.post(f"/m/{closed.meeting.id}/satisfaction", data={"answer": "yes"}).status_code \
        == 302
    http.post(f"/m/{closed.meeting.id}/satisfaction", data={"answer": "partly"})
    closed.karin.http.post(f"/m/{closed.meeting.id}/satisfaction", data={"answer": "yes"})
    answers = query(lambda s: s.get(Meeting, closed.meeting.id).satisfaction)
    assert sorted(answers.values()) == ["partly", "yes"]
    assert closed.karin.http.post(f"/m/{closed.meeting.id}/satisfaction",
                                  data={"answer": "maybe"}).status_code == 302
    assert sorted(query(lambda s: s.get(Meeting, closed.meeting.id).satisfaction).values()) \
        == ["partly", "yes"]


def test_chair_prints_and_downloads_the_plan(closed):
    page = closed.chair.http.get(f"/meetings/{closed.meeting.id}/plan").get_data(as_text=True)
    assert "Ordna en lugn plats för lunch" in page
    assert closed.chair.http.get(f"/meetings/{closed.meeting.id}/plan.docx").status_code == 200
    assert closed.sara.http.get(f"/meetings/{closed.meeting.id}/plan.docx").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "docx", "ics"])
def test_export_writes_the_closed_version(closed, runner, tmp_path, fmt):
    out = tmp_path / f"plan.{fmt}"
    result = runner.invoke(args=["export", str(closed.meeting.id), "--format", fmt, "-o",
                                 str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if fmt == "json":
        assert json.loads(data)["version"] == 1
    elif fmt == "docx":
        assert Document(io.BytesIO(data)).core_properties.title
    else:
        assert Calendar.from_ical(data).walk("VEVENT")


def test_export_refuses_an_open_meeting(runner, make_meeting, tmp_path):
    meeting = make_meeting()
    result = runner.invoke(args=["export", str(meeting.id), "--format", "json", "-o",
                                 str(tmp_path / "x.json")])
    assert result.exit_code == 1 and "not closed" in result.output
    assert not (tmp_path / "x.json").exists()


def test_closing_emails_the_plan_in_the_background(app, live, query):
    import time

    from test_mail import smtp_server

    from sip_meeting.models import Delivery

    inbox_gen = smtp_server(app)
    inbox = next(inbox_gen)
    app.config["EMAIL_PLAN_AFTER_CLOSE"] = True
    live.start()
    live.join("Sara Berg", email="sara@example.se")
    live.end()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not inbox.messages:
        time.sleep(0.1)
    while time.monotonic() < deadline and query(
            lambda s: [d.status for d in s.scalars(select(Delivery))]) != ["sent"]:
        time.sleep(0.1)
    next(inbox_gen, None)
    assert [m["To"] for m in inbox.messages] == ["sara@example.se"]
