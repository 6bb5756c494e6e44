"""The family's copy tells the truth: whose tasks are the family's, where the plan opens, dates
and file names in the reader's language, and invitations in each participant's language."""

from __future__ import annotations

import copy
import io
import re
from datetime import date, datetime, timedelta

import pytest
from docx import Document
from icalendar import Calendar
from sqlalchemy import select
from test_mail import fake_document, send, smtp_server

from sip_meeting.db import atomic
from sip_meeting.mailer import queue_plan_deliveries
from sip_meeting.models import Meeting, PlanVersion
from sip_meeting.planning import STOCKHOLM

FATHER_TASK = "Fylla i ansökan om assistans"
SCHOOL_TASK = "Ordna en lugn plats för lunch"


@pytest.fixture
def family_plan(live):
    """A closed meeting where the child's father is responsible for an action of his own.

    Its principal is left open, and it has no part written for the family: only who does it
    makes it the family's task. Sara reads English, Johan and the chair Swedish.
    """
    live.start()
    sara = live.join("Sara Berg", "guardian", "family", email="sara@example.se", language="en")
    johan = live.join("Johan Berg", "guardian", "family", email="johan@example.se",
                      language="sv")
    karin = live.join("Karin Holm", "professional", "municipality", email="karin@example.se",
                      organisation="Solskolan")
    assert karin.op("add_item", entity="action", values={
        "what": FATHER_TASK, "responsible_participant_id": johan.participant_id,
        "due_date": "2027-02-05"})["ok"]
    assert karin.op("add_item", entity="action", values={
        "what": SCHOOL_TASK, "responsible_participant_id": karin.participant_id,
        "principal": "municipality", "due_date": "2027-03-01"})["ok"]
    assert karin.op("edit", entity="plan", id=live.meeting.plan_id, field="followup_date",
                    base_version=0, base="", value="2027-04-01")["ok"]
    live.end()
    live.sara, live.johan, live.karin = sara, johan, karin
    return live


def _section(html: str, anchor: str) -> str:
    return html.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]


def _docx_family_part(data: bytes, heading: str) -> str:
    paragraphs = [p for p in Document(io.BytesIO(data)).paragraphs]
    start = next(n for n, p in enumerate(paragraphs)
                 if p.style.name == "Heading 1" and p.text == heading)
    end = next(n for n, p in enumerate(paragraphs)
               if n > start and p.style.name == "Heading 1")
    return "\n".join(p.text for p in paragraphs[start + 1:end])


def _emails(app, family_plan, smtp, **config):
    app.config.update(config)
    with app.app_context(), atomic() as session:
        queue_plan_deliveries(session, session.get(Meeting, family_plan.meeting.id))
    send(app, family_plan.meeting.id, fake_document)
    return {m["To"]: m for m in smtp.messages}


@pytest.fixture
def smtp(app):
    yield from smtp_server(app)


def _filename(response) -> str:
    return re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)


# --- 1. The family's tasks are the same, and true, in every copy ----------------------------


def test_the_fathers_action_is_the_familys_task_in_every_copy(app, family_plan, smtp, query):
    meeting_id = family_plan.meeting.id
    snapshot = query(lambda s: s.scalar(select(PlanVersion.snapshot)))
    assert [a["responsible_role"] for a in snapshot["actions"]] == ["guardian", "professional"]

    # the family page, in Sara's English: the father's action is the family's task
    page = family_plan.sara.http.get(f"/m/{meeting_id}/plan").get_data(as_text=True)
    family = _section(page, "plan-family")
    assert FATHER_TASK in family and "Johan Berg" in family and SCHOOL_TASK not in family
    assert "no tasks of its own" not in family
    tasks = _section(page, "tasks-heading")
    assert tasks.index("The family's task") < tasks.index(FATHER_TASK) \
        < tasks.index(SCHOOL_TASK)

    # the print view, in the chair's Swedish
    printed = family_plan.chair.http.get(f"/meetings/{meeting_id}/plan").get_data(as_text=True)
    family = _section(printed, "plan-family")
    assert FATHER_TASK in family and "inga egna uppgifter" not in family

    # the document
    docx = family_plan.johan.http.get(f"/m/{meeting_id}/plan.docx").data
    family = _docx_family_part(docx, "Det här gör familjen")
    assert FATHER_TASK in family and "Ansvarig: Johan Berg" in family
    assert "inga egna uppgifter" not in family and SCHOOL_TASK not in family

    # the email
    messages = _emails(app, family_plan, smtp)
    body = messages["johan@example.se"].get_body(("plain",)).get_content()
    part = body.split("Det här gör familjen:", 1)[1].split("\n\n", 1)[0]
    assert FATHER_TASK in part and "inga egna uppgifter" not in part

    # and the mother's calendar of dates
    calendar = Calendar.from_ical(family_plan.sara.http.get(f"/m/{meeting_id}/my-actions.ics")
                                  .data)
    assert [FATHER_TASK in str(e["summary"]) for e in calendar.walk("VEVENT")] == [True]


def test_a_version_frozen_before_roles_were_kept_still_knows_the_familys_tasks(app, query,
                                                                               family_plan):
    from sip_meeting.calendars import participant_deadlines
    from sip_meeting.labels import version_view
    from sip_meeting.versions import family_tasks

    snapshot = copy.deepcopy(query(lambda s: s.scalar(select(PlanVersion.snapshot))))
    for action in snapshot["actions"]:
        del action["responsible_role"]
    assert [a["what"] for a in family_tasks(snapshot)] == [FATHER_TASK]
    with app.test_request_context("/"):
        assert [t["task"] for t in version_view(snapshot)["family"]] == [FATHER_TASK]
    sara = next(p["id"] for p in snapshot["participants"] if p["name"] == "Sara Berg")
    assert [a["what"] for a in participant_deadlines(snapshot, sara)] == [FATHER_TASK]


def test_the_family_still_has_no_tasks_when_none_is_theirs(app):
    from test_document import make_snapshot

    from sip_meeting.labels import version_view
    from sip_meeting.versions import family_tasks

    snapshot = make_snapshot()
    for action in snapshot["actions"]:
        action.update(principal="municipality", family_part="", responsible_participant_id=2,
                      responsible_role="professional")
    assert family_tasks(snapshot) == []
    with app.test_request_context("/"):
        assert version_view(snapshot)["family"] == []


# --- 2. The plan email says what the reader can do; the page says where it opens ------------


def test_the_plan_email_describes_its_files_and_where_the_plan_opens(app, family_plan, smtp):
    messages = _emails(app, family_plan, smtp, PUBLIC_URL="https://sip.kommun.se")
    meeting_id = family_plan.meeting.id
    for address in ("sara@example.se", "johan@example.se", "karin@example.se"):
        message = messages[address]
        body = message.get_body(("plain",)).get_content()
        assert "open your personal link" not in body and "Öppna din personliga länk" not in body
        names = [a.get_filename() for a in message.iter_attachments()]
        assert names and all(f"- {name}: " in body for name in names), (address, names)
        assert f"https://sip.kommun.se/m/{meeting_id}/plan" in body
    sara = messages["sara@example.se"].get_body(("plain",)).get_content()
    assert "Attached to this email:" in sara
    assert "on the phone or computer where you joined the meeting" in sara
    assert "ask Eva Lund for a new personal link" in sara
    johan = messages["johan@example.se"].get_body(("plain",)).get_content()
    assert "Filer i mejlet:" in johan and "be Eva Lund om en ny personlig länk" in johan


def test_without_a_public_address_the_email_gives_no_link_it_cannot_make(app, family_plan,
                                                                        smtp):
    body = _emails(app, family_plan, smtp)["sara@example.se"].get_body(("plain",)).get_content()
    assert "/m/" not in body and "/j/" not in body
    assert "on the phone or computer where you joined the meeting." in body


def test_a_device_that_did_not_join_is_told_where_the_page_opens_and_whom_to_ask(
        app, family_plan):
    meeting_id = family_plan.meeting.id
    other_device = app.test_client()
    for path in ("", "/plan", "/plan.docx", "/followup.ics", "/my-actions.ics", "/invitation",
                 "/invitation.ics"):
        response = other_device.get(f"/m/{meeting_id}{path}")
        assert response.status_code == 404, path
        body = response.get_data(as_text=True)
        assert "Den här sidan öppnas bara i den telefon eller dator där du gick med i mötet" \
            in body
        assert "be den som leder mötet om en ny personlig länk" in body
        # nobody's name: anyone may try a meeting's number
        for private in ("Eva", "Alva", "Sara", "Johan", "Karin", "@"):
            assert private not in body, (path, private)
    english = other_device.get(f"/m/{meeting_id}/plan", headers={"Accept-Language": "en"})
    assert "opens only on the phone or computer where you joined" in english.get_data(as_text=True)
    assert "ask the person who chairs the meeting for a new personal link" \
        in english.get_data(as_text=True)
    unknown = other_device.get(f"/m/{meeting_id + 1000}/plan").get_data(as_text=True)
    assert "be den som leder mötet om en ny personlig länk" in unknown and "Eva" not in unknown


# --- 3. The follow-up's calendar file does not promise a personal link ------------------------


def test_the_followup_calendar_file_says_where_the_plan_page_opens(family_plan):
    meeting_id = family_plan.meeting.id
    data = family_plan.sara.http.get(f"/m/{meeting_id}/followup.ics").data
    event = Calendar.from_ical(data).walk("VEVENT")[0]
    description = str(event["description"])
    assert "personal link" not in description
    assert "opens on the phone or computer where you joined the meeting" in description
    assert description.endswith(f"/m/{meeting_id}/plan")
    swedish = Calendar.from_ical(family_plan.johan.http.get(f"/m/{meeting_id}/followup.ics")
                                 .data).walk("VEVENT")[0]
    assert "personliga länk" not in str(swedish["description"])
    assert "där du gick med i mötet" in str(swedish["description"])


# --- 4. English dates and file names in the reader's language ---------------------------------


def test_english_copies_write_dates_the_english_way(app, family_plan, smtp, query):
    meeting_id = family_plan.meeting.id
    frozen = query(lambda s: s.scalar(select(PlanVersion.snapshot)))["frozen_at"]
    closed = _english_day(datetime.fromisoformat(frozen).astimezone(STOCKHOLM).date())
    page = family_plan.sara.http.get(f"/m/{meeting_id}/plan").get_data(as_text=True)
    assert "By 5 February 2027" in page and "Next meeting: 1 April 2027" in page
    assert "February 5" not in page and "februari" not in page

    doc = Document(io.BytesIO(family_plan.sara.http.get(f"/m/{meeting_id}/plan.docx").data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "By 5 February 2027" in cells
    assert doc.paragraphs[-1].text.endswith(f"ended on {closed}.")

    chair = family_plan.chair.http
    chair.post("/language", data={"lang": "en"})
    printed = chair.get(f"/meetings/{meeting_id}/plan").get_data(as_text=True)
    assert "By 5 February 2027" in printed and "February 5" not in printed

    body = _emails(app, family_plan, smtp)["sara@example.se"].get_body(("plain",)).get_content()
    assert "The plan will be followed up on 1 April 2027." in body
    assert f"was held on {closed}." in body


def _english_day(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def test_file_names_follow_the_readers_language(family_plan):
    meeting_id = family_plan.meeting.id
    names = {}
    for who in ("sara", "johan"):
        http = getattr(family_plan, who).http
        names[who] = [_filename(http.get(f"/m/{meeting_id}/{path}"))
                      for path in ("plan.docx", "followup.ics", "my-actions.ics")]
    assert names["sara"] == ["sip-plan-alva-version-1.docx", "sip-follow-up-alva-2027-04-01.ics",
                             "sip-my-dates-alva.ics"]
    assert names["johan"] == ["sip-plan-alva-version-1.docx",
                              "sip-uppfoljning-alva-2027-04-01.ics", "sip-mina-datum-alva.ics"]


def test_a_file_name_keeps_to_plain_letters_digits_and_hyphens():
    from sip_meeting.i18n import file_name

    assert file_name("kallelse-%(child)s-%(date)s-%(name)s.ics", child="Åsa Öberg",
                     date="2027-02-05", name="محمد") == "kallelse-asa-oberg-2027-02-05.ics"
    assert file_name("sip-plan-%(child)s.docx", child='"; rm -rf / ".docx') \
        == "sip-plan-rm-rf-docx.docx"


# --- 5. Invitations in each participant's language, with what to prepare ----------------------


MEETING_FORM = {"time": "13:30", "duration_minutes": "90", "place": "Solskolan",
                "video_link": "", "purpose": "Följa upp planen", "questions": "",
                "prepare": "Tänk på vad som har blivit bättre."}


def _invited(app, make_chair, make_meeting, make_participant):
    make_chair()
    meeting = make_meeting()
    with app.app_context(), atomic() as session:
        session.get(Meeting, meeting.id).prepare = "Ta med skolans senaste omdöme."
    omar = make_participant(meeting, "Omar Said", "professional", "region", language="en")
    sara = make_participant(meeting, "Sara Berg", "guardian", "family", language="sv")
    return meeting, omar, sara


def _chair_ics(client, meeting_id, participant, token):
    return client.post(f"/meetings/{meeting_id}/participants/{participant.id}/invitation.ics",
                       data={"token": token})


def test_each_invitation_is_in_its_readers_language_with_what_to_prepare(
        app, client, login, make_chair, make_meeting, make_participant):
    meeting, (omar, omar_token), (sara, sara_token) = _invited(app, make_chair, make_meeting,
                                                              make_participant)
    login()
    client.post("/language", data={"lang": "en"})  # the chair reads English
    day = (date.today() + timedelta(days=7)).isoformat()

    english = _chair_ics(client, meeting.id, omar, omar_token)
    swedish = _chair_ics(client, meeting.id, sara, sara_token)
    assert _filename(english) == f"invitation-alva-{day}-omar-said.ics"
    assert _filename(swedish) == f"kallelse-alva-{day}-sara-berg.ics"
    event = Calendar.from_ical(english.data).walk("VEVENT")[0]
    assert str(event["summary"]) == "SIP meeting for Alva"
    assert "What to prepare:\nTa med skolans senaste omdöme." in str(event["description"])
    event = Calendar.from_ical(swedish.data).walk("VEVENT")[0]
    assert str(event["summary"]) == "SIP-möte för Alva"
    assert "Förbered dig så här:\nTa med skolans senaste omdöme." in str(event["description"])
    assert "Your personal link" not in str(event["description"])

    # the participant's own download, whatever language the browser asks for
    omar_http = app.test_client()
    omar_http.get(f"/j/{omar_token}")
    own = omar_http.get(f"/m/{meeting.id}/invitation.ics", headers={"Accept-Language": "sv"})
    assert _filename(own) == f"invitation-alva-{day}-omar-said.ics"
    assert "What to prepare:" in str(Calendar.from_ical(own.data).walk("VEVENT")[0]
                                     ["description"])


def test_the_followups_links_page_offers_each_persons_invitation(
        app, client, login, make_chair, make_meeting, make_participant):
    meeting, _omar, _sara = _invited(app, make_chair, make_meeting, make_participant)
    with app.app_context(), atomic() as session:
        session.get(Meeting, meeting.id).status = "closed"
    login()
    day = date.today() + timedelta(days=60)
    page = client.post(f"/plans/{meeting.plan_id}/followup",
                       data={**MEETING_FORM, "date": day.isoformat()}).get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="(/meetings/(\d+)/participants/(\d+)/'
                       r'invitation\.ics)"[^>]*>.*?name="token" value="([^"]+)"', page, re.S)
    assert len(forms) == 2
    names = set()
    for action, _meeting, _participant, token in forms:
        response = client.post(action, data={"token": token})
        assert response.status_code == 200
        names.add(_filename(response))
        event = Calendar.from_ical(response.data).walk("VEVENT")[0]
        assert "Tänk på vad som har blivit bättre." in str(event["description"])
    assert names == {f"invitation-alva-{day.isoformat()}-omar-said.ics",
                     f"kallelse-alva-{day.isoformat()}-sara-berg.ics"}
